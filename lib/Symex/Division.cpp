//===- Division.cpp - Division by a constant of symbolic values -----------===//
//
// Servers print numbers they parsed: redis stores "1234" as the integer
// 1234 and, to check the encoding, prints it back (ll2string: v % 10,
// v /= 10 until v is 0) and compares the text. Z3 turns a division into a
// divider circuit as wide as the operands, one per digit, and proving that
// the digits printed are the digits read takes it seconds per digit at 64
// bits: those queries were most of the solver time of redis's SET/GET.
// Two exact rewrites, tried in this order, avoid the circuits.
//
// Linear division. Write the dividend as a linear form X = sum a_j t_j + c
// over atoms t_j (bit-vector terms) with constant coefficients, and split
// each coefficient by the divisor D: a_j = D q_j + r_j, c = D q_c + r_c.
// When, on the path, the sum does not wrap (it is below 2^W as an integer)
// and the part the division leaves, R = sum r_j t_j + r_c, is below D, then
// X / D = sum q_j t_j + q_c and X % D = R, both linear again: the number
// v = 10 d1 + d0 read from digits d_j <= 9 gives v % 10 = d0 and
// v / 10 = d1 with no division at all, and the next digit the same way.
// The two conditions are two questions to the solver about sums computed
// wide enough not to wrap (no division in them); both must be impossible
// to fail. A form with no coefficient of D or more gains nothing and is
// not tried.
//
// Narrowing. Otherwise, a dividend the path proves to fit in half its
// width is divided at that width (ExprBuilder::udiv sees the zero
// extension, and folds a quotient of a quotient into one division).
//
//===----------------------------------------------------------------------===//

#include "Executor.h"

using namespace dsu::symex;
using llvm::APInt;

namespace {

/// X = sum Coeff[i] * Atom[i] + Const, modulo 2^Width.
struct LinearForm {
  std::vector<Z3_ast> Atoms;
  std::vector<APInt> Coeffs;
  APInt Const;
};

class Linearizer {
public:
  Linearizer(ExprContext &Ctx, unsigned Width)
      : Ctx(Ctx), Z(Ctx.z3()), Width(Width) {
    Form.Const = APInt(Width, 0);
  }

  /// Adds Scale * E to the form. False when E is too large to take apart.
  bool add(Z3_ast E, const APInt &Scale, unsigned Depth = 0) {
    if (++Visited > MaxNodes || Depth > MaxDepth)
      return false;
    APInt V;
    if (Ctx.numeralValue(E, V)) {
      Form.Const += V * Scale;
      return true;
    }
    if (Z3_get_ast_kind(Z, E) == Z3_APP_AST) {
      Z3_app App = Z3_to_app(Z, E);
      unsigned N = Z3_get_app_num_args(Z, App);
      switch (Z3_get_decl_kind(Z, Z3_get_app_decl(Z, App))) {
      case Z3_OP_BADD:
        for (unsigned I = 0; I < N; ++I)
          if (!add(Z3_get_app_arg(Z, App, I), Scale, Depth + 1))
            return false;
        return true;
      case Z3_OP_BSUB:
        if (N != 2)
          break;
        return add(Z3_get_app_arg(Z, App, 0), Scale, Depth + 1) &&
               add(Z3_get_app_arg(Z, App, 1), -Scale, Depth + 1);
      case Z3_OP_BNEG:
        return add(Z3_get_app_arg(Z, App, 0), -Scale, Depth + 1);
      case Z3_OP_BMUL: {
        // A product with exactly one non-numeral factor.
        APInt Factor(Width, 1);
        Z3_ast Rest = nullptr;
        for (unsigned I = 0; I < N; ++I) {
          Z3_ast Arg = Z3_get_app_arg(Z, App, I);
          APInt C;
          if (Ctx.numeralValue(Arg, C))
            Factor *= C;
          else if (Rest)
            return atom(E, Scale);
          else
            Rest = Arg;
        }
        if (!Rest)
          break;
        return add(Rest, Scale * Factor, Depth + 1);
      }
      case Z3_OP_BSHL: {
        APInt C;
        if (N == 2 && Ctx.numeralValue(Z3_get_app_arg(Z, App, 1), C) &&
            C.ult(Width))
          return add(Z3_get_app_arg(Z, App, 0),
                     Scale.shl((unsigned)C.getZExtValue()), Depth + 1);
        break;
      }
      default:
        break;
      }
    }
    return atom(E, Scale);
  }

  LinearForm take() { return std::move(Form); }

private:
  bool atom(Z3_ast E, const APInt &Scale) {
    unsigned Id = Ctx.id(E);
    auto [It, New] = Index.try_emplace(Id, Form.Atoms.size());
    if (New) {
      Form.Atoms.push_back(E);
      Form.Coeffs.push_back(Scale);
    } else {
      Form.Coeffs[It->second] += Scale;
    }
    return true;
  }

  static constexpr unsigned MaxNodes = 256, MaxDepth = 64;
  ExprContext &Ctx;
  Z3_context Z;
  unsigned Width;
  unsigned Visited = 0;
  LinearForm Form;
  llvm::DenseMap<unsigned, size_t> Index;
};

} // namespace

bool Executor::divideLinear(ExecutionState &S, const SVal &L, const APInt &D,
                            SVal &Quotient, SVal &Remainder) {
  unsigned W = L.width();
  Linearizer Lin(Ctx, W);
  if (!Lin.add(B.bv(L), APInt(W, 1)))
    return false;
  LinearForm F = Lin.take();
  bool Gains = false;
  for (const APInt &A : F.Coeffs)
    Gains |= !A.isZero() && A.uge(D);
  if (F.Atoms.empty() || !Gains)
    return false;
  // Sums at a width where none of them can wrap: each product is below
  // 2^(2W), and there are at most Atoms + 1 of them.
  unsigned Wide = 2 * W + llvm::Log2_64_Ceil(F.Atoms.size() + 2);
  auto WideSum = [&](auto CoeffOf, const APInt &Const) {
    SVal Sum = SVal::concrete(Const.zext(Wide));
    for (size_t I = 0; I < F.Atoms.size(); ++I) {
      APInt C = CoeffOf(I);
      if (C.isZero())
        continue;
      SVal Term =
          B.mul(B.zext(B.wrap(F.Atoms[I]), Wide), SVal::concrete(C.zext(Wide)));
      Sum = B.add(Sum, Term);
    }
    return Sum;
  };
  std::vector<APInt> Q, R;
  for (const APInt &A : F.Coeffs) {
    Q.push_back(A.udiv(D));
    R.push_back(A.urem(D));
  }
  APInt QC = F.Const.udiv(D), RC = F.Const.urem(D);
  // Possible on the path that the sum wraps, or that the part left over
  // reaches the divisor? Either ends the attempt.
  SVal Whole = WideSum([&](size_t I) { return F.Coeffs[I]; }, F.Const);
  SVal Left = WideSum([&](size_t I) { return R[I]; }, RC);
  for (auto [Value, Bound] : {std::pair{Whole, APInt::getOneBitSet(Wide, W)},
                              std::pair{Left, D.zext(Wide)}}) {
    SVal Reaches = B.cmp(CmpKind::Uge, Value, SVal::concrete(Bound));
    if (Reaches.isConcrete()) {
      if (Reaches.value().getBoolValue())
        return false;
      continue;
    }
    bool May = true;
    if (!mayBeTrue(S, B.boolean(Reaches), May) || May)
      return false;
  }
  auto NarrowSum = [&](const std::vector<APInt> &Coeffs, const APInt &Const) {
    SVal Sum = SVal::concrete(Const);
    for (size_t I = 0; I < F.Atoms.size(); ++I)
      if (!Coeffs[I].isZero())
        Sum = B.add(Sum, B.mul(B.wrap(F.Atoms[I]), SVal::concrete(Coeffs[I])));
    return Sum;
  };
  Quotient = NarrowSum(Q, QC);
  Remainder = NarrowSum(R, RC);
  return true;
}

SVal Executor::divideByConstant(ExecutionState &S, bool WantRemainder,
                                const SVal &L, const SVal &R) {
  if (!L.isConcrete() && R.isConcrete() && R.value().ugt(1)) {
    SVal Quotient, Remainder;
    if (divideLinear(S, L, R.value(), Quotient, Remainder))
      return WantRemainder ? Remainder : Quotient;
  }
  SVal Dividend = narrowDividend(S, L, R);
  return WantRemainder ? B.urem(Dividend, R) : B.udiv(Dividend, R);
}

SVal Executor::narrowDividend(ExecutionState &S, const SVal &L, const SVal &R) {
  unsigned W = L.width();
  if (L.isConcrete() || !R.isConcrete() || R.value().isZero() || W < 32 ||
      B.zeroExtendedOperand(L))
    return L;
  unsigned Half = W / 2;
  SVal Wide =
      B.cmp(CmpKind::Uge, L, SVal::concrete(APInt::getOneBitSet(W, Half)));
  if (Wide.isConcrete())
    return Wide.value().getBoolValue() ? L : B.zext(B.trunc(L, Half), W);
  bool May = true;
  if (!mayBeTrue(S, B.boolean(Wide), May) || May)
    return L; // a solver failure here only costs the narrowing
  return B.zext(B.trunc(L, Half), W);
}
