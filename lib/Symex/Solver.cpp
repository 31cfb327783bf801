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
// an assignment that satisfies the query. The models are evaluated natively
// (Evaluate.cpp) when every term of the question is one the evaluator
// covers, else by Z3_model_eval.
//
// Small domains. Requests are bytes, and a verification's alphabet or
// grammar leaves each byte a handful of values; Z3 took 10-30 ms for such a
// question when it held a hash of the bytes (a 64-bit multiplier to blast),
// while trying every value natively takes microseconds. So when every
// variable of a question has at most 8 bits, the values each may take by
// the conditions over it alone are computed (at most 256 evaluations), and
// a depth-first search assigns the variables in order, checking each
// condition as soon as its last variable is assigned. The search is
// exhaustive, so its Unsat is as much a proof as its Sat; it gives up after
// a budget of evaluations, and Z3 answers then. DSU_CHECK_NATIVE_SOLVER=1
// has Z3 check every native answer (tests of the evaluator).
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
#include "Evaluate.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <optional>
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
    for (RecentModel &R : Recent)
      if (R.M)
        Z3_model_dec_ref(Ctx.z3(), R.M);
    for (Z3_solver Each : {Simple, S, General})
      Z3_solver_dec_ref(Ctx.z3(), Each);
  }

  llvm::Expected<SatResult> check(const Query &Q, llvm::ArrayRef<Z3_ast> Wanted,
                                  std::vector<APInt> *Values) override {
    // A Z3 error raised while the terms were built (they may be null) is
    // the answer, before anything evaluates them.
    std::string Failure;
    if (ExprContext::takeFailure(Failure))
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "solver failure (" + Failure + ")");
    // The question's terms, compiled for the native evaluator: the
    // conditions (constraints and expression), then the wanted terms.
    std::vector<Z3_ast> Terms(Q.Constraints.begin(), Q.Constraints.end());
    if (Q.Expr)
      Terms.push_back(Q.Expr);
    size_t NumConditions = Terms.size();
    Terms.insert(Terms.end(), Wanted.begin(), Wanted.end());
    TermEvaluator::Program P;
    if (Opts.Native && Eval.compile(Terms, P)) {
      std::optional<SatResult> R =
          checkNatively(Q, P, Terms, NumConditions, Wanted.size(), Values);
      if (R)
        return *R;
    } else {
      for (size_t I = 0; I < Recent.size(); ++I)
        if (Recent[I].M && satisfies(Recent[I].M, Q)) {
          ++Stats.ModelHits;
          if (Values && !valuesOf(Recent[I].M, Wanted, *Values))
            break; // a failed evaluation: ask Z3 instead
          // Most recently useful first.
          std::rotate(Recent.begin(), Recent.begin() + I,
                      Recent.begin() + I + 1);
          return SatResult::Sat;
        }
    }
    return askZ3(Q, Wanted, Values);
  }

private:
  llvm::Expected<SatResult> askZ3(const Query &Q, llvm::ArrayRef<Z3_ast> Wanted,
                                  std::vector<APInt> *Values) {
    Z3_context Z = Ctx.z3();
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
      if (Opts.RecentModels)
        remember(M, assignmentOf(M));
      else
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

  /// A total assignment: the values of some variables, sorted by id; every
  /// other variable is 0.
  using Assignment = std::vector<std::pair<unsigned, uint64_t>>;
  struct RecentModel {
    Z3_model M = nullptr; ///< Owned; null for a model found natively.
    Assignment Values;
  };

  /// Puts a model first in the recent list (taking M's reference).
  void remember(Z3_model M, Assignment Values) {
    Recent.insert(Recent.begin(), RecentModel{M, std::move(Values)});
    if (Recent.size() > Opts.RecentModels) {
      if (Recent.back().M)
        Z3_model_dec_ref(Ctx.z3(), Recent.back().M);
      Recent.pop_back();
    }
  }

  /// The values Z3's model M gives the variables it mentions.
  Assignment assignmentOf(Z3_model M) {
    Z3_context Z = Ctx.z3();
    Assignment A;
    unsigned N = Z3_model_get_num_consts(Z, M);
    for (unsigned I = 0; I < N; ++I) {
      Z3_func_decl D = Z3_model_get_const_decl(Z, M, I);
      Z3_ast Var = Z3_mk_app(Z, D, 0, nullptr);
      Z3_ast Val = Z3_model_get_const_interp(Z, M, D);
      uint64_t V = 0;
      if (Val && Ctx.variableById(Ctx.id(Var)) == Var &&
          Z3_get_numeral_uint64(Z, Val, &V))
        A.push_back({Ctx.id(Var), V});
    }
    std::string Failure;
    ExprContext::takeFailure(Failure);
    std::sort(A.begin(), A.end());
    return A;
  }

  /// Runs P under A (variables A does not mention are 0).
  void runUnder(const TermEvaluator::Program &P, const Assignment &A) {
    VarValues.assign(P.VarIds.size(), 0);
    auto It = A.begin();
    for (size_t I = 0; I < P.VarIds.size(); ++I) {
      while (It != A.end() && It->first < P.VarIds[I])
        ++It;
      if (It != A.end() && It->first == P.VarIds[I])
        VarValues[I] = It->second;
    }
    Eval.run(P, VarValues);
  }

  bool allTrue(const TermEvaluator::Program &P, size_t NumConditions) {
    for (size_t I = 0; I < NumConditions; ++I)
      if (!Eval.value(P, I))
        return false;
    return true;
  }

  void valuesFrom(const TermEvaluator::Program &P, size_t First, size_t Count,
                  std::vector<APInt> &Values) {
    Values.clear();
    for (size_t I = First; I < First + Count; ++I)
      Values.push_back(APInt(Eval.width(P, I), Eval.value(P, I)));
  }

  /// The question answered without Z3, when it can be: by a recent model,
  /// or by trying every value of variables with small domains (see
  /// enumerate). None when Z3 must answer.
  std::optional<SatResult> checkNatively(const Query &Q,
                                         const TermEvaluator::Program &P,
                                         llvm::ArrayRef<Z3_ast> Terms,
                                         size_t NumConditions, size_t NumWanted,
                                         std::vector<APInt> *Values) {
    for (size_t I = 0; I < Recent.size(); ++I) {
      runUnder(P, Recent[I].Values);
      if (!allTrue(P, NumConditions))
        continue;
      ++Stats.ModelHits;
      if (Values)
        valuesFrom(P, NumConditions, NumWanted, *Values);
      if (CrossCheck)
        crossCheck(Q, SatResult::Sat, Recent[I].Values);
      std::rotate(Recent.begin(), Recent.begin() + I, Recent.begin() + I + 1);
      return SatResult::Sat;
    }
    Assignment Found;
    std::optional<SatResult> R =
        enumerate(P, Terms.take_front(NumConditions), Found);
    if (!R)
      return std::nullopt;
    ++Stats.EnumerationAnswers;
    if (CrossCheck)
      crossCheck(Q, *R, Found);
    if (*R == SatResult::Sat) {
      if (Values) {
        runUnder(P, Found);
        valuesFrom(P, NumConditions, NumWanted, *Values);
      }
      if (Opts.RecentModels)
        remember(nullptr, std::move(Found));
    }
    return R;
  }

  /// Decides the conditions by trying values, when every variable has at
  /// most 8 bits: a variable's domain is the values that satisfy the
  /// conditions over it alone (an alphabet, a range), and a depth-first
  /// search assigns the variables in turn, checking each condition as soon
  /// as its variables are assigned. Exhaustive, so Unsat is a proof as
  /// much as Sat is; None when the search would take longer than Z3 is
  /// likely to (a step budget).
  std::optional<SatResult> enumerate(const TermEvaluator::Program &P,
                                     llvm::ArrayRef<Z3_ast> Conditions,
                                     Assignment &Found) {
    const std::vector<unsigned> &Vars = P.VarIds;
    for (unsigned Id : Vars)
      if (Ctx.width(Ctx.variableById(Id)) > MaxEnumeratedBits)
        return std::nullopt;
    auto IndexOf = [&](unsigned Id) {
      return size_t(std::lower_bound(Vars.begin(), Vars.end(), Id) -
                    Vars.begin());
    };
    // Conditions by the last variable they read; those over one variable
    // alone make its domain.
    std::vector<std::vector<Z3_ast>> Unit(Vars.size()), AtLevel(Vars.size());
    std::vector<Z3_ast> Closed;
    // A variable no condition reads (one only a wanted term reads) is not
    // searched: 0 serves.
    std::vector<bool> Read(Vars.size(), false);
    for (Z3_ast C : Conditions) {
      const std::vector<unsigned> &CV = Ctx.variables(C);
      for (unsigned Id : CV) {
        size_t I = IndexOf(Id);
        if (I == Vars.size() || Vars[I] != Id)
          return std::nullopt; // a variable the compiled terms do not read
        Read[I] = true;
      }
      if (CV.empty())
        Closed.push_back(C);
      else if (CV.size() == 1)
        Unit[IndexOf(CV[0])].push_back(C);
      else
        AtLevel[IndexOf(CV.back())].push_back(C);
    }
    unsigned Budget = EnumerationBudget;
    TermEvaluator::Program Check;
    if (!Closed.empty()) {
      if (!Eval.compile(Closed, Check))
        return std::nullopt;
      Eval.run(Check, {});
      if (!allTrue(Check, Closed.size()))
        return SatResult::Unsat;
    }
    std::vector<std::vector<uint8_t>> Domains(Vars.size());
    for (size_t I = 0; I < Vars.size(); ++I) {
      unsigned Values = 1u << Ctx.width(Ctx.variableById(Vars[I]));
      if (Unit[I].empty()) {
        for (unsigned V = 0; V < (Read[I] ? Values : 1); ++V)
          Domains[I].push_back(uint8_t(V));
        continue;
      }
      if (!Eval.compile(Unit[I], Check))
        return std::nullopt;
      for (unsigned V = 0; V < Values; ++V) {
        uint64_t Value = V;
        Eval.run(Check, llvm::ArrayRef<uint64_t>(Value));
        if (allTrue(Check, Unit[I].size()))
          Domains[I].push_back(uint8_t(V));
      }
      if (Budget < Values)
        return std::nullopt;
      Budget -= Values;
      if (Domains[I].empty())
        return SatResult::Unsat;
    }
    std::vector<TermEvaluator::Program> Levels(Vars.size());
    for (size_t I = 0; I < Vars.size(); ++I)
      if (!AtLevel[I].empty() && !Eval.compile(AtLevel[I], Levels[I]))
        return std::nullopt;
    // Depth-first over the domains; Choice[I] indexes Domains[I].
    Found.clear();
    for (unsigned Id : Vars)
      Found.push_back({Id, 0});
    std::vector<size_t> Choice(Vars.size(), 0);
    size_t Depth = 0;
    if (Vars.empty())
      return SatResult::Sat;
    while (true) {
      if (Choice[Depth] == Domains[Depth].size()) {
        // Every value of this variable tried: back to the previous one.
        Choice[Depth] = 0;
        if (Depth == 0)
          return SatResult::Unsat;
        ++Choice[--Depth];
        continue;
      }
      Found[Depth].second = Domains[Depth][Choice[Depth]];
      bool Holds = true;
      if (!AtLevel[Depth].empty()) {
        if (Budget == 0)
          return std::nullopt;
        --Budget;
        runUnder(Levels[Depth], Found);
        Holds = allTrue(Levels[Depth], AtLevel[Depth].size());
      }
      if (!Holds) {
        ++Choice[Depth];
        continue;
      }
      if (Depth + 1 == Vars.size())
        return SatResult::Sat;
      ++Depth;
    }
  }

  /// DSU_CHECK_NATIVE_SOLVER=1: every native answer is checked by Z3 (the
  /// verdict, and a Sat assignment evaluated by Z3_model_eval); a
  /// difference is a bug in the evaluator, reported and fatal.
  void crossCheck(const Query &Q, SatResult Native, const Assignment &A) {
    Z3_context Z = Ctx.z3();
    Z3_solver_reset(Z, General);
    for (Z3_ast C : Q.Constraints)
      Z3_solver_assert(Z, General, C);
    if (Q.Expr)
      Z3_solver_assert(Z, General, Q.Expr);
    Z3_lbool R = Z3_solver_check(Z, General);
    bool Agrees =
        R == Z3_L_UNDEF || (R == Z3_L_TRUE) == (Native == SatResult::Sat);
    if (Agrees && Native == SatResult::Sat) {
      Z3_model M = Z3_mk_model(Z);
      Z3_model_inc_ref(Z, M);
      std::set<unsigned> Given;
      auto Give = [&](unsigned Id, uint64_t V) {
        if (!Given.insert(Id).second)
          return;
        Z3_ast Var = Ctx.variableById(Id);
        Z3_add_const_interp(Z, M, Z3_get_app_decl(Z, Z3_to_app(Z, Var)),
                            Ctx.numeral(APInt(Ctx.width(Var), V)));
      };
      for (auto &[Id, V] : A)
        Give(Id, V);
      // The variables the assignment leaves out are 0, as natively.
      for (Z3_ast C : Q.Constraints)
        for (unsigned Id : Ctx.variables(C))
          Give(Id, 0);
      if (Q.Expr)
        for (unsigned Id : Ctx.variables(Q.Expr))
          Give(Id, 0);
      Agrees = satisfies(M, Q);
      Z3_model_dec_ref(Z, M);
    }
    if (!Agrees) {
      llvm::errs() << "dsu symex: internal error: the native evaluator's "
                   << (Native == SatResult::Sat ? "sat" : "unsat")
                   << " answer differs from z3's on:\n";
      printQuery(llvm::errs(), Ctx, Q);
      abort();
    }
  }

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
  /// The last models found, most recently useful first.
  std::vector<RecentModel> Recent;
  TermEvaluator Eval{Ctx};
  std::vector<uint64_t> VarValues; ///< runUnder's scratch.
  static constexpr unsigned MaxEnumeratedBits = 8;
  /// Condition evaluations one enumeration may spend before Z3 is asked
  /// instead. A search that gives up is pure loss: 20,000 made sort_holds
  /// 1.7x slower than no enumeration, 2,000 makes it 1.5x faster (and
  /// still decides every question of kvparse and the kvserver verify).
  static constexpr unsigned EnumerationBudget = 2000;
  const bool CrossCheck = [] {
    const char *E = getenv("DSU_CHECK_NATIVE_SOLVER");
    return E && *E && *E != '0';
  }();
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
