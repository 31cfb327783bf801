//===- GlobalWrites.cpp - globals the program never writes ----------------===//
//
// A global whose type changes gets new storage in the patch, filled by a
// transformer from the old storage. For a table the program only reads
// (vsftpd's configuration tables: setting names and pointers to the
// variables they set, ending with a null entry), copying the old elements
// by index into a table that gained entries in the middle puts the old
// terminator among the new entries and hides the rest: the next
// configuration reload then fails. If the program can never have written
// the global, its running bytes are its old initialiser, and the new
// initialiser, which the new storage already holds, is the right value.
//
// "Never written" is decided on the stored modules of the whole old build,
// after promoting locals to registers (the stored IR is unoptimised, so a
// pointer walking a table first goes through a local variable): every use
// of the global's address must only read through it. Allowed: loads,
// address arithmetic and casts (followed), phis and selects of such
// addresses (followed), comparisons, the source of memcpy/memmove, and the
// string arguments of a few C library functions that only read them.
// Anything else (a store to it or of its address, a call that receives
// it, a use in another global's initialiser) counts as a possible write,
// and the old value is copied as before.
//
//===----------------------------------------------------------------------===//
#include "dsu/Analysis/GlobalWrites.h"
#include "dsu/Analysis/StoredModules.h"
#include "dsu/Support/Error.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Operator.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Transforms/Utils/Mem2Reg.h"

#include <map>
#include <set>

using namespace dsu;
using namespace llvm;

namespace {

/// C library functions whose pointer arguments (all but those listed as
/// written) are only read; the result of those marked derived points into
/// an argument and is followed.
bool readsOnly(const CallBase &Call, unsigned Arg, bool &Derived) {
  const Function *F = Call.getCalledFunction();
  if (!F)
    return false;
  if (auto *MT = dyn_cast<MemTransferInst>(&Call))
    return Arg == 1 && !MT->isVolatile();
  static const std::set<std::string> Reads = {
      "strcmp", "strncmp", "strcasecmp", "strncasecmp", "strlen", "strnlen",
      "memcmp", "puts",    "atoi",       "atol",        "atoll"};
  static const std::set<std::string> ReadsDerived = {"strchr", "strrchr",
                                                     "strstr", "memchr"};
  // Formatted output reads every argument after the destination.
  static const std::map<std::string, unsigned> Printf = {
      {"printf", 0},   {"fprintf", 1}, {"dprintf", 1}, {"sprintf", 1},
      {"snprintf", 2}, {"syslog", 1},  {"fputs", 0}};
  std::string Name = F->getName().str();
  if (Reads.count(Name))
    return true;
  if (ReadsDerived.count(Name)) {
    Derived = true;
    return true;
  }
  if (auto It = Printf.find(Name); It != Printf.end())
    return Name == "fputs" ? Arg == 0 : Arg >= It->second;
  return false;
}

bool onlyRead(const Value *V, std::set<const Value *> &Seen) {
  if (!Seen.insert(V).second)
    return true;
  for (const User *U : V->users()) {
    if (const auto *L = dyn_cast<LoadInst>(U)) {
      if (L->getPointerOperand() != V || L->isVolatile())
        return false;
      continue;
    }
    if (isa<GEPOperator>(U) || isa<BitCastOperator>(U) ||
        isa<AddrSpaceCastOperator>(U) || isa<PHINode>(U) ||
        isa<SelectInst>(U)) {
      if (const auto *S = dyn_cast<SelectInst>(U); S && S->getCondition() == V)
        continue;
      if (!onlyRead(U, Seen))
        return false;
      continue;
    }
    if (isa<ICmpInst>(U))
      continue;
    if (const auto *Call = dyn_cast<CallBase>(U)) {
      if (isa<DbgInfoIntrinsic>(Call) || Call->isLifetimeStartOrEnd())
        continue;
      bool Derived = false;
      for (unsigned I = 0; I < Call->arg_size(); ++I)
        if (Call->getArgOperand(I) == V && !readsOnly(*Call, I, Derived))
          return false;
      if (Call->getCalledOperand() == V)
        return false;
      if (Derived && !onlyRead(Call, Seen))
        return false;
      continue;
    }
    return false; // a store, a ptrtoint, an initialiser of another global...
  }
  return true;
}

} // namespace

Error dsu::findUnwrittenGlobals(Build &B, StoredModules &Stored) {
  if (Stored.Modules.size() != B.Model.TUs.size())
    return failure("program model and stored modules disagree");
  std::map<std::string, GlobalInfo *> Mutable;
  for (TUModel &TU : B.Model.TUs)
    for (GlobalInfo &G : TU.Globals)
      if (!G.IsConst)
        Mutable[G.Symbol] = &G;
  std::set<std::string> Written;
  for (std::unique_ptr<Module> &M : Stored.Modules) {
    FunctionAnalysisManager FAM;
    PassBuilder PB;
    PB.registerFunctionAnalyses(FAM);
    PromotePass Promote;
    for (Function &F : *M)
      if (!F.isDeclaration())
        Promote.run(F, FAM);
    for (GlobalVariable &G : M->globals()) {
      std::string Name = G.getName().str();
      if (!Mutable.count(Name) || Written.count(Name))
        continue;
      std::set<const Value *> Seen;
      if (!onlyRead(&G, Seen))
        Written.insert(Name);
    }
  }
  for (auto &[Symbol, G] : Mutable)
    G->NeverWritten = !Written.count(Symbol);
  return Error::success();
}
