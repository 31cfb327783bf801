//===- UpdateReach.cpp - functions that may be active at an update point ---===//
//
// A function that can never be on the stack when the program reaches an
// update point needs no indirection for its own calls: no frame of it exists
// when an update commits, so after the update it is only ever entered through
// its slot, i.e. in its newest version, and that version calls the newest
// callees as long as every patch that changes a callee also rebuilds the
// callers that call it directly (lib/Patch/Diff.cpp does). Such functions call
// functions of their own translation unit directly, which lets the optimiser
// inline them: this is what brings an updatable build close to a plain one.
//
// The analysis is whole-program (it runs at link time over every TU's model)
// and conservative. A function is active at an update point if
//
//   * it contains an update point, or
//   * it calls, by name, a function that is active at an update point, or
//   * it calls through a function pointer, or calls a function defined
//     outside the program that may call back (every one but the C library
//     functions known not to, see LibraryCalls.cpp), and some function whose
//     address is taken anywhere in the program is active at an update point.
//
// Assumptions, documented in docs/update-model.md: code not built by dsu-cc
// contains no update points, and calls program functions only through
// pointers it was given (so their address is taken) or by their plain name.
// Signal handlers run on top of whatever frames they interrupt and must not
// contain update points.
//
//===----------------------------------------------------------------------===//
#include "dsu/Analysis/UpdateReach.h"
#include "dsu/Analysis/LibraryCalls.h"

#include <map>

using namespace dsu;

/// The fixpoint described above, starting from the functions in Active.
static std::set<std::string> activeFrom(const ProgramModel &P,
                                        std::set<std::string> Active) {
  std::map<std::string, const FunctionInfo *> Defined = P.functionsBySymbol();
  std::map<std::string, std::string> External = P.externalSymbols();
  auto Resolve = [&](const std::string &Name) -> std::string {
    if (Defined.count(Name))
      return Name;
    auto It = External.find(Name);
    return It == External.end() ? std::string() : It->second;
  };

  std::set<std::string> AddressTaken;
  for (const TUModel &TU : P.TUs) {
    for (const FunctionInfo &F : TU.Functions)
      if (F.AddressTaken || !F.Managed)
        AddressTaken.insert(F.Symbol);
    for (const std::string &Name : TU.AddressTakenExternals)
      if (std::string S = Resolve(Name); !S.empty())
        AddressTaken.insert(S);
  }

  bool Changed = true;
  while (Changed) {
    Changed = false;
    bool CallbacksReachUpdates = false;
    for (const std::string &S : AddressTaken)
      if (Active.count(S)) {
        CallbacksReachUpdates = true;
        break;
      }
    for (const auto &[Symbol, F] : Defined) {
      if (Active.count(Symbol))
        continue;
      bool Reaches = CallbacksReachUpdates && F->IndirectCalls;
      for (const std::string &Callee : F->Callees) {
        if (Reaches)
          break;
        std::string S = Resolve(Callee);
        if (S.empty()) // a library function
          Reaches = CallbacksReachUpdates && libraryMayCallBack(Callee);
        else
          Reaches = Active.count(S) > 0;
      }
      if (Reaches) {
        Active.insert(Symbol);
        Changed = true;
      }
    }
  }
  return Active;
}

std::set<std::string> dsu::functionsActiveAtUpdatePoints(const ProgramModel &P) {
  std::set<std::string> Seeds;
  for (const TUModel &TU : P.TUs)
    for (const UpdatePointInfo &U : TU.UpdatePoints)
      Seeds.insert(U.Function);
  return activeFrom(P, std::move(Seeds));
}

std::set<std::string> dsu::functionsActiveAt(const ProgramModel &P,
                                             const UpdatePointInfo &U) {
  return activeFrom(P, {U.Function});
}

size_t dsu::markDirectCalls(ProgramModel &P) {
  std::set<std::string> Active = functionsActiveAtUpdatePoints(P);
  size_t Marked = 0;
  for (TUModel &TU : P.TUs)
    for (FunctionInfo &F : TU.Functions) {
      F.DirectCalls = F.Managed && !Active.count(F.Symbol);
      Marked += F.DirectCalls;
    }
  return Marked;
}
