//===- Contexts.cpp - call sites recorded as an update point's context ----===//
//
// The continuation analysis (Continuations.cpp) knows, for an update point,
// every frame that may be active there and what the rest of each uses; but
// a function is usually active through several of its calls, and only some
// continue into code that uses what a patch changes. memcached's `main`
// calls its timer handler once at start-up, then enters libevent's loop,
// which calls the same handler every second: the update point in the
// handler is unsafe in the first context (main goes on to initialise the
// structures a patch changes) and safe in the second (main only removes its
// pid file after the loop). A verdict per point must refuse both.
//
// So the verdict is per call site, and the runtime checks the contexts it
// actually finds: dsu-cc brackets every context call of a function that may
// be active at an update point (lib/Transform/Contexts.cpp) with a push and
// a pop of the call's site id on a per-thread stack, `__dsu_context`
// (patch_format.h). A patch that is unsafe at a point only through some
// call sites lists the sites through which the point is safe; the runtime
// applies it there only if every site on the thread's stack is one of them.
//
// Soundness rests on three things, each checked rather than assumed:
//  * the id names the call in one version of one body: symbol, body hash
//    and the call's ordinal among the function's calls (intrinsics, whose
//    in-memory form differs between readers, are not counted). A frame of an
//    earlier version still running (a loop or `main` never replaced) carries
//    an id no patch lists, so the update waits rather than trust it;
//  * a site counts as a safe context only if it was instrumented: its
//    function was built without direct calls (all those the whole-program
//    analysis at link time finds possibly active) and the call is a context
//    call by the rule below, which the instrumentation and the analysis
//    share; otherwise the point is unsafe in every context;
//  * the pop restores the depth saved before the call instead of
//    decrementing, so a longjmp over instrumented frames leaves stale
//    entries (which can only make the update wait), never a short stack;
//    a stack deeper than the slots makes the update wait too.
//
//===----------------------------------------------------------------------===//
#include "dsu/Analysis/Contexts.h"
#include "dsu/Analysis/LibraryCalls.h"
#include "dsu/Support/Hash.h"

#include "llvm/IR/Function.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"

using namespace llvm;

/// Calls that take part in the ordinal count: all but intrinsics and inline
/// assembly.
static bool countsAsCall(const Instruction &I) {
  const auto *CB = dyn_cast<CallBase>(&I);
  return CB && !CB->isInlineAsm() && !isa<IntrinsicInst>(CB);
}

bool dsu::isContextCall(const CallBase &CB) {
  if (CB.isInlineAsm() || isa<IntrinsicInst>(&CB))
    return false;
  const auto *Callee =
      dyn_cast<Function>(CB.getCalledOperand()->stripPointerCasts());
  if (!Callee)
    return true;
  StringRef Name = Callee->getName();
  // The update point itself: the frame that holds it is on the stack too.
  if (Name == "__dsu_update_point")
    return true;
  if (Name.starts_with("__dsu") || Name.starts_with("dsu_"))
    return false;
  return !Callee->isDeclaration() || libraryMayCallBack(Name);
}

uint64_t dsu::contextSiteId(StringRef Symbol, StringRef BodyHash,
                            unsigned Ordinal) {
  uint64_t Id =
      hashString((Symbol + "#" + BodyHash + "#" + Twine(Ordinal)).str());
  return Id ? Id : 1;
}

std::map<const CallBase *, uint64_t>
dsu::callSiteIds(const Function &F, StringRef Symbol, StringRef BodyHash) {
  std::map<const CallBase *, uint64_t> Sites;
  unsigned Ordinal = 0;
  for (const BasicBlock &BB : F)
    for (const Instruction &I : BB) {
      if (!countsAsCall(I))
        continue;
      Sites[cast<CallBase>(&I)] = contextSiteId(Symbol, BodyHash, Ordinal++);
    }
  return Sites;
}
