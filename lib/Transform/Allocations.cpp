//===- Allocations.cpp - typed heap tracking at allocation sites
//------------===//
//
// The runtime can only transform heap objects it knows about. The frontend
// found the allocation sites whose size names a type with sizeof (Model.h,
// AllocSite); here each such call is followed by
//
//     __dsu_track_alloc(result, size, "struct item#1a2b3c4d")
//
// where the tag names the type and its layout hash, so that objects made by
// old and new code are told apart. Every free() is preceded by
// __dsu_track_free(p) and every realloc() followed by __dsu_track_realloc,
// typed or not, so the table never holds a stale address. Calls are matched
// to sites by file name, line and column of their debug location (dsu-cc
// always keeps locations, see ClangFrontend.cpp).
//
// Allocator wrappers named with -fdsu-allocator=NAME are taken to hand out
// blocks that free() releases (xmalloc). A wrapper with its own deallocator,
// -fdsu-allocator=zmalloc:zfree (a size header before the block, a pool),
// hands out objects that only the program can release: their sites call
// __dsu_track_foreign instead, calls to the deallocator untrack them, and
// the runtime transforms such objects in place or refuses (dsu_heap.c). A
// realloc-like one (-fdsu-allocator=zrealloc:zfree) releases the block it
// is given itself, through a realloc of its own the table never saw: every
// call to it, typed or not, is followed by __dsu_track_foreign_realloc,
// which forgets the old address unless the call failed. Otherwise the old
// block, freed and soon another object's, would stay tracked, and an
// update would transform whatever lives there.
//
//===----------------------------------------------------------------------===//
#include "dsu/Model/Model.h"
#include "dsu/Transform/Transform.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Path.h"

#include <map>
#include <set>
#include <tuple>

using namespace llvm;
using namespace dsu;

namespace {
using SiteKey = std::tuple<std::string, unsigned, unsigned>;

SiteKey keyOf(StringRef File, unsigned Line, unsigned Col) {
  return {sys::path::filename(File).str(), Line, Col};
}

/// The C name of a callee: identities have already been assigned, so a
/// function defined in the program is called by its identity symbol
/// ("zmalloc.dsu.5b47", "pool_get.1a2b3c4d.dsu.77").
StringRef cNameOf(StringRef Symbol, const TUModel &TU) {
  size_t At = Symbol.find(".dsu.");
  if (At == StringRef::npos)
    return Symbol;
  StringRef Name = Symbol.take_front(At);
  Name.consume_back("." + TU.TUTag);
  return Name;
}
} // namespace

void dsu::assignDeallocators(
    TUModel &TU, const std::map<std::string, std::string> &Deallocators) {
  if (Deallocators.empty())
    return;
  for (AllocSite &A : TU.AllocSites) {
    auto It = Deallocators.find(A.Allocator);
    if (It != Deallocators.end())
      A.Deallocator = It->second;
  }
  // The allocators' own code: the functions named, and what they call
  // directly in this unit.
  std::map<std::string, const FunctionInfo *> BySymbol;
  std::vector<const FunctionInfo *> Work;
  std::set<std::string> Own;
  for (const FunctionInfo &F : TU.Functions) {
    BySymbol[F.Symbol] = &F;
    for (const auto &[Alloc, Free] : Deallocators)
      if (F.Name == Alloc || F.Name == Free)
        Work.push_back(&F);
  }
  while (!Work.empty()) {
    const FunctionInfo *F = Work.back();
    Work.pop_back();
    if (!Own.insert(F->Symbol).second)
      continue;
    for (const std::string &Callee : F->Callees) {
      auto It = BySymbol.find(Callee);
      if (It != BySymbol.end())
        Work.push_back(It->second);
    }
  }
  llvm::erase_if(TU.AllocSites, [&](const AllocSite &A) {
    return A.Type == "void *" && Own.count(A.Function);
  });
}

unsigned
dsu::instrumentAllocations(Module &M, const TUModel &TU,
                           const std::map<std::string, std::string> &Deallocators) {
  std::set<std::string> Frees;
  for (const auto &[Alloc, Free] : Deallocators)
    Frees.insert(Free);
  std::map<SiteKey, const AllocSite *> Sites;
  for (const AllocSite &A : TU.AllocSites)
    Sites[keyOf(A.File, A.Line, A.Column)] = &A;
  LLVMContext &Ctx = M.getContext();
  PointerType *Ptr = PointerType::getUnqual(Ctx);
  Type *SizeT = M.getDataLayout().getIntPtrType(Ctx);
  FunctionCallee TrackAlloc = M.getOrInsertFunction(
      "__dsu_track_alloc", Type::getVoidTy(Ctx), Ptr, SizeT, Ptr);
  FunctionCallee TrackFree =
      M.getOrInsertFunction("__dsu_track_free", Type::getVoidTy(Ctx), Ptr);
  FunctionCallee TrackForeign = M.getOrInsertFunction(
      "__dsu_track_foreign", Type::getVoidTy(Ctx), Ptr, SizeT, Ptr);
  FunctionCallee TrackRealloc =
      M.getOrInsertFunction("__dsu_track_realloc", Type::getVoidTy(Ctx), Ptr,
                            Ptr, SizeT, Ptr);
  FunctionCallee TrackForeignRealloc =
      M.getOrInsertFunction("__dsu_track_foreign_realloc", Type::getVoidTy(Ctx),
                            Ptr, Ptr, SizeT, Ptr);
  std::map<std::string, Constant *> Tags;
  auto TagFor = [&](const AllocSite &Site) -> Constant * {
    // Objects with data after them carry a '+': the runtime moves that
    // data with them instead of taking it for more objects.
    std::string Tag = allocationTag(Site.Type, TU) + (Site.Trailing ? "+" : "");
    auto It = Tags.find(Tag);
    if (It != Tags.end())
      return It->second;
    Constant *C = ConstantDataArray::getString(Ctx, Tag);
    auto *G = new GlobalVariable(M, C->getType(), true,
                                 GlobalValue::PrivateLinkage, C, "__dsu_tag");
    G->setUnnamedAddr(GlobalValue::UnnamedAddr::Global);
    return Tags[Tag] = G;
  };
  auto AsSize = [&](IRBuilder<> &B, Value *V) {
    return B.CreateZExtOrTrunc(V, SizeT);
  };

  unsigned Tracked = 0;
  std::vector<CallInst *> Calls;
  for (Function &F : M)
    for (BasicBlock &BB : F)
      for (Instruction &I : BB)
        if (auto *CI = dyn_cast<CallInst>(&I))
          if (Function *Callee = CI->getCalledFunction())
            if (!Callee->isIntrinsic() &&
                !Callee->getName().starts_with("__dsu"))
              Calls.push_back(CI);
  for (CallInst *CI : Calls) {
    StringRef Name = cNameOf(CI->getCalledFunction()->getName(), TU);
    if ((Name == "free" && CI->arg_size() == 1) ||
        (Frees.count(Name.str()) && CI->arg_size() >= 1 &&
         CI->getArgOperand(0)->getType()->isPointerTy())) {
      IRBuilder<> B(CI);
      B.CreateCall(TrackFree, {CI->getArgOperand(0)});
      continue;
    }
    const AllocSite *Site = nullptr;
    if (const DebugLoc &DL = CI->getDebugLoc()) {
      auto It = Sites.find(keyOf(DL->getFilename(), DL->getLine(),
                                 DL->getColumn()));
      if (It != Sites.end() && It->second->Allocator == Name)
        Site = It->second;
    }
    bool IsRealloc = Name.contains("realloc");
    bool Foreign = Deallocators.count(Name.str()) != 0;
    if (!Site && !(IsRealloc &&
                   (Name == "realloc" || Name == "reallocarray" || Foreign)))
      continue;
    if (!CI->getType()->isPointerTy())
      continue;
    IRBuilder<> B(CI->getNextNode());
    Constant *Tag = Site ? TagFor(*Site) : ConstantPointerNull::get(Ptr);
    std::vector<Value *> IntArgs;
    Value *OldPtr = nullptr;
    for (Value *A : CI->args()) {
      if (A->getType()->isIntegerTy())
        IntArgs.push_back(A);
      else if (A->getType()->isPointerTy() && !OldPtr)
        OldPtr = A;
    }
    if (IntArgs.empty())
      continue;
    Value *Size = AsSize(B, IntArgs[0]);
    if (Name.contains("calloc") || Name == "reallocarray")
      if (IntArgs.size() >= 2)
        Size = B.CreateMul(Size, AsSize(B, IntArgs[1]));
    if (Foreign && IsRealloc && OldPtr)
      B.CreateCall(TrackForeignRealloc, {OldPtr, CI, Size, Tag});
    else if (Site && Deallocators.count(Site->Allocator))
      B.CreateCall(TrackForeign, {CI, Size, Tag});
    else if (IsRealloc && OldPtr)
      B.CreateCall(TrackRealloc, {OldPtr, CI, Size, Tag});
    else
      B.CreateCall(TrackAlloc, {CI, Size, Tag});
    ++Tracked;
  }
  return Tracked;
}
