//===- IRHash.cpp - content hashes of function bodies and constants --------===//
//
// A function "changed" when its body or anything it depends on changed. We
// hash the unoptimised IR of the body after identities were assigned, so a
// reference to another entity contributes that entity's symbol, which already
// encodes its signature (functions) or type and initialiser (globals). Types
// are spelled structurally: a named struct contributes its element types, so
// a layout change reaches every function that touches the struct. Values
// local to the function are numbered in order of appearance, so the hash is
// independent of names and addresses. Debug intrinsics and metadata are left
// out: moving code within the file, or adding a comment, does not make a
// function change. Calls to internal functions that are not managed (always-
// inline helpers) contribute the callee's hash, since their code is inlined.
//
//===----------------------------------------------------------------------===//
#include "dsu/Support/Hash.h"
#include "dsu/Transform/Transform.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/IR/Operator.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/Support/raw_ostream.h"
#include <set>

using namespace llvm;
using namespace dsu;

namespace {
class Hasher {
public:
  StableHasher H;
  std::set<const Function *> InProgress;

  std::string typeText(Type *T) {
    auto It = TypeCache.find(T);
    if (It != TypeCache.end())
      return It->second;
    std::string S;
    if (auto *ST = dyn_cast<StructType>(T)) {
      if (ST->hasName() && InTypes.count(ST))
        return ST->getName().str();
      InTypes.insert(ST);
      S = ST->isPacked() ? "<{" : "{";
      for (Type *E : ST->elements())
        S += typeText(E) + ",";
      S += ST->isPacked() ? "}>" : "}";
      InTypes.erase(ST);
    } else if (auto *AT = dyn_cast<ArrayType>(T)) {
      S = "[" + std::to_string(AT->getNumElements()) + "x" +
          typeText(AT->getElementType()) + "]";
    } else if (auto *VT = dyn_cast<FixedVectorType>(T)) {
      S = "<" + std::to_string(VT->getNumElements()) + "x" +
          typeText(VT->getElementType()) + ">";
    } else if (auto *FT = dyn_cast<FunctionType>(T)) {
      S = typeText(FT->getReturnType()) + "(";
      for (Type *P : FT->params())
        S += typeText(P) + ",";
      S += FT->isVarArg() ? "...)" : ")";
    } else {
      raw_string_ostream OS(S);
      T->print(OS);
    }
    TypeCache[T] = S;
    return S;
  }

  void constant(const Constant *C) {
    if (const auto *GV = dyn_cast<GlobalValue>(C)) {
      if (const auto *Var = dyn_cast<GlobalVariable>(GV);
          Var && Var->hasPrivateLinkage() && Var->hasInitializer()) {
        // String literals and compound literals: their contents matter, not
        // the private name clang happened to give them.
        H.add("private");
        H.add(uint64_t(Var->isConstant()));
        constant(Var->getInitializer());
        return;
      }
      if (const auto *Fn = dyn_cast<Function>(GV);
          Fn && Fn->hasLocalLinkage() && !Fn->isDeclaration()) {
        H.add("inline-callee");
        function(*Fn);
        return;
      }
      H.add("gv");
      H.add(GV->getName());
      return;
    }
    H.add(typeText(C->getType()));
    if (const auto *CI = dyn_cast<ConstantInt>(C)) {
      H.add("int");
      SmallString<32> S;
      CI->getValue().toStringUnsigned(S, 16);
      H.add(S.str());
    } else if (const auto *CF = dyn_cast<ConstantFP>(C)) {
      H.add("fp");
      SmallString<32> S;
      CF->getValueAPF().bitcastToAPInt().toStringUnsigned(S, 16);
      H.add(S.str());
    } else if (const auto *CDS = dyn_cast<ConstantDataSequential>(C)) {
      H.add("data");
      H.add(CDS->getRawDataValues());
    } else if (isa<ConstantAggregateZero>(C)) {
      H.add("zero");
    } else if (isa<ConstantPointerNull>(C)) {
      H.add("null");
    } else if (isa<UndefValue>(C)) {
      H.add(isa<PoisonValue>(C) ? "poison" : "undef");
    } else if (const auto *CE = dyn_cast<ConstantExpr>(C)) {
      H.add("expr");
      H.add(CE->getOpcodeName());
      if (const auto *GEP = dyn_cast<GEPOperator>(CE))
        H.add(typeText(GEP->getSourceElementType()));
      for (const Use &Op : CE->operands())
        constant(cast<Constant>(Op.get()));
    } else if (const auto *BA = dyn_cast<BlockAddress>(C)) {
      H.add("blockaddress");
      H.add(BA->getFunction()->getName());
    } else {
      H.add("aggregate");
      for (const Use &Op : C->operands())
        constant(cast<Constant>(Op.get()));
    }
  }

  void function(const Function &F) {
    if (!InProgress.insert(&F).second) {
      H.add("recursive");
      return;
    }
    DenseMap<const Value *, unsigned> Local;
    unsigned Next = 0;
    for (const Argument &A : F.args())
      Local[&A] = Next++;
    for (const BasicBlock &BB : F) {
      Local[&BB] = Next++;
      for (const Instruction &I : BB)
        Local[&I] = Next++;
    }
    H.add(typeText(F.getFunctionType()));
    for (const BasicBlock &BB : F) {
      H.add("bb");
      for (const Instruction &I : BB) {
        if (isa<DbgInfoIntrinsic>(I))
          continue;
        H.add(I.getOpcodeName());
        H.add(typeText(I.getType()));
        if (const auto *Cmp = dyn_cast<CmpInst>(&I))
          H.add(uint64_t(Cmp->getPredicate()));
        if (const auto *GEP = dyn_cast<GetElementPtrInst>(&I))
          H.add(typeText(GEP->getSourceElementType()));
        if (const auto *AI = dyn_cast<AllocaInst>(&I))
          H.add(typeText(AI->getAllocatedType()));
        if (const auto *LI = dyn_cast<LoadInst>(&I))
          H.add(uint64_t(LI->isVolatile()));
        if (const auto *SI = dyn_cast<StoreInst>(&I))
          H.add(uint64_t(SI->isVolatile()));
        if (const auto *CB = dyn_cast<CallBase>(&I))
          H.add(typeText(CB->getFunctionType()));
        for (const Use &Op : I.operands()) {
          const Value *V = Op.get();
          if (auto It = Local.find(V); It != Local.end()) {
            H.add("local");
            H.add(uint64_t(It->second));
          } else if (const auto *IA = dyn_cast<InlineAsm>(V)) {
            H.add("asm");
            H.add(IA->getAsmString());
            H.add(IA->getConstraintString());
          } else if (const auto *C = dyn_cast<Constant>(V)) {
            constant(C);
          } else {
            H.add("other");
          }
        }
      }
    }
    InProgress.erase(&F);
  }

private:
  DenseMap<Type *, std::string> TypeCache;
  std::set<StructType *> InTypes;
};
} // namespace

std::string dsu::hashFunctionBody(const Function &F) {
  Hasher H;
  H.function(F);
  return H.H.hex(16);
}

std::string dsu::structuralTypeText(Type *T) {
  Hasher H;
  return H.typeText(T);
}

std::string dsu::hashConstant(const Constant &C) {
  Hasher H;
  H.constant(&C);
  return H.H.hex(16);
}
