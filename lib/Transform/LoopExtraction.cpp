//===- LoopExtraction.cpp - loops with update points, one call per turn -----===//
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
//===----------------------------------------------------------------------===//
#include "dsu/Transform/Transform.h"

#include "llvm/Analysis/LoopInfo.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/Instructions.h"
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
} // namespace

unsigned dsu::extractUpdateLoops(Module &M) {
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
      ++Extracted;
    }
  }
  return Extracted;
}
