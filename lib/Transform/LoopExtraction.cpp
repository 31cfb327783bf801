//===- LoopExtraction.cpp - loops with update points, one call per turn
//-----===//
//
// The function that holds an update point, typically the one with the main
// loop, is on the stack for as long as the program runs, so a change to it
// would otherwise never take effect. As Ginseng does, dsu-cc moves the body
// of every innermost loop that contains an update point into a function of
// its own, `<function>.loopN`, which the loop calls once per iteration. That
// function is managed like any other: it is reached through its slot, so
// after an update the next iteration runs the new body.
//
// The extraction uses LLVM's CodeExtractor on the unoptimised module, where
// locals live in allocas of the entry block: the body receives pointers to
// the locals it uses, and returns which way it left the loop (continue,
// break, return). Its identity hashes that signature and the layout of every
// local of the enclosing frame it receives (the "dsu-loop-frame" attribute:
// with opaque pointers, two bodies whose locals differ, an int status that
// became a struct, have the same IR signature). So a new version whose loop
// body needs other locals, locals of other types, or has other exits is a
// new function, and the old loop keeps calling its old body, which fits its
// frame: the change then waits for the next call of the enclosing function,
// as without extraction.
//
// Control migration (Kitsune's approach) lets the new body take over such a
// running loop after all: the patch rebinds the old body's slot to an
// adapter that keeps the locals the new body needs in another form in a
// block of its own, filled once from the old frame by a local-state
// transformer (lib/Patch/LoopMigration.cpp). For that the body is described
// here, while the enclosing function is at hand ("dsu-loop-args" and
// "dsu-loop-exits", read into the model by Identities.cpp):
//  - each argument: the local it points to by name (clang's names are kept,
//    see ClangFrontend.cpp) and C type, whether the enclosing function uses
//    it again once it has called the body (then the old code after the loop
//    or in its header reads it, and it cannot move to the block), and the
//    constant it is initialised with before the loop, if any ("?" when the
//    initialiser is not a constant);
//  - each exit: the value the body returns for it and where it leads in the
//    enclosing function: "continue" for the next turn, "return:" and the
//    stores of a `return` in the loop, "after:" and a text of the code after
//    the loop, so that two versions' bodies can be checked to mean the same
//    by each value.
//
//===----------------------------------------------------------------------===//
#include "dsu/Transform/Transform.h"

#include "llvm/Analysis/LoopInfo.h"
#include "llvm/IR/CFG.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Module.h"
#include "llvm/Transforms/Utils/CodeExtractor.h"

#include <set>

using namespace llvm;
using namespace dsu;

namespace {
/// The innermost loop of F that contains a call to UpdatePoint and has a
/// body besides its header, or null.
Loop *nextLoop(Function &F, Function *UpdatePoint, LoopInfo &LI) {
  for (BasicBlock &BB : F)
    for (Instruction &I : BB)
      if (auto *CB = dyn_cast<CallBase>(&I))
        if (CB->getCalledFunction() == UpdatePoint)
          if (Loop *L = LI.getLoopFor(&BB))
            if (&BB != L->getHeader())
              return L;
  return nullptr;
}
/// What an extracted body relies on in the frame of its caller: for each
/// argument, the layout of the local it points to (or the type of the value
/// it receives).
std::string frameText(Function &Body) {
  std::string S;
  for (User *U : Body.users()) {
    auto *CB = dyn_cast<CallBase>(U);
    if (!CB || CB->getCalledFunction() != &Body)
      continue;
    for (Value *Arg : CB->args()) {
      if (auto *AI = dyn_cast<AllocaInst>(Arg->stripPointerCasts()))
        S += "local " + structuralTypeText(AI->getAllocatedType()) + ";";
      else
        S += "value " + structuralTypeText(Arg->getType()) + ";";
    }
    break; // one call site: the loop's
  }
  return S;
}

/// Where a value that the body returns leads in the enclosing function: the
/// next turn, or a short text of the code there (following blocks that only
/// branch on), which two versions share when the exit means the same.
std::string exitText(BasicBlock *Target, BasicBlock *Header) {
  for (int Hops = 0; Hops < 4 && Target != Header; ++Hops) {
    auto *Br = dyn_cast<BranchInst>(Target->getFirstNonPHIOrDbgOrLifetime());
    if (!Br || Br->isConditional())
      break;
    Target = Br->getSuccessor(0);
  }
  if (Target == Header)
    return "continue";
  std::string S;
  auto Name = [](const Value *V) -> std::string {
    if (auto *C = dyn_cast<ConstantInt>(V))
      return std::to_string(C->getSExtValue());
    return V->hasName() ? V->getName().str() : "_";
  };
  // A `return` in the loop: the block only stores the value to return (and
  // clang's cleanup slot) and branches on to the function's return.
  bool Returns = false, OnlyStores = true;
  for (Instruction &I : *Target) {
    if (isa<DbgInfoIntrinsic>(I) || I.isLifetimeStartOrEnd() ||
        I.isTerminator())
      continue;
    auto *St = dyn_cast<StoreInst>(&I);
    OnlyStores &= St != nullptr;
    Returns |= St && St->getPointerOperand()->getName() == "retval";
  }
  S = Returns && OnlyStores ? "return:" : "after:";
  for (Instruction &I : *Target) {
    if (isa<DbgInfoIntrinsic>(I) || I.isLifetimeStartOrEnd())
      continue;
    S += I.getOpcodeName();
    if (auto *St = dyn_cast<StoreInst>(&I))
      S += " " + Name(St->getValueOperand()) + " " +
           Name(St->getPointerOperand());
    else if (auto *Ld = dyn_cast<LoadInst>(&I))
      S += " " + Name(Ld->getPointerOperand());
    else if (auto *CB = dyn_cast<CallBase>(&I))
      S += " " + (CB->getCalledFunction()
                      ? CB->getCalledFunction()->getName().str()
                      : std::string("indirect"));
    S += ";";
  }
  return S;
}

/// The exits of the body that Call calls, by the value it returns
/// ("default" for the switch's default), each "VALUE=WHERE".
std::string exitsText(CallInst *Call, BasicBlock *Header) {
  std::vector<std::string> Exits;
  Instruction *Term = Call->getParent()->getTerminator();
  if (auto *Sw = dyn_cast<SwitchInst>(Term); Sw && Sw->getCondition() == Call) {
    Exits.push_back("default=" + exitText(Sw->getDefaultDest(), Header));
    for (auto &Case : Sw->cases())
      Exits.push_back(std::to_string(Case.getCaseValue()->getZExtValue()) +
                      "=" + exitText(Case.getCaseSuccessor(), Header));
  } else if (auto *Br = dyn_cast<BranchInst>(Term)) {
    if (Br->isUnconditional() && Call->getType()->isVoidTy())
      Exits.push_back("default=" + exitText(Br->getSuccessor(0), Header));
    else if (Br->isConditional() && Br->getCondition() == Call) {
      Exits.push_back("1=" + exitText(Br->getSuccessor(0), Header));
      Exits.push_back("0=" + exitText(Br->getSuccessor(1), Header));
    }
  }
  std::sort(Exits.begin(), Exits.end());
  std::string S;
  for (const std::string &E : Exits)
    S += E + "\n";
  return S;
}

/// The part of the enclosing function that runs once it has called the
/// body: the call's block after the call, and every block reachable from it.
class AfterCall {
public:
  explicit AfterCall(CallInst *Call) : Call(Call) {
    std::vector<const BasicBlock *> Work(succ_begin(Call->getParent()),
                                         succ_end(Call->getParent()));
    while (!Work.empty()) {
      const BasicBlock *BB = Work.back();
      Work.pop_back();
      if (Reach.insert(BB).second)
        Work.insert(Work.end(), succ_begin(BB), succ_end(BB));
    }
  }
  bool contains(const Instruction *I) const {
    return Reach.count(I->getParent()) ||
           (I->getParent() == Call->getParent() && Call->comesBefore(I));
  }

  /// The instructions that use the local AI (through addresses derived from
  /// it), without the call itself, lifetime markers and debug records.
  std::vector<const Instruction *> uses(const AllocaInst *AI) const {
    std::vector<const Instruction *> Out;
    std::vector<const Value *> Addresses = {AI};
    while (!Addresses.empty()) {
      const Value *V = Addresses.back();
      Addresses.pop_back();
      for (const User *U : V->users()) {
        auto *I = dyn_cast<Instruction>(U);
        if (!I || I == Call || isa<DbgInfoIntrinsic>(I) ||
            I->isLifetimeStartOrEnd())
          continue;
        if (isa<GetElementPtrInst>(I) || isa<CastInst>(I))
          Addresses.push_back(I);
        else
          Out.push_back(I);
      }
    }
    return Out;
  }

private:
  CallInst *Call;
  std::set<const BasicBlock *> Reach;
};

/// Whether the enclosing function uses AI again once it has called the body.
bool usedAfterCall(const AllocaInst *AI, const AfterCall &After) {
  return llvm::any_of(After.uses(AI),
                      [&](const Instruction *I) { return After.contains(I); });
}

/// The constant the enclosing function stores into AI before the loop, ""
/// if none, "?" if not one constant.
std::string initialiser(const AllocaInst *AI, const AfterCall &After) {
  std::string Init;
  for (const Instruction *I : After.uses(AI)) {
    if (After.contains(I) || isa<LoadInst>(I))
      continue; // reads before the loop do not set it
    std::string This = "?";
    if (auto *St = dyn_cast<StoreInst>(I);
        St && St->getPointerOperand() == AI) {
      const Value *V = St->getValueOperand();
      if (auto *C = dyn_cast<ConstantInt>(V))
        This = std::to_string(C->getSExtValue());
      else if (isa<ConstantPointerNull>(V) || isa<ConstantAggregateZero>(V))
        This = "0";
    } else if (auto *MS = dyn_cast<MemSetInst>(I)) {
      if (auto *C = dyn_cast<ConstantInt>(MS->getValue()); C && C->isZero())
        This = "0";
    }
    if (!Init.empty() && Init != This)
      return "?";
    Init = This;
  }
  return Init;
}

/// The bytes a local's storage takes.
uint64_t allocSize(const AllocaInst *AI) {
  std::optional<TypeSize> Size =
      AI->getAllocationSize(AI->getModule()->getDataLayout());
  return Size && !Size->isScalable() ? Size->getFixedValue() : 0;
}

/// "dsu-loop-args": one line per argument of the body,
/// "local|value" NAME LAYOUT USED-AFTER INIT CTYPE, separated by '|'.
std::string argsText(CallInst *Call, StringRef Enclosing,
                     const LocalTypeLookup &LocalType) {
  AfterCall After(Call);
  std::string S;
  for (Value *Arg : Call->args()) {
    if (auto *AI = dyn_cast<AllocaInst>(Arg->stripPointerCasts())) {
      std::string Name = AI->getName().str();
      S += "local|" + Name + "|" + structuralTypeText(AI->getAllocatedType()) +
           "|" + (usedAfterCall(AI, After) ? "1" : "0") + "|" +
           initialiser(AI, After) + "|" +
           (LocalType ? LocalType(Enclosing, Name, allocSize(AI))
                      : std::string()) +
           "\n";
    } else {
      S += "value|" + (Arg->hasName() ? Arg->getName().str() : "") + "|" +
           structuralTypeText(Arg->getType()) + "|1||\n";
    }
  }
  return S;
}
} // namespace

unsigned dsu::extractUpdateLoops(Module &M, const LocalTypeLookup &LocalType) {
  Function *UpdatePoint = M.getFunction("__dsu_update_point");
  if (!UpdatePoint)
    return 0;
  std::set<Function *> Holders;
  for (User *U : UpdatePoint->users())
    if (auto *CB = dyn_cast<CallBase>(U))
      Holders.insert(CB->getFunction());
  unsigned Extracted = 0;
  for (Function *F : Holders) {
    if (F->isDeclaration() || F->isVarArg())
      continue;
    std::string Base = F->getName().str();
    for (unsigned N = 0; N < 16; ++N) {
      DominatorTree DT(*F);
      LoopInfo LI(DT);
      Loop *L = nextLoop(*F, UpdatePoint, LI);
      if (!L)
        break;
      BasicBlock *Header = L->getHeader();
      SmallVector<BasicBlock *, 16> Body;
      for (BasicBlock *BB : L->blocks())
        if (BB != L->getHeader())
          Body.push_back(BB);
      CodeExtractor CE(Body, &DT, /*AggregateArgs=*/false, nullptr, nullptr,
                       nullptr, /*AllowVarArgs=*/false, /*AllowAlloca=*/true,
                       nullptr, "dsuloop");
      if (!CE.isEligible())
        break;
      CodeExtractorAnalysisCache CEAC(*F);
      Function *Body0 = CE.extractCodeRegion(CEAC);
      if (!Body0)
        break;
      Body0->setName(Base + ".loop" + std::to_string(N));
      Body0->setLinkage(GlobalValue::InternalLinkage);
      Body0->addFnAttr("dsu-loop-frame", frameText(*Body0));
      for (User *U : Body0->users())
        if (auto *Call = dyn_cast<CallInst>(U);
            Call && Call->getCalledFunction() == Body0) {
          Body0->addFnAttr("dsu-loop-args", argsText(Call, Base, LocalType));
          Body0->addFnAttr("dsu-loop-exits", exitsText(Call, Header));
          break;
        }
      ++Extracted;
    }
  }
  return Extracted;
}
