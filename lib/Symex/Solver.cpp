//===- Solver.cpp - Independence slicing, query cache and Z3 --------------===//
//
// Independence. A path condition is a conjunction of constraints over the
// bytes of the symbolic objects. A question about expression e only depends
// on the constraints that are transitively connected to e's variables:
// starting from vars(e), repeatedly add every constraint that shares a
// variable with the set collected so far, and its variables, until nothing
// changes. The other constraints are satisfiable on their own (every path
// condition is), over disjoint variables, so dropping them changes neither
// the answer nor the values of e's variables in a model. Programs that read
// several independent inputs (a request's fields, the update flag) get much
// smaller queries this way.
//
// Cache. After slicing, the question is keyed by the sorted ids of its
// constraints plus the ids of the expression and of the wanted terms (Z3
// terms are hash-consed, so equal terms have equal ids). Forked paths ask
// the same questions again and again: both sides of a branch re-check
// constraints that their common prefix already checked. An expression
// found unsatisfiable with a set of constraints stays so with any superset
// of that set, which is what a deeper path asks: such a question is
// answered Unsat from the cache too (KLEE's counterexample cache does the
// same with subsets).
//
// Recent models (a counterexample cache, after KLEE's). Sibling paths of a
// depth-first exploration share almost all of their constraints, so a
// model Z3 found for one question often satisfies the next: before a
// question goes to Z3, the last few models found are evaluated on it
// (Z3_model_eval with completion, which fixes every variable a model does
// not mention, so that the evaluation is of one total assignment), and the
// first under which the expression and every constraint are true answers
// Sat, with the wanted values taken from it. That is a proof, not a guess:
// an assignment that satisfies the query. Unsat answers still come from Z3.
//
// Z3. Each question gets a fresh assertion set (solver reset) and a
// timeout. Which solver: Z3's SMT core alone answers most questions of a
// path fastest (sort_holds: 0.37 s against 1.7 s through bit-blasting
// tactics), but a question with a division (a divider circuit) is answered
// faster by bit-blasting it, through a solver for the logic QF_ABV (redis
// SET/GET's questions: 8.3 s with that split, 15 s with QF_ABV alone, 18 s
// with the SMT core alone). Z3's general solver, reused as we do, turns
// incremental and was slowest of all (41 s; 21 s for sort_holds): it only
// answers where the QF_ABV tactic gives up ("incomplete" on some terms
// over constant arrays). An unknown answer is reported as such, never
// guessed. Z3 reports its
// internal exceptions (out of memory, a failed tactic, a malformed term)
// through the context's error handler, which records the message
// (Expr.cpp); the query then fails with "solver failure (MESSAGE)", as a
// timeout fails with "solver failure (timeout)", and the executor stops
// only that path with the reason. Nothing that fails is cached.
//
//===----------------------------------------------------------------------===//

#include "Solver.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <set>
#include <unordered_map>

using namespace dsu::symex;
using llvm::APInt;

Solver::~Solver() = default;

void dsu::symex::printQuery(llvm::raw_ostream &OS, ExprContext &Ctx,
                            const Query &Q) {
  Z3_context Z = Ctx.z3();
  std::set<std::string> Decls;
  std::vector<std::string> Asserts;
  auto Add = [&](Z3_ast E) {
    for (unsigned Id : Ctx.variables(E)) {
      Z3_ast V = Ctx.variableById(Id);
      std::string Name = Z3_get_symbol_string(
          Z, Z3_get_decl_name(Z, Z3_get_app_decl(Z, Z3_to_app(Z, V))));
      Decls.insert("(declare-fun |" + Name + "| () (_ BitVec " +
                   std::to_string(Ctx.width(V)) + "))");
    }
    Asserts.push_back("(assert " + Ctx.str(E) + ")");
  };
  for (Z3_ast C : Q.Constraints)
    Add(C);
  if (Q.Expr)
    Add(Q.Expr);
  std::sort(Asserts.begin(), Asserts.end());
  for (const auto &D : Decls)
    OS << D << "\n";
  for (const auto &A : Asserts) {
    // Keep one assertion per line: Z3 pretty-prints long terms over lines.
    bool Space = false;
    for (char C : A) {
      if (C == '\n' || C == ' ') {
        Space = true;
        continue;
      }
      if (Space)
        OS << ' ';
      Space = false;
      OS << C;
    }
    OS << "\n";
  }
  OS << "(check-sat)\n";
}

namespace {

class Z3Solver : public Solver {
public:
  Z3Solver(ExprContext &Ctx, const SolverOptions &O, SolverStats &Stats)
      : Ctx(Ctx), Opts(O), Stats(Stats) {
    Z3_context Z = Ctx.z3();
    // Three solvers, each reset per question (see the essay at the top):
    // Z3's SMT core alone for most questions, a solver for the logic QF_ABV
    // (bit-blasting) for those with a division, and Z3's general solver
    // where the logic's tactic gives up. (Each object is referenced before
    // the next call: Z3 may free an unreferenced one then.)
    Simple = Z3_mk_simple_solver(Z);
    Z3_solver_inc_ref(Z, Simple);
    S = Z3_mk_solver_for_logic(Z, Z3_mk_string_symbol(Z, "QF_ABV"));
    Z3_solver_inc_ref(Z, S);
    General = Z3_mk_solver(Z);
    Z3_solver_inc_ref(Z, General);
    Z3_params P = Z3_mk_params(Z);
    Z3_params_inc_ref(Z, P);
    Z3_params_set_uint(Z, P, Z3_mk_string_symbol(Z, "timeout"), O.TimeoutMs);
    for (Z3_solver Each : {Simple, S, General})
      Z3_solver_set_params(Z, Each, P);
    Z3_params_dec_ref(Z, P);
  }
  ~Z3Solver() override {
    for (Z3_model M : Recent)
      Z3_model_dec_ref(Ctx.z3(), M);
    for (Z3_solver Each : {Simple, S, General})
      Z3_solver_dec_ref(Ctx.z3(), Each);
  }

  llvm::Expected<SatResult> check(const Query &Q, llvm::ArrayRef<Z3_ast> Wanted,
                                  std::vector<APInt> *Values) override {
    Z3_context Z = Ctx.z3();
    for (size_t I = 0; I < Recent.size(); ++I)
      if (satisfies(Recent[I], Q)) {
        ++Stats.ModelHits;
        if (Values && !valuesOf(Recent[I], Wanted, *Values))
          break; // a failed evaluation: ask Z3 instead
        // Most recently useful first.
        std::rotate(Recent.begin(), Recent.begin() + I, Recent.begin() + I + 1);
        return SatResult::Sat;
      }
    ++Stats.Z3Queries;
    auto Start = std::chrono::steady_clock::now();
    // A failure while the terms were built (they may be null) is reported
    // before they reach the solver.
    std::string Failure;
    ExprContext::takeFailure(Failure);
    Z3_lbool R = Z3_L_UNDEF;
    Z3_solver Used = S;
    auto Solve = [&](Z3_solver With) {
      Used = With;
      Z3_solver_reset(Z, With);
      for (Z3_ast C : Q.Constraints)
        Z3_solver_assert(Z, With, C);
      if (Q.Expr)
        Z3_solver_assert(Z, With, Q.Expr);
      R = Z3_solver_check(Z, With);
      ExprContext::takeFailure(Failure);
    };
    auto Reason = [&] {
      Z3_string Why = Z3_solver_get_reason_unknown(Z, Used);
      return std::string(Why && *Why ? Why : "unknown");
    };
    if (Failure.empty()) {
      bool Division = Q.Expr && Ctx.hasDivision(Q.Expr);
      for (Z3_ast C : Q.Constraints)
        Division = Division || Ctx.hasDivision(C);
      Solve(Division ? S : Simple);
      // The logic's tactic gives up on some array terms ("incomplete"):
      // the general solver decides those. A timeout is not retried.
      if (Failure.empty() && R == Z3_L_UNDEF &&
          Reason().find("incomplete") != std::string::npos)
        Solve(General);
    }
    if (Failure.empty() && R == Z3_L_UNDEF)
      Failure = Reason();
    if (!Failure.empty()) {
      // An unknown answer (a timeout, out of memory, an internal error)
      // becomes an error with the reason; it is never guessed or cached.
      Stats.Z3Seconds += std::chrono::duration<double>(
                             std::chrono::steady_clock::now() - Start)
                             .count();
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "solver failure (" + Failure + ")");
    }
    SatResult Result = R == Z3_L_TRUE    ? SatResult::Sat
                       : R == Z3_L_FALSE ? SatResult::Unsat
                                         : SatResult::Unknown;
    if (Result == SatResult::Sat && (Values || Opts.RecentModels)) {
      Z3_model M = Z3_solver_get_model(Z, Used);
      Z3_model_inc_ref(Z, M);
      if (Values)
        valuesOf(M, Wanted, *Values);
      if (Opts.RecentModels) {
        Recent.insert(Recent.begin(), M);
        if (Recent.size() > Opts.RecentModels) {
          Z3_model_dec_ref(Z, Recent.back());
          Recent.pop_back();
        }
      } else
        Z3_model_dec_ref(Z, M);
    }
    Stats.Z3Seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - Start)
            .count();
    // DSU_DEBUG_SLOW_QUERIES=MS: each query Z3 took longer than MS
    // milliseconds to answer, on standard error (profiling, not output).
    static const long SlowMs = [] {
      const char *E = getenv("DSU_DEBUG_SLOW_QUERIES");
      return E ? atol(E) : -1;
    }();
    if (SlowMs >= 0) {
      double Ms = 1000 * std::chrono::duration<double>(
                             std::chrono::steady_clock::now() - Start)
                             .count();
      if (Ms >= SlowMs) {
        llvm::errs() << "; slow query " << Stats.Z3Queries << ": " << Ms
                     << " ms\n";
        printQuery(llvm::errs(), Ctx, Q);
      }
    }
    if (Opts.Dump) {
      *Opts.Dump << "; query " << Stats.Z3Queries << "\n";
      printQuery(*Opts.Dump, Ctx, Q);
      *Opts.Dump << "; "
                 << (Result == SatResult::Sat     ? "sat"
                     : Result == SatResult::Unsat ? "unsat"
                                                  : "unknown")
                 << "\n";
    }
    return Result;
  }

private:
  /// Whether the query's expression and constraints are all true under M.
  bool satisfies(Z3_model M, const Query &Q) {
    Z3_context Z = Ctx.z3();
    auto True = [&](Z3_ast E) {
      Z3_ast Out = nullptr;
      bool Ok = Z3_model_eval(Z, M, E, true, &Out) && Out &&
                Z3_get_bool_value(Z, Out) == Z3_L_TRUE;
      std::string Failure;
      ExprContext::takeFailure(Failure);
      return Ok && Failure.empty();
    };
    // The expression first: it is the part the model was not found for.
    if (Q.Expr && !True(Q.Expr))
      return false;
    return llvm::all_of(Q.Constraints, True);
  }

  /// The values of Wanted under M; false if an evaluation failed.
  bool valuesOf(Z3_model M, llvm::ArrayRef<Z3_ast> Wanted,
                std::vector<APInt> &Values) {
    Values.clear();
    bool Ok = true;
    for (Z3_ast W : Wanted) {
      Z3_ast Out = nullptr;
      APInt V(Ctx.width(W), 0);
      if (Z3_model_eval(Ctx.z3(), M, W, true, &Out) && Out)
        Ctx.numeralValue(Out, V);
      else
        Ok = false;
      std::string Failure;
      ExprContext::takeFailure(Failure);
      Ok &= Failure.empty();
      Values.push_back(V);
    }
    return Ok;
  }

  ExprContext &Ctx;
  SolverOptions Opts;
  SolverStats &Stats;
  Z3_solver Simple, S, General;
  /// The last models Z3 found, most recently useful first (owned).
  std::vector<Z3_model> Recent;
};

class CachingSolver : public Solver {
public:
  CachingSolver(std::unique_ptr<Solver> Next, ExprContext &Ctx,
                SolverStats &Stats)
      : Next(std::move(Next)), Ctx(Ctx), Stats(Stats) {}

  llvm::Expected<SatResult> check(const Query &Q, llvm::ArrayRef<Z3_ast> Wanted,
                                  std::vector<APInt> *Values) override {
    std::vector<unsigned> Key;
    Key.reserve(Q.Constraints.size() + Wanted.size() + 2);
    for (Z3_ast C : Q.Constraints)
      Key.push_back(Ctx.id(C));
    std::sort(Key.begin(), Key.end());
    Key.erase(std::unique(Key.begin(), Key.end()), Key.end());
    Key.push_back(~0u);
    Key.push_back(Q.Expr ? Ctx.id(Q.Expr) : ~0u);
    if (Values)
      for (Z3_ast W : Wanted)
        Key.push_back(Ctx.id(W));
    auto It = Cache.find(Key);
    if (It != Cache.end()) {
      ++Stats.CacheHits;
      if (Values)
        *Values = It->second.Values;
      return It->second.Result;
    }
    // The constraints' ids, sorted (the key's part before ~0u).
    llvm::ArrayRef<unsigned> Ids(
        Key.data(),
        size_t(std::find(Key.begin(), Key.end(), ~0u) - Key.begin()));
    unsigned ExprId = Q.Expr ? Ctx.id(Q.Expr) : ~0u;
    auto Unsat = UnsatWith.find(ExprId);
    if (Unsat != UnsatWith.end())
      for (const std::vector<unsigned> &Subset : Unsat->second)
        if (std::includes(Ids.begin(), Ids.end(), Subset.begin(),
                          Subset.end())) {
          ++Stats.CacheHits;
          return SatResult::Unsat;
        }
    std::vector<APInt> Local;
    auto R = Next->check(Q, Wanted, Values ? &Local : nullptr);
    if (!R)
      return R.takeError();
    if (*R != SatResult::Unknown) {
      Entry &E = Cache[Key];
      E.Result = *R;
      E.Values = Local;
    }
    if (*R == SatResult::Unsat) {
      std::vector<std::vector<unsigned>> &Sets = UnsatWith[ExprId];
      // A few sets per expression: the smallest are the most useful, and
      // the list is scanned on every question about the expression.
      if (Sets.size() < MaxUnsatSets)
        Sets.emplace_back(Ids.begin(), Ids.end());
    }
    if (Values)
      *Values = std::move(Local);
    return *R;
  }

private:
  struct Entry {
    SatResult Result;
    std::vector<APInt> Values;
  };
  std::unique_ptr<Solver> Next;
  ExprContext &Ctx;
  SolverStats &Stats;
  std::map<std::vector<unsigned>, Entry> Cache;
  static constexpr size_t MaxUnsatSets = 16;
  /// Expression id -> constraint-id sets it was found unsatisfiable with.
  std::unordered_map<unsigned, std::vector<std::vector<unsigned>>> UnsatWith;
};

class IndependentSolver : public Solver {
public:
  IndependentSolver(std::unique_ptr<Solver> Next, ExprContext &Ctx,
                    SolverStats &Stats)
      : Next(std::move(Next)), Ctx(Ctx), Stats(Stats) {}

  llvm::Expected<SatResult> check(const Query &Q, llvm::ArrayRef<Z3_ast> Wanted,
                                  std::vector<APInt> *Values) override {
    Stats.ConstraintsIn += Q.Constraints.size();
    std::set<unsigned> Vars;
    auto AddVars = [&](Z3_ast E) {
      const auto &V = Ctx.variables(E);
      Vars.insert(V.begin(), V.end());
    };
    if (Q.Expr)
      AddVars(Q.Expr);
    for (Z3_ast W : Wanted)
      AddVars(W);
    std::vector<bool> Taken(Q.Constraints.size(), false);
    bool Changed = true;
    while (Changed) {
      Changed = false;
      for (size_t I = 0; I < Q.Constraints.size(); ++I) {
        if (Taken[I])
          continue;
        const auto &V = Ctx.variables(Q.Constraints[I]);
        bool Shares = V.empty() || llvm::any_of(V, [&](unsigned X) {
                        return Vars.count(X);
                      });
        if (!Shares)
          continue;
        Taken[I] = true;
        size_t Before = Vars.size();
        Vars.insert(V.begin(), V.end());
        Changed |= Vars.size() != Before;
      }
    }
    std::vector<Z3_ast> Slice;
    for (size_t I = 0; I < Q.Constraints.size(); ++I)
      if (Taken[I])
        Slice.push_back(Q.Constraints[I]);
    Stats.SlicedAway += Q.Constraints.size() - Slice.size();
    Query Sliced;
    Sliced.Constraints = Slice;
    Sliced.Expr = Q.Expr;
    return Next->check(Sliced, Wanted, Values);
  }

private:
  std::unique_ptr<Solver> Next;
  ExprContext &Ctx;
  SolverStats &Stats;
};

class CountingSolver : public Solver {
public:
  CountingSolver(std::unique_ptr<Solver> Next, SolverStats &Stats)
      : Next(std::move(Next)), Stats(Stats) {}
  llvm::Expected<SatResult> check(const Query &Q, llvm::ArrayRef<Z3_ast> Wanted,
                                  std::vector<APInt> *Values) override {
    ++Stats.Queries;
    return Next->check(Q, Wanted, Values);
  }

private:
  std::unique_ptr<Solver> Next;
  SolverStats &Stats;
};

} // namespace

std::unique_ptr<Solver> dsu::symex::createSolver(ExprContext &Ctx,
                                                 const SolverOptions &O,
                                                 SolverStats &Stats) {
  std::unique_ptr<Solver> S = std::make_unique<Z3Solver>(Ctx, O, Stats);
  if (O.Cache)
    S = std::make_unique<CachingSolver>(std::move(S), Ctx, Stats);
  if (O.Independence)
    S = std::make_unique<IndependentSolver>(std::move(S), Ctx, Stats);
  return std::make_unique<CountingSolver>(std::move(S), Stats);
}
