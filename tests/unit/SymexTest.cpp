// Unit tests of the symbolic executor's layers: values, solver stack
// (slicing and caching), memory, test-case format. Expr.h, Memory.h and
// Solver.h are lib/Symex's private headers: these tests reach inside.
#include "dsu/Symex/Symex.h"
#include "Expr.h"
#include "Memory.h"
#include "Solver.h"

#include "gtest/gtest.h"
#include <functional>
#include <map>

using namespace dsu::symex;
using llvm::APInt;

TEST(SymexExpr, FoldsConcreteArithmetic) {
  ExprContext C;
  ExprBuilder B(C);
  SVal X = SVal::concrete(32, 7), Y = SVal::concrete(32, 5);
  EXPECT_EQ(B.add(X, Y).zext(), 12u);
  EXPECT_EQ(B.sub(Y, X).value().getSExtValue(), -2);
  EXPECT_EQ(B.mul(X, Y).zext(), 35u);
  EXPECT_TRUE(B.cmp(CmpKind::Slt, Y, X).value().getBoolValue());
  EXPECT_EQ(B.sext(SVal::concrete(8, 0xff), 32).zext(), 0xffffffffu);
  EXPECT_EQ(B.concat(SVal::concrete(8, 1), SVal::concrete(8, 2)).zext(),
            0x102u);
  EXPECT_EQ(B.extract(SVal::concrete(32, 0x12345678), 8, 8).zext(), 0x56u);
}

TEST(SymexExpr, KeepsPointerBaseVisible) {
  ExprContext C;
  ExprBuilder B(C);
  SVal X = SVal::symbolic(C.variable("x", 64), 64);
  SVal P = B.add(B.add(SVal::concrete(64, 1000), X), SVal::concrete(64, 8));
  // (1000 + x) + 8 is kept as 1008 + x.
  EXPECT_EQ(C.str(P.sym()), "(bvadd #x00000000000003f0 x)");
}

// Division by a constant happens at the dividend's own width, and a
// quotient of a quotient is one division: each rewrite is checked equal to
// the plain Z3 term by the solver, and small by its text.
TEST(SymexExpr, DividesAtTheValuesWidth) {
  ExprContext C;
  ExprBuilder B(C);
  Z3_context Z = C.z3();
  SVal Byte = SVal::symbolic(C.variable("x", 8), 8);
  // 16 bits for y: Z3 takes half a minute to prove the 64-bit identity.
  SVal Wide = SVal::symbolic(C.variable("y", 16), 16);
  SVal X = B.zext(Byte, 64);
  auto Ten = SVal::concrete(64, 10), Big = SVal::concrete(64, 1000);
  auto ProvedEqual = [&](const SVal &Rewritten, Z3_ast Plain) {
    Z3_solver S = Z3_mk_solver(Z);
    Z3_solver_inc_ref(Z, S);
    Z3_solver_assert(Z, S, Z3_mk_not(Z, Z3_mk_eq(Z, B.bv(Rewritten), Plain)));
    bool Equal = Z3_solver_check(Z, S) == Z3_L_FALSE;
    Z3_solver_dec_ref(Z, S);
    return Equal;
  };
  SVal Q = B.udiv(X, Ten), R = B.urem(X, Ten);
  EXPECT_EQ(C.str(Q.sym()), "((_ zero_extend 56) (bvudiv x #x0a))");
  EXPECT_EQ(C.str(R.sym()), "((_ zero_extend 56) (bvurem x #x0a))");
  EXPECT_TRUE(ProvedEqual(Q, Z3_mk_bvudiv(Z, B.bv(X), B.bv(Ten))));
  EXPECT_TRUE(ProvedEqual(R, Z3_mk_bvurem(Z, B.bv(X), B.bv(Ten))));
  // A divisor wider than the value: the quotient is 0, the remainder x.
  EXPECT_TRUE(B.udiv(X, Big).isConcrete());
  EXPECT_EQ(B.udiv(X, Big).zext(), 0u);
  EXPECT_TRUE(ProvedEqual(B.urem(X, Big), Z3_mk_bvurem(Z, B.bv(X), B.bv(Big))));
  // (y / 10) / 10 is y / 100; (y / 2^10) / 2^10 is 0.
  auto Ten16 = SVal::concrete(16, 10);
  SVal Twice = B.udiv(B.udiv(Wide, Ten16), Ten16);
  EXPECT_EQ(C.str(Twice.sym()), "(bvudiv y #x0064)");
  EXPECT_TRUE(ProvedEqual(
      Twice,
      Z3_mk_bvudiv(Z, Z3_mk_bvudiv(Z, B.bv(Wide), B.bv(Ten16)), B.bv(Ten16))));
  // y / 100 == 0 is y < 100; zext(x) != 0 is x != 0.
  EXPECT_EQ(C.str(B.cmp(CmpKind::Eq, Twice, SVal::concrete(16, 0)).sym()),
            "(bvult y #x0064)");
  EXPECT_EQ(C.str(B.cmp(CmpKind::Ne, X, SVal::concrete(64, 0)).sym()),
            "(not (= x #x00))");
  SVal Huge = SVal::concrete(APInt::getOneBitSet(16, 10));
  EXPECT_TRUE(B.udiv(B.udiv(Wide, Huge), Huge).isConcrete());
}

static Z3_ast eq(ExprContext &C, Z3_ast A, uint64_t V) {
  return Z3_mk_eq(C.z3(), A, C.numeral(APInt(8, V)));
}

TEST(SymexSolver, SlicesIndependentConstraints) {
  ExprContext C;
  SolverStats Stats;
  SolverOptions O;
  auto S = createSolver(C, O, Stats);
  Z3_ast A = C.variable("a", 8), Bv = C.variable("b", 8);
  std::vector<Z3_ast> PC = {eq(C, A, 1), eq(C, Bv, 2)};
  Query Q;
  Q.Constraints = PC;
  Q.Expr = eq(C, A, 1);
  auto R = S->check(Q, {}, nullptr);
  ASSERT_TRUE(!!R);
  EXPECT_EQ(*R, SatResult::Sat);
  EXPECT_EQ(Stats.SlicedAway, 1u); // b = 2 has nothing to do with a.
  Q.Expr = eq(C, A, 3);
  R = S->check(Q, {}, nullptr);
  ASSERT_TRUE(!!R);
  EXPECT_EQ(*R, SatResult::Unsat);
}

TEST(SymexSolver, CachesRepeatedQueries) {
  ExprContext C;
  SolverStats Stats;
  SolverOptions O;
  auto S = createSolver(C, O, Stats);
  Z3_ast A = C.variable("a", 8);
  std::vector<Z3_ast> PC = {Z3_mk_bvugt(C.z3(), A, C.numeral(APInt(8, 10)))};
  Query Q;
  Q.Constraints = PC;
  Q.Expr = eq(C, A, 11);
  for (int I = 0; I < 3; ++I)
    ASSERT_EQ(*S->check(Q, {}, nullptr), SatResult::Sat);
  EXPECT_EQ(Stats.Queries, 3u);
  EXPECT_EQ(Stats.Z3Queries, 1u);
  EXPECT_EQ(Stats.CacheHits, 2u);
}

TEST(SymexSolver, RecentModelsAnswerSat) {
  ExprContext C;
  SolverStats Stats;
  SolverOptions O;
  auto S = createSolver(C, O, Stats);
  Z3_context Z = C.z3();
  Z3_ast A = C.variable("a", 8);
  std::vector<Z3_ast> PC = {Z3_mk_bvult(Z, A, C.numeral(APInt(8, 10)))};
  Query Q;
  Q.Constraints = PC;
  ASSERT_EQ(*S->check(Q, {}, nullptr), SatResult::Sat);
  EXPECT_EQ(Stats.Z3Queries, 1u);
  // Another question (a < 20) that the model of a < 10 satisfies: no Z3,
  // and the value it gives satisfies the question.
  Q.Expr = Z3_mk_bvult(Z, A, C.numeral(APInt(8, 20)));
  std::vector<APInt> V;
  ASSERT_EQ(*S->check(Q, {A}, &V), SatResult::Sat);
  EXPECT_EQ(Stats.Z3Queries, 1u);
  EXPECT_EQ(Stats.ModelHits, 1u);
  ASSERT_EQ(V.size(), 1u);
  EXPECT_LT(V[0].getZExtValue(), 10u);
  // An unsatisfiable one goes to Z3 and says so.
  Q.Expr = eq(C, A, 200);
  EXPECT_EQ(*S->check(Q, {}, nullptr), SatResult::Unsat);
  EXPECT_EQ(Stats.Z3Queries, 2u);
  // Switched off, every question reaches Z3.
  SolverStats Off;
  O.RecentModels = 0;
  auto S2 = createSolver(C, O, Off);
  Q.Expr = nullptr;
  ASSERT_EQ(*S2->check(Q, {}, nullptr), SatResult::Sat);
  Q.Expr = Z3_mk_bvult(Z, A, C.numeral(APInt(8, 20)));
  ASSERT_EQ(*S2->check(Q, {}, nullptr), SatResult::Sat);
  EXPECT_EQ(Off.Z3Queries, 2u);
  EXPECT_EQ(Off.ModelHits, 0u);
}

TEST(SymexSolver, UnsatStaysUnsatWithMoreConstraints) {
  ExprContext C;
  SolverStats Stats;
  SolverOptions O;
  auto S = createSolver(C, O, Stats);
  Z3_context Z = C.z3();
  Z3_ast A = C.variable("a", 8);
  Z3_ast Small = Z3_mk_bvult(Z, A, C.numeral(APInt(8, 10)));
  Z3_ast Odd = Z3_mk_eq(Z, Z3_mk_extract(Z, 0, 0, A), C.numeral(APInt(1, 1)));
  std::vector<Z3_ast> PC = {Small};
  Query Q;
  Q.Constraints = PC;
  Q.Expr = eq(C, A, 50);
  ASSERT_EQ(*S->check(Q, {}, nullptr), SatResult::Unsat);
  EXPECT_EQ(Stats.Z3Queries, 1u);
  // A deeper path asks the same with one more constraint on a: answered
  // from the subset found unsatisfiable.
  std::vector<Z3_ast> Deeper = {Small, Odd};
  Q.Constraints = Deeper;
  ASSERT_EQ(*S->check(Q, {}, nullptr), SatResult::Unsat);
  EXPECT_EQ(Stats.Z3Queries, 1u);
  EXPECT_EQ(Stats.CacheHits, 1u);
  // Not a superset: asked of Z3 (a = 5 and odd is satisfiable).
  std::vector<Z3_ast> Other = {Odd};
  Q.Constraints = Other;
  Q.Expr = eq(C, A, 5);
  EXPECT_EQ(*S->check(Q, {}, nullptr), SatResult::Sat);
}

TEST(SymexSolver, ModelsGiveValues) {
  ExprContext C;
  SolverStats Stats;
  SolverOptions O;
  auto S = createSolver(C, O, Stats);
  Z3_ast A = C.variable("a", 8);
  std::vector<Z3_ast> PC = {eq(C, A, 42)};
  Query Q;
  Q.Constraints = PC;
  std::vector<APInt> V;
  ASSERT_EQ(*S->check(Q, {A}, &V), SatResult::Sat);
  ASSERT_EQ(V.size(), 1u);
  EXPECT_EQ(V[0].getZExtValue(), 42u);
}

TEST(SymexSolver, DumpIsStable) {
  ExprContext C;
  Z3_ast A = C.variable("a", 8), Bv = C.variable("b", 8);
  std::vector<Z3_ast> PC = {eq(C, Bv, 2), eq(C, A, 1)};
  Query Q;
  Q.Constraints = PC;
  std::string Text;
  llvm::raw_string_ostream OS(Text);
  printQuery(OS, C, Q);
  EXPECT_EQ(OS.str(), "(declare-fun |a| () (_ BitVec 8))\n"
                      "(declare-fun |b| () (_ BitVec 8))\n"
                      "(assert (= a #x01))\n"
                      "(assert (= b #x02))\n"
                      "(check-sat)\n");
}

TEST(SymexMemory, LoadReturnsStoredTerm) {
  ExprContext C;
  ExprBuilder B(C);
  MemoryOps M(B);
  MemObject O;
  O.Size = 8;
  O.Bytes.resize(8);
  SVal X = SVal::symbolic(C.variable("x", 32), 32);
  M.write(O, SVal::concrete(64, 4), X);
  SVal R = M.read(O, SVal::concrete(64, 4), 4);
  EXPECT_EQ(R.sym(), X.sym());
  M.write(O, SVal::concrete(64, 0), SVal::concrete(32, 0x01020304));
  EXPECT_EQ(M.read(O, SVal::concrete(64, 0), 2).zext(), 0x0304u);
}

TEST(SymexMemory, SymbolicOffsetSwitchesToArray) {
  ExprContext C;
  ExprBuilder B(C);
  MemoryOps M(B);
  MemObject O;
  O.Size = 4;
  O.Bytes.resize(4);
  SVal I = SVal::symbolic(C.variable("i", 64), 64);
  M.write(O, I, SVal::concrete(8, 9));
  EXPECT_NE(O.Array, nullptr);
  SVal R = M.read(O, I, 1);
  EXPECT_FALSE(R.isConcrete());
  // Reading back at the same symbolic offset must give 9 in every model.
  SolverStats Stats;
  auto S = createSolver(C, SolverOptions(), Stats);
  Query Q;
  Q.Expr = Z3_mk_not(C.z3(), Z3_mk_eq(C.z3(), R.sym(), C.numeral(APInt(8, 9))));
  EXPECT_EQ(*S->check(Q, {}, nullptr), SatResult::Unsat);
}

TEST(SymexTestCase, RoundTrips) {
  TestCase T;
  T.Error = "division by zero";
  T.Kind = "division-by-zero";
  T.Where = "a.c:3";
  T.Objects.push_back({"x", {0x2a, 0, 0, 0}});
  T.Stdin = std::vector<uint8_t>{'G', 'E', 'T', '\n'};
  T.Output = "hi \"there\"\n\x01";
  std::string Text = formatTestCase(T);
  auto P = parseTestCase(Text);
  ASSERT_TRUE(!!P);
  EXPECT_EQ(P->Error, T.Error);
  EXPECT_EQ(P->Kind, T.Kind);
  ASSERT_EQ(P->Objects.size(), 1u);
  EXPECT_EQ(P->Objects[0].Bytes, T.Objects[0].Bytes);
  EXPECT_EQ(*P->Stdin, *T.Stdin);
  EXPECT_EQ(P->Output, T.Output);
}

//===-- The engine through its library interface -----------------------===//

static std::unique_ptr<llvm::Module> compile(llvm::LLVMContext &Ctx,
                                             const std::string &Name) {
  CompileOptions CO;
  CO.Clang = DSU_CLANG_PATH;
  auto M = compileProgram(
      Ctx, {std::string(DSU_TEST_SOURCE_DIR) + "/tests/symex/programs/" + Name},
      CO);
  if (!M) {
    ADD_FAILURE() << llvm::toString(M.takeError());
    return nullptr;
  }
  return std::move(*M);
}

TEST(SymexEngine, MagicValueTestCaseHoldsTheMagic) {
  llvm::LLVMContext Ctx;
  auto M = compile(Ctx, "magic.c");
  ASSERT_TRUE(M);
  Options O;
  O.Progress = nullptr;
  auto R = runSymex(*M, O);
  ASSERT_TRUE(!!R);
  EXPECT_EQ(R->V, Verdict::Error);
  ASSERT_EQ(R->Errors.size(), 1u);
  const ErrorReport &E = R->Errors[0];
  EXPECT_EQ(E.Kind, "assertion");
  EXPECT_EQ(E.Where.Line, 11u);
  ASSERT_EQ(E.Case.Objects.size(), 1u);
  EXPECT_EQ(E.Case.Objects[0].Name, "x");
  std::vector<uint8_t> Magic = {0xde, 0xc0, 0xad, 0x1b};
  EXPECT_EQ(E.Case.Objects[0].Bytes, Magic);
}

TEST(SymexEngine, EveryStrategyProvesTheSort) {
  for (SearchKind K : {SearchKind::DFS, SearchKind::BFS, SearchKind::RandomPath,
                       SearchKind::Coverage}) {
    llvm::LLVMContext Ctx;
    auto M = compile(Ctx, "sort_holds.c");
    ASSERT_TRUE(M);
    Options O;
    O.Progress = nullptr;
    O.Search = K;
    auto R = runSymex(*M, O);
    ASSERT_TRUE(!!R);
    EXPECT_EQ(R->V, Verdict::Holds);
    EXPECT_EQ(R->Stats.PathsCompleted, 120u); // 5! orderings
  }
}

TEST(SymexEngine, BoundsMakeTheVerdictUnknown) {
  llvm::LLVMContext Ctx;
  auto M = compile(Ctx, "loop_bound.c");
  ASSERT_TRUE(M);
  Options O;
  O.Progress = nullptr;
  O.MaxLoopIterations = 3;
  auto R = runSymex(*M, O);
  ASSERT_TRUE(!!R);
  EXPECT_EQ(R->V, Verdict::Unknown);
  EXPECT_NE(R->Reason.find("loop bound"), std::string::npos);
  Options P;
  P.Progress = nullptr;
  P.MaxPaths = 2;
  llvm::LLVMContext Ctx2;
  auto M2 = compile(Ctx2, "sort_holds.c");
  R = runSymex(*M2, P);
  ASSERT_TRUE(!!R);
  EXPECT_EQ(R->V, Verdict::Unknown);
  EXPECT_EQ(R->Reason, "max-paths reached");
}

TEST(SymexEngine, CacheAnswersWithoutChangingTheVerdict) {
  uint64_t Z3With = 0, Z3Without = 0;
  for (bool Cache : {true, false}) {
    llvm::LLVMContext Ctx;
    auto M = compile(Ctx, "merged_broken.c");
    ASSERT_TRUE(M);
    Options O;
    O.Progress = nullptr;
    O.SymStdin = 8;
    O.QueryCache = Cache;
    auto R = runSymex(*M, O);
    ASSERT_TRUE(!!R);
    EXPECT_EQ(R->V, Verdict::Error);
    (Cache ? Z3With : Z3Without) = R->Stats.Z3Queries;
  }
  EXPECT_LT(Z3With * 2, Z3Without);
}

TEST(SymexSolver, AZ3ErrorIsAFailureWithItsReason) {
  // A term Z3 rejects (an 8-bit plus a 16-bit vector) raises a Z3 error.
  // The handler used to print it and let the null term reach the solver;
  // now the query fails with the reason, and the engine says unknown.
  ExprContext C;
  SolverStats Stats;
  SolverOptions O;
  auto S = createSolver(C, O, Stats);
  Z3_ast A = C.variable("a", 8), W = C.variable("w", 16);
  Z3_ast Bad = Z3_mk_bvadd(C.z3(), A, W);
  (void)Bad;
  Query Q;
  Q.Expr = eq(C, A, 1);
  auto R = S->check(Q, {}, nullptr);
  ASSERT_FALSE(!!R);
  std::string Msg = llvm::toString(R.takeError());
  EXPECT_NE(Msg.find("solver failure ("), std::string::npos) << Msg;
  // The failure is not cached and does not stick: the next query works.
  R = S->check(Q, {}, nullptr);
  ASSERT_TRUE(!!R);
  EXPECT_EQ(*R, SatResult::Sat);
}

TEST(SymexMemory, SymbolicReadOfALargeTableIsShallow) {
  // A read at a symbolic offset of a 40,000-byte object is a balanced tree
  // over the offset's bits (log2 deep), not a chain of 40,000 ite terms.
  ExprContext C;
  ExprBuilder B(C);
  MemoryOps Mem(B);
  MemObject O;
  O.Size = 40000;
  O.Bytes.resize(O.Size);
  for (uint64_t I = 0; I < O.Size; I += 4)
    Mem.write(O, SVal::concrete(64, I), SVal::concrete(32, I / 4));
  SVal Off = SVal::symbolic(C.variable("off", 64), 64);
  SVal V = Mem.read(O, Off, 4);
  ASSERT_FALSE(V.isConcrete());
  std::map<unsigned, unsigned> Memo;
  std::function<unsigned(Z3_ast)> Depth = [&](Z3_ast E) -> unsigned {
    if (Z3_get_ast_kind(C.z3(), E) != Z3_APP_AST)
      return 1;
    auto It = Memo.find(C.id(E));
    if (It != Memo.end())
      return It->second;
    Z3_app App = Z3_to_app(C.z3(), E);
    unsigned D = 0;
    for (unsigned I = 0, N = Z3_get_app_num_args(C.z3(), App); I < N; ++I)
      D = std::max(D, Depth(Z3_get_app_arg(C.z3(), App, I)));
    return Memo[C.id(E)] = D + 1;
  };
  EXPECT_LE(Depth(V.sym()), 40u);
  // Offset 4 * 123 reads entry 123.
  ExprContext &Cx = C;
  SolverStats Stats;
  auto S = createSolver(Cx, SolverOptions(), Stats);
  std::vector<Z3_ast> PC = {Z3_mk_eq(C.z3(), Off.sym(),
                                     C.numeral(APInt(64, 4 * 123)))};
  Query Q;
  Q.Constraints = PC;
  std::vector<APInt> Values;
  auto R = S->check(Q, {V.sym()}, &Values);
  ASSERT_TRUE(!!R);
  ASSERT_EQ(*R, SatResult::Sat);
  EXPECT_EQ(Values[0].getZExtValue(), 123u);
}

TEST(SymexEngine, ExitReturnsToTheHarness) {
  llvm::LLVMContext Ctx;
  auto M = compile(Ctx, "exit_returns.c");
  ASSERT_TRUE(M);
  Options O;
  O.Progress = nullptr;
  auto R = runSymex(*M, O);
  ASSERT_TRUE(!!R);
  EXPECT_EQ(R->V, Verdict::Holds); // exit ends the path
  O.ExitReturnsFrom = "__sub.";
  R = runSymex(*M, O);
  ASSERT_TRUE(!!R);
  ASSERT_EQ(R->V, Verdict::Error); // exit(7) returned 7 to main
  EXPECT_NE(R->Errors[0].Message.find("exit returned to the harness"),
            std::string::npos);
}
