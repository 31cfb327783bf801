//===- Contexts.cpp - record the calls a thread is in ---------------------===//
//
// Brackets every context call (lib/Analysis/Contexts.cpp says which calls
// and why) of the functions that may be active at an update point with a
// push of the call's site id on the thread's context stack and a restore of
// the depth after it:
//
//   d = __dsu_context.depth
//   __dsu_context.site[d & (SLOTS-1)] = ID
//   __dsu_context.depth = d + 1
//   call ...
//   __dsu_context.depth = d
//
// Only functions that may be active at an update point pay for it (the
// rest never has a frame on the stack when an update commits), and only
// for calls that may lead to one (not those to a function the link found
// never active): a few stores per request in a server.
// The module must be exactly the one the build stores (no slots yet), since
// site ids count the calls in that form.
//
//===----------------------------------------------------------------------===//
#include "dsu/Analysis/Contexts.h"
#include "dsu/Transform/Transform.h"
#include "dsu/patch_format.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"

using namespace llvm;
using namespace dsu;

static_assert((DSU_CONTEXT_SLOTS & (DSU_CONTEXT_SLOTS - 1)) == 0,
              "the slot index is a mask");

unsigned
dsu::instrumentContexts(Module &M,
                        function_ref<const FunctionInfo *(StringRef)> InfoOf,
                        bool OnlyPossiblyActive) {
  LLVMContext &Ctx = M.getContext();
  Type *I64 = Type::getInt64Ty(Ctx);
  StructType *ContextTy =
      StructType::get(Ctx, {I64, ArrayType::get(I64, DSU_CONTEXT_SLOTS)});
  GlobalVariable *Context = nullptr;
  unsigned Count = 0;
  for (Function &F : M) {
    if (F.isDeclaration())
      continue;
    const FunctionInfo *Info = InfoOf(F.getName());
    if (!Info || (OnlyPossiblyActive && Info->DirectCalls))
      continue;
    std::map<const CallBase *, uint64_t> Sites =
        callSiteIds(F, Info->Symbol, Info->BodyHash);
    // A callee the link compiled with direct calls can never be on the
    // stack at an update point: its calls need no record.
    std::erase_if(Sites, [&](const auto &S) {
      if (!isContextCall(*S.first))
        return true;
      const auto *Callee =
          dyn_cast<Function>(S.first->getCalledOperand()->stripPointerCasts());
      const FunctionInfo *CI = Callee ? InfoOf(Callee->getName()) : nullptr;
      return CI && CI->DirectCalls;
    });
    if (Sites.empty())
      continue;
    if (!Context) {
      Context = M.getNamedGlobal("__dsu_context");
      if (!Context)
        Context = new GlobalVariable(
            M, ContextTy, false, GlobalValue::ExternalLinkage, nullptr,
            "__dsu_context", nullptr, GlobalValue::InitialExecTLSModel);
    }
    for (auto &[Call, Id] : Sites) {
      auto *CB = const_cast<CallBase *>(Call);
      if (auto *CI = dyn_cast<CallInst>(CB); CI && CI->isMustTailCall())
        continue; // no C compiler makes one; nothing may follow it
      IRBuilder<> B(CB);
      Value *Base = B.CreateThreadLocalAddress(Context);
      Value *Depth = B.CreateLoad(I64, Base, "dsu.depth");
      Value *Index = B.CreateAnd(Depth, DSU_CONTEXT_SLOTS - 1);
      Value *Slot = B.CreateInBoundsGEP(ContextTy, Base,
                                        {B.getInt32(0), B.getInt32(1), Index});
      B.CreateStore(ConstantInt::get(I64, Id), Slot);
      B.CreateStore(B.CreateAdd(Depth, ConstantInt::get(I64, 1)), Base);
      ++Count;
      if (CB->doesNotReturn() || !CB->getNextNode())
        continue;
      if (isa<InvokeInst>(CB))
        continue; // C has none; the unwind path would need its own restore
      B.SetInsertPoint(CB->getNextNode());
      B.CreateStore(Depth, B.CreateThreadLocalAddress(Context));
    }
  }
  return Count;
}
