//===- GlobalInits.cpp - initialisers checked against running bytes ------===//
//
// A mutable global whose initialiser changed keeps its running value: the
// program may have changed it. But if its running bytes are still its old
// initialiser, nothing distinguishes "never changed" from "changed back",
// and the new initialiser is the right value: a configuration table that
// gained an entry in the middle (vsftpd's) must not be copied index by
// index, a default that the new version raised must take effect. The
// static analysis (lib/Analysis/GlobalWrites.cpp) settles the globals no
// code can write at patch time; for the others the patch carries what the
// runtime needs to decide at the commit (__dsu_global_inits,
// include/dsu/patch_format.h):
//
//  - the old initialiser's bytes, laid out as in memory, read from the old
//    build's stored module of the global's unit;
//  - the pointers in it, each as the address the running slot must hold
//    (a function or global of the old build, named by its symbol, which
//    the patch's dynamic loader resolves in the process) or, for a string
//    literal (private to the old executable, so the patch cannot name it),
//    the string the slot must point to;
//  - the new initialiser, for a global of the same type (the patch shares
//    its storage with the process, so the runtime copies it over the
//    running bytes when the commit goes through); a global whose type
//    changed has new storage that already holds it, and its transformer is
//    skipped instead.
//
// An initialiser that holds anything else (an address dsu cannot name in
// the running process, a constant expression that is not an address) gets
// no entry: the running value is kept, as before, and `dsu patch -v` says
// why.
//
//===----------------------------------------------------------------------===//
#include "dsu/Patch/GlobalInits.h"
#include "dsu/Support/Error.h"

#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DataLayout.h"
#include "llvm/IR/Module.h"

#include <algorithm>
#include <map>

using namespace dsu;
using namespace llvm;

namespace {

/// A pointer inside an encoded initialiser.
struct InitPointer {
  uint64_t Offset = 0;
  std::string Symbol; ///< The old build's function or global ...
  int64_t Addend = 0; ///< ... and the byte offset into it,
  bool IsFunction = false;
  bool ByContent = false; ///< or a string literal with this text.
  std::string Content;
};

struct EncodedInit {
  std::vector<uint8_t> Bytes;
  std::vector<InitPointer> Pointers;
};

void putInteger(std::vector<uint8_t> &Bytes, uint64_t Off, const APInt &V,
                uint64_t Size) {
  APInt W = V.zextOrTrunc(Size * 8);
  for (uint64_t I = 0; I < Size; ++I)
    Bytes[Off + I] = W.extractBitsAsZExtValue(8, I * 8);
}

/// Writes C at Off into Out (already zero-filled); returns why it cannot,
/// or "" on success.
std::string encode(const DataLayout &DL, const Constant *C, uint64_t Off,
                   EncodedInit &Out) {
  Type *T = C->getType();
  if (isa<ConstantAggregateZero>(C) || isa<ConstantPointerNull>(C) ||
      isa<UndefValue>(C))
    return "";
  if (auto *I = dyn_cast<ConstantInt>(C)) {
    putInteger(Out.Bytes, Off, I->getValue(), DL.getTypeStoreSize(T));
    return "";
  }
  if (auto *F = dyn_cast<ConstantFP>(C)) {
    putInteger(Out.Bytes, Off, F->getValueAPF().bitcastToAPInt(),
               DL.getTypeStoreSize(T));
    return "";
  }
  if (auto *S = dyn_cast<ConstantDataSequential>(C)) {
    uint64_t Elem = DL.getTypeAllocSize(S->getElementType());
    for (unsigned I = 0, E = S->getNumElements(); I != E; ++I)
      if (std::string Why =
              encode(DL, S->getElementAsConstant(I), Off + I * Elem, Out);
          !Why.empty())
        return Why;
    return "";
  }
  if (isa<ConstantArray>(C) || isa<ConstantVector>(C)) {
    Type *ElemTy = isa<ArrayType>(T) ? T->getArrayElementType()
                                     : cast<VectorType>(T)->getElementType();
    uint64_t Elem = DL.getTypeAllocSize(ElemTy);
    for (unsigned I = 0, E = C->getNumOperands(); I != E; ++I)
      if (std::string Why =
              encode(DL, cast<Constant>(C->getOperand(I)), Off + I * Elem, Out);
          !Why.empty())
        return Why;
    return "";
  }
  if (auto *S = dyn_cast<ConstantStruct>(C)) {
    const StructLayout *L = DL.getStructLayout(S->getType());
    for (unsigned I = 0, E = S->getNumOperands(); I != E; ++I)
      if (std::string Why =
              encode(DL, S->getOperand(I), Off + L->getElementOffset(I), Out);
          !Why.empty())
        return Why;
    return "";
  }
  if (!T->isPointerTy() || DL.getTypeAllocSize(T) != sizeof(void *))
    return "it holds a constant expression";
  APInt Offset(DL.getIndexTypeSizeInBits(T), 0);
  const Value *Base = C->stripAndAccumulateConstantOffsets(
      DL, Offset, /*AllowNonInbounds=*/true);
  InitPointer P;
  P.Offset = Off;
  P.Addend = Offset.getSExtValue();
  if (auto *GV = dyn_cast<GlobalVariable>(Base); GV && GV->hasLocalLinkage()) {
    auto *Text = GV->isConstant() && GV->hasInitializer()
                     ? dyn_cast<ConstantDataSequential>(GV->getInitializer())
                     : nullptr;
    if (!Text || !Text->isCString() || P.Addend < 0 ||
        uint64_t(P.Addend) > Text->getAsCString().size())
      return "it points to " + GV->getName().str() +
             ", which the patch cannot name in the running program";
    P.ByContent = true;
    P.Content = Text->getAsCString().substr(P.Addend).str();
  } else if (auto *G = dyn_cast<GlobalValue>(Base);
             G && !G->hasLocalLinkage()) {
    P.Symbol = G->getName().str();
    P.IsFunction = isa<Function>(G);
  } else {
    return "it holds an address dsu cannot name in the running program";
  }
  Out.Pointers.push_back(std::move(P));
  return "";
}

/// The globals whose running bytes decide: mutable, initialiser or type
/// changed, and not settled at patch time by the static analysis.
std::vector<const PatchPlan::GlobalChange *> candidates(const PatchPlan &Plan) {
  using GK = PatchPlan::GlobalChangeKind;
  std::vector<const PatchPlan::GlobalChange *> Out;
  for (const PatchPlan::GlobalChange &G : Plan.Globals)
    if (G.Kind == GK::InitialiserChangedKept ||
        (G.Kind == GK::TypeChanged && !G.TakesNewInitialiser))
      Out.push_back(&G);
  return Out;
}

std::string newInitName(StringRef Symbol) {
  return ("__dsu_newinit." + Symbol).str();
}

/// The running program's Symbol as the patch refers to it, or null if the
/// patch defines that name itself (it would bind to its own).
Constant *runningSymbol(Module &M, const InitPointer &P) {
  if (GlobalValue *GV = M.getNamedValue(P.Symbol))
    return GV->isDeclaration() ? GV : nullptr;
  if (P.IsFunction)
    return Function::Create(
        FunctionType::get(Type::getVoidTy(M.getContext()), false),
        GlobalValue::ExternalLinkage, P.Symbol, M);
  return new GlobalVariable(M, Type::getInt8Ty(M.getContext()), false,
                            GlobalValue::ExternalLinkage, nullptr, P.Symbol);
}

} // namespace

void dsu::captureNewInitialisers(Module &M, const PatchPlan &Plan) {
  for (const PatchPlan::GlobalChange *G : candidates(Plan)) {
    if (G->Kind != PatchPlan::GlobalChangeKind::InitialiserChangedKept)
      continue;
    GlobalVariable *GV = M.getNamedGlobal(G->NewSymbol);
    if (!GV || !GV->hasInitializer() || GV->isConstant())
      continue;
    // External until the modules are linked (the linker brings local
    // globals only when something refers to them); made private after.
    new GlobalVariable(M, GV->getValueType(), true,
                       GlobalValue::ExternalLinkage, GV->getInitializer(),
                       newInitName(G->NewSymbol));
  }
}

void dsu::addGlobalInits(Module &M, const Build &Old, const PatchPlan &Plan,
                         std::vector<std::string> &Warnings) {
  LLVMContext &Ctx = M.getContext();
  PointerType *Ptr = PointerType::getUnqual(Ctx);
  Type *I64 = Type::getInt64Ty(Ctx);
  Type *I32 = Type::getInt32Ty(Ctx);
  StructType *PointerTy = StructType::get(Ctx, {I64, Ptr, I32});
  StructType *InitTy = StructType::get(Ctx, {Ptr, Ptr, Ptr, Ptr, Ptr, I64});
  auto Candidates = candidates(Plan);
  std::map<std::string, const TURecord *> RecordOf;
  for (const TURecord &R : Old.Records)
    for (const GlobalInfo &G : R.Model.Globals)
      RecordOf[G.Symbol] = &R;

  // The old modules, parsed once each, in a context of their own.
  LLVMContext OldCtx;
  std::map<const TURecord *, std::unique_ptr<Module>> OldModules;
  std::vector<Constant *> Entries;
  unsigned K = 0;
  for (const PatchPlan::GlobalChange *G : Candidates) {
    std::string Name = "__dsu_init." + std::to_string(K++);
    auto Keep = [&](const std::string &Why) {
      Warnings.push_back("global " + G->Name +
                         " keeps its running value: " + Why);
    };
    auto RIt = RecordOf.find(G->OldSymbol);
    if (RIt == RecordOf.end())
      continue;
    std::unique_ptr<Module> &OldM = OldModules[RIt->second];
    if (!OldM) {
      auto Parsed = parseBitcodeFile(
          MemoryBufferRef(RIt->second->Bitcode, RIt->second->Model.TU), OldCtx);
      if (!Parsed) {
        consumeError(Parsed.takeError());
        continue;
      }
      OldM = std::move(*Parsed);
    }
    GlobalVariable *OldGV = OldM->getNamedGlobal(G->OldSymbol);
    if (!OldGV || !OldGV->hasInitializer() || OldGV->isConstant())
      continue;
    const DataLayout &DL = OldM->getDataLayout();
    uint64_t Size = DL.getTypeAllocSize(OldGV->getValueType());
    EncodedInit Init;
    Init.Bytes.assign(Size, 0);
    if (std::string Why = encode(DL, OldGV->getInitializer(), 0, Init);
        !Why.empty()) {
      Keep("its old initialiser cannot be compared (" + Why + ")");
      continue;
    }
    Constant *NewInit = Constant::getNullValue(Ptr);
    if (G->Kind == PatchPlan::GlobalChangeKind::InitialiserChangedKept) {
      GlobalVariable *NI = M.getNamedGlobal(newInitName(G->NewSymbol));
      if (!NI || M.getDataLayout().getTypeAllocSize(NI->getValueType()) != Size)
        continue;
      NI->setLinkage(GlobalValue::PrivateLinkage);
      NewInit = NI;
    }
    InitPointer Running;
    Running.Symbol = G->OldSymbol;
    Constant *Addr = runningSymbol(M, Running);
    if (!Addr) {
      Keep("the patch defines its symbol");
      continue;
    }
    std::sort(Init.Pointers.begin(), Init.Pointers.end(),
              [](const InitPointer &A, const InitPointer &B) {
                return A.Offset < B.Offset;
              });
    std::vector<Constant *> Pointers;
    bool Named = true;
    for (const InitPointer &P : Init.Pointers) {
      Constant *Target;
      if (P.ByContent) {
        Constant *Text = ConstantDataArray::getString(Ctx, P.Content);
        Target = new GlobalVariable(M, Text->getType(), true,
                                    GlobalValue::PrivateLinkage, Text,
                                    Name + ".str");
      } else if (Constant *Sym = runningSymbol(M, P)) {
        Target = P.Addend ? ConstantExpr::getGetElementPtr(
                                Type::getInt8Ty(Ctx), Sym,
                                ConstantInt::get(I64, P.Addend))
                          : Sym;
      } else {
        Keep("its old initialiser points to " + P.Symbol +
             ", which the patch defines anew");
        Named = false;
        break;
      }
      Pointers.push_back(ConstantStruct::get(
          PointerTy, {ConstantInt::get(I64, P.Offset), Target,
                      ConstantInt::get(I32, P.ByContent)}));
    }
    if (!Named)
      continue;
    Pointers.push_back(Constant::getNullValue(PointerTy));
    ArrayType *PointersTy = ArrayType::get(PointerTy, Pointers.size());
    auto *PointerTable = new GlobalVariable(
        M, PointersTy, true, GlobalValue::PrivateLinkage,
        ConstantArray::get(PointersTy, Pointers), Name + ".pointers");
    auto *OldBytes = new GlobalVariable(
        M, ArrayType::get(Type::getInt8Ty(Ctx), Size), true,
        GlobalValue::PrivateLinkage,
        ConstantDataArray::get(Ctx, ArrayRef<uint8_t>(Init.Bytes)),
        Name + ".old");
    Constant *Text = ConstantDataArray::getString(Ctx, G->Name);
    auto *NameVar =
        new GlobalVariable(M, Text->getType(), true,
                           GlobalValue::PrivateLinkage, Text, Name + ".name");
    Entries.push_back(
        ConstantStruct::get(InitTy, {NameVar, Addr, OldBytes, PointerTable,
                                     NewInit, ConstantInt::get(I64, Size)}));
  }
  // New initialisers without an entry are not needed.
  for (const PatchPlan::GlobalChange *G : Candidates)
    if (GlobalVariable *NI = M.getNamedGlobal(newInitName(G->NewSymbol)))
      if (!NI->hasLocalLinkage())
        NI->eraseFromParent();
  if (Entries.empty())
    return;
  Entries.push_back(Constant::getNullValue(InitTy));
  ArrayType *TableTy = ArrayType::get(InitTy, Entries.size());
  new GlobalVariable(M, TableTy, true, GlobalValue::ExternalLinkage,
                     ConstantArray::get(TableTy, Entries),
                     "__dsu_global_inits");
}
