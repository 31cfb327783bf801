// Unit tests of the symbolic executor's layers: values, solver stack
// (slicing and caching), memory, test-case format. Expr.h, Memory.h and
// Solver.h are lib/Symex's private headers: these tests reach inside.
#include "dsu/Symex/Symex.h"
#include "Evaluate.h"
#include "Expr.h"
#include "Memory.h"
#include "Solver.h"

#include "gtest/gtest.h"
#include <functional>
#include <map>
#include <random>

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

// Random terms over every operation the native evaluator covers, at widths
// that catch masking mistakes, and Z3's simplification of each (n-ary
// forms, rotations), evaluated natively and by Z3_model_eval under random
// assignments: the two must agree on every value.
TEST(SymexEvaluate, AgreesWithZ3OnRandomTerms) {
  ExprContext C;
  Z3_context Z = C.z3();
  std::mt19937_64 Rng(20261201);
  std::vector<Z3_ast> Vars = {C.variable("a", 8),  C.variable("b", 8),
                              C.variable("c", 16), C.variable("d", 32),
                              C.variable("e", 64), C.variable("f", 3)};
  const unsigned Widths[] = {1, 3, 8, 13, 16, 32, 63, 64};
  auto Numeral = [&](unsigned W) {
    uint64_t V = Rng() % 4 == 0 ? Rng() % 4 : Rng();
    return C.numeral(APInt(W, W == 64 ? V : V & ((1ull << W) - 1)));
  };
  std::function<Z3_ast(unsigned, int)> BV;
  std::function<Z3_ast(int)> Bool;
  BV = [&](unsigned W, int Depth) -> Z3_ast {
    if (Depth == 0 || Rng() % 6 == 0) {
      if (Rng() % 3 == 0)
        return Numeral(W);
      Z3_ast V = Vars[Rng() % Vars.size()];
      unsigned VW = C.width(V);
      if (VW == W)
        return V;
      if (VW > W)
        return Z3_mk_extract(Z, W - 1, 0, V);
      return Rng() % 2 ? Z3_mk_zero_ext(Z, W - VW, V)
                       : Z3_mk_sign_ext(Z, W - VW, V);
    }
    auto Sub = [&] { return BV(W, Depth - 1); };
    switch (Rng() % 24) {
    case 0:
      return Z3_mk_bvadd(Z, Sub(), Sub());
    case 1:
      return Z3_mk_bvsub(Z, Sub(), Sub());
    case 2:
      return Z3_mk_bvmul(Z, Sub(), Sub());
    case 3:
      return Z3_mk_bvudiv(Z, Sub(), Sub());
    case 4:
      return Z3_mk_bvurem(Z, Sub(), Sub());
    case 5:
      return Z3_mk_bvsdiv(Z, Sub(), Sub());
    case 6:
      return Z3_mk_bvsrem(Z, Sub(), Sub());
    case 7:
      return Z3_mk_bvand(Z, Sub(), Sub());
    case 8:
      return Z3_mk_bvor(Z, Sub(), Sub());
    case 9:
      return Z3_mk_bvxor(Z, Sub(), Sub());
    case 10:
      return Z3_mk_bvnot(Z, Sub());
    case 11:
      return Z3_mk_bvneg(Z, Sub());
    case 12:
    case 13:
    case 14: {
      // Shift amounts mostly in range, sometimes past the width.
      Z3_ast Amount =
          Rng() % 3
              ? C.numeral(APInt(W, Rng() % (W + 2) %
                                       (W == 1 ? 2 : 1ull << std::min(W, 63u))))
              : Sub();
      Z3_ast V = Sub();
      return Rng() % 3 == 0   ? Z3_mk_bvshl(Z, V, Amount)
             : Rng() % 2 == 0 ? Z3_mk_bvlshr(Z, V, Amount)
                              : Z3_mk_bvashr(Z, V, Amount);
    }
    case 15:
      return Z3_mk_ite(Z, Bool(Depth - 1), Sub(), Sub());
    case 16:
      if (W >= 2) {
        unsigned Hi = 1 + Rng() % (W - 1);
        return Z3_mk_concat(Z, BV(Hi, Depth - 1), BV(W - Hi, Depth - 1));
      }
      return Sub();
    case 17: {
      unsigned From = W + Rng() % (65 - W);
      unsigned Lo = Rng() % (From - W + 1);
      return Z3_mk_extract(Z, Lo + W - 1, Lo, BV(From, Depth - 1));
    }
    case 18:
      if (W >= 2) {
        unsigned From = 1 + Rng() % (W - 1);
        return Rng() % 2 ? Z3_mk_zero_ext(Z, W - From, BV(From, Depth - 1))
                         : Z3_mk_sign_ext(Z, W - From, BV(From, Depth - 1));
      }
      return Sub();
    case 19:
      return Rng() % 2 ? Z3_mk_rotate_left(Z, Rng() % (W + 3), Sub())
                       : Z3_mk_rotate_right(Z, Rng() % (W + 3), Sub());
    case 20:
      if (W % 2 == 0)
        return Z3_mk_repeat(Z, 2, BV(W / 2, Depth - 1));
      return Sub();
    case 21:
      return Rng() % 3 == 0   ? Z3_mk_bvnand(Z, Sub(), Sub())
             : Rng() % 2 == 0 ? Z3_mk_bvnor(Z, Sub(), Sub())
                              : Z3_mk_bvxnor(Z, Sub(), Sub());
    case 22:
      if (W == 1) {
        unsigned OW = Widths[Rng() % 8];
        Z3_ast Ops[] = {BV(OW, Depth - 1), BV(OW, Depth - 1)};
        return Rng() % 3 == 0 ? Z3_mk_bvredor(Z, Ops[0])
               : Rng() % 2 == 0
                   ? Z3_mk_bvredand(Z, Ops[0])
                   : Z3_mk_ite(Z, Z3_mk_eq(Z, Ops[0], Ops[1]),
                               C.numeral(APInt(1, 1)), C.numeral(APInt(1, 0)));
      }
      return Sub();
    default:
      return Numeral(W);
    }
  };
  Bool = [&](int Depth) -> Z3_ast {
    unsigned W = Widths[Rng() % 8];
    auto Op = [&] { return BV(W, Depth > 0 ? Depth - 1 : 0); };
    if (Depth <= 0)
      return Z3_mk_eq(Z, Op(), Op());
    switch (Rng() % 16) {
    case 0:
      return Z3_mk_eq(Z, Op(), Op());
    case 1: {
      Z3_ast Args[] = {Op(), Op()};
      return Z3_mk_distinct(Z, 2, Args);
    }
    case 2:
      return Z3_mk_bvule(Z, Op(), Op());
    case 3:
      return Z3_mk_bvult(Z, Op(), Op());
    case 4:
      return Z3_mk_bvuge(Z, Op(), Op());
    case 5:
      return Z3_mk_bvugt(Z, Op(), Op());
    case 6:
      return Z3_mk_bvsle(Z, Op(), Op());
    case 7:
      return Z3_mk_bvslt(Z, Op(), Op());
    case 8:
      return Z3_mk_bvsge(Z, Op(), Op());
    case 9:
      return Z3_mk_bvsgt(Z, Op(), Op());
    case 10: {
      Z3_ast Args[] = {Bool(Depth - 1), Bool(Depth - 1), Bool(Depth - 1)};
      return Rng() % 2 ? Z3_mk_and(Z, 3, Args) : Z3_mk_or(Z, 3, Args);
    }
    case 11:
      return Z3_mk_not(Z, Bool(Depth - 1));
    case 12:
      return Z3_mk_xor(Z, Bool(Depth - 1), Bool(Depth - 1));
    case 13:
      return Z3_mk_implies(Z, Bool(Depth - 1), Bool(Depth - 1));
    case 14:
      return Z3_mk_iff(Z, Bool(Depth - 1), Bool(Depth - 1));
    default:
      return Z3_mk_ite(Z, Bool(Depth - 1), Bool(Depth - 1), Bool(Depth - 1));
    }
  };
  TermEvaluator Eval(C);
  unsigned Compared = 0, Simplified = 0;
  for (int T = 0; T < 1500; ++T) {
    Z3_ast Term = T % 3 == 0 ? Bool(4) : BV(Widths[Rng() % 8], 4);
    Z3_ast Forms[] = {Term, Z3_simplify(Z, Term)};
    for (int F = 0; F < 2; ++F) {
      TermEvaluator::Program P;
      bool Compiled = Eval.compile(llvm::ArrayRef<Z3_ast>(Forms[F]), P);
      // Every term built above is covered; Z3's simplifier may produce
      // operators the evaluator leaves to Z3.
      if (F == 0)
        ASSERT_TRUE(Compiled) << C.str(Term);
      if (!Compiled)
        continue;
      Simplified += F;
      for (int A = 0; A < 4; ++A) {
        Z3_model M = Z3_mk_model(Z);
        Z3_model_inc_ref(Z, M);
        std::vector<uint64_t> Values;
        for (unsigned Id : P.VarIds) {
          Z3_ast V = C.variableById(Id);
          unsigned W = C.width(V);
          uint64_t X = A == 0 ? 0 : A == 1 ? ~0ull : Rng();
          if (W < 64)
            X &= (1ull << W) - 1;
          Values.push_back(X);
          Z3_add_const_interp(Z, M, Z3_get_app_decl(Z, Z3_to_app(Z, V)),
                              C.numeral(APInt(W, X)));
        }
        Eval.run(P, Values);
        Z3_ast Out = nullptr;
        ASSERT_TRUE(Z3_model_eval(Z, M, Forms[F], true, &Out));
        uint64_t Expected = 0;
        if (C.isBool(Forms[F]))
          Expected = Z3_get_bool_value(Z, Out) == Z3_L_TRUE;
        else
          ASSERT_TRUE(Z3_get_numeral_uint64(Z, Out, &Expected));
        ASSERT_EQ(Eval.value(P, 0), Expected)
            << C.str(Forms[F]) << " with values " << Values.size();
        Z3_model_dec_ref(Z, M);
        ++Compared;
      }
    }
  }
  EXPECT_GT(Simplified, 700u);
  EXPECT_GT(Compared, 8000u);
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
  O.Native = false; // Z3 and the layers above it
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
  O.Native = false; // Z3 and the layers above it
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

// Small domains are decided by trying their values, Sat and Unsat alike,
// and models found either way answer later questions natively.
TEST(SymexSolver, NativeEvaluationAnswersWithoutZ3) {
  ExprContext C;
  SolverStats Stats;
  auto S = createSolver(C, SolverOptions(), Stats);
  Z3_context Z = C.z3();
  Z3_ast A = C.variable("a", 8), Bv = C.variable("b", 8);
  Z3_ast W = C.variable("w", 16);
  auto InAlphabet = [&](Z3_ast V) {
    Z3_ast Either[] = {eq(C, V, 'a'), eq(C, V, '1')};
    return Z3_mk_or(Z, 2, Either);
  };
  std::vector<Z3_ast> PC = {InAlphabet(A), InAlphabet(Bv)};
  Query Q;
  Q.Constraints = PC;
  // a + 3b = 'a' + 3 * '1': only a = 'a', b = '1' (mod 256 too).
  Q.Expr =
      Z3_mk_eq(Z, Z3_mk_bvadd(Z, A, Z3_mk_bvmul(Z, C.numeral(APInt(8, 3)), Bv)),
               C.numeral(APInt(8, ('a' + 3 * '1') & 0xff)));
  std::vector<APInt> V;
  ASSERT_EQ(*S->check(Q, {A, Bv}, &V), SatResult::Sat);
  ASSERT_EQ(V.size(), 2u);
  EXPECT_EQ(V[0].getZExtValue(), uint64_t('a'));
  EXPECT_EQ(V[1].getZExtValue(), uint64_t('1'));
  // a * b = 5 holds for no letter of the alphabet.
  Q.Expr = Z3_mk_eq(Z, Z3_mk_bvmul(Z, A, Bv), C.numeral(APInt(8, 5)));
  EXPECT_EQ(*S->check(Q, {}, nullptr), SatResult::Unsat);
  EXPECT_EQ(Stats.EnumerationAnswers, 2u);
  EXPECT_EQ(Stats.Z3Queries, 0u);
  // A 16-bit variable is Z3's; its model then answers a weaker question.
  std::vector<Z3_ast> Wide = {Z3_mk_bvugt(Z, W, C.numeral(APInt(16, 1000)))};
  Q.Constraints = Wide;
  Q.Expr = Z3_mk_bvult(Z, W, C.numeral(APInt(16, 2000)));
  ASSERT_EQ(*S->check(Q, {}, nullptr), SatResult::Sat);
  EXPECT_EQ(Stats.Z3Queries, 1u);
  Q.Expr = Z3_mk_bvult(Z, W, C.numeral(APInt(16, 3000)));
  ASSERT_EQ(*S->check(Q, {W}, &V), SatResult::Sat);
  EXPECT_EQ(Stats.Z3Queries, 1u);
  EXPECT_EQ(Stats.ModelHits, 1u);
  ASSERT_EQ(V.size(), 1u);
  EXPECT_GT(V[0].getZExtValue(), 1000u);
  EXPECT_LT(V[0].getZExtValue(), 2000u);
}

TEST(SymexSolver, UnsatStaysUnsatWithMoreConstraints) {
  ExprContext C;
  SolverStats Stats;
  SolverOptions O;
  O.Native = false; // Z3 and the layers above it
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
  auto Answer = S->check(Q, {}, nullptr);
  ASSERT_TRUE(!!Answer) << llvm::toString(Answer.takeError());
  EXPECT_EQ(*Answer, SatResult::Unsat);
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
