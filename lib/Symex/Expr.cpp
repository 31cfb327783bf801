//===- Expr.cpp - Values of the symbolic executor
//---------------------------===//
//
// Constant folding first, Z3 terms second: every operation checks whether
// all operands are concrete and, if so, computes with APInt (matching LLVM's
// semantics bit for bit, including the results LLVM leaves to poison, which
// are computed here as Z3 would so that both agree). Mixed operations turn
// the concrete operand into a numeral. A small peephole keeps pointer
// arithmetic readable: (c1 + e) + c2 becomes (c1+c2) + e, so an address built
// by nested GEPs keeps its base object's address as a visible numeral (the
// memory model uses it to pick the object a symbolic pointer points into).
//
//===----------------------------------------------------------------------===//

#include "Expr.h"

#include "llvm/ADT/SmallString.h"
#include <algorithm>
#include <iterator>

#include <cassert>
#include <cstdio>

using namespace dsu::symex;
using llvm::APInt;

/// The first Z3 error since the last takeFailure() on this thread. Z3's C
/// API catches its internal exceptions (out of memory, a cancelled or failed
/// tactic, a malformed term) and calls the error handler; the default one
/// exits the process. This one records the message so that the solver stack
/// can turn it into an unknown answer with the reason.
static thread_local std::string PendingZ3Error;

static void recordZ3Error(Z3_context C, Z3_error_code Code) {
  if (!PendingZ3Error.empty())
    return;
  const char *Msg = Z3_get_error_msg(C, Code);
  PendingZ3Error = Msg && *Msg ? Msg : "z3 error " + std::to_string(Code);
}

bool ExprContext::takeFailure(std::string &Msg) {
  if (PendingZ3Error.empty())
    return false;
  Msg = std::move(PendingZ3Error);
  PendingZ3Error.clear();
  return true;
}

Z3_ast ExprContext::simplify(Z3_ast E) {
  Z3_ast R = Z3_simplify(Ctx, E);
  // On failure the error stays pending for the next query to report.
  return R ? R : E;
}

ExprContext::ExprContext() {
  Z3_config Cfg = Z3_mk_config();
  Z3_set_param_value(Cfg, "model", "true");
  Ctx = Z3_mk_context(Cfg);
  Z3_del_config(Cfg);
  Z3_set_error_handler(Ctx, recordZ3Error);
}

ExprContext::~ExprContext() { Z3_del_context(Ctx); }

Z3_sort ExprContext::bvSort(unsigned Width) {
  auto &S = Sorts[Width];
  if (!S)
    S = Z3_mk_bv_sort(Ctx, Width);
  return S;
}

Z3_ast ExprContext::numeral(const APInt &V) {
  unsigned W = V.getBitWidth();
  if (W <= 64)
    return Z3_mk_unsigned_int64(Ctx, V.getZExtValue(), bvSort(W));
  llvm::SmallString<64> S;
  V.toStringUnsigned(S, 10);
  return Z3_mk_numeral(Ctx, S.c_str(), bvSort(W));
}

Z3_ast ExprContext::variable(llvm::StringRef Name, unsigned Width) {
  Z3_symbol Sym = Z3_mk_string_symbol(Ctx, Name.str().c_str());
  Z3_ast V = Z3_mk_const(Ctx, Sym, bvSort(Width));
  VarById[id(V)] = V;
  return V;
}

bool ExprContext::isBool(Z3_ast E) const {
  return Z3_get_sort_kind(Ctx, Z3_get_sort(Ctx, E)) == Z3_BOOL_SORT;
}

unsigned ExprContext::width(Z3_ast E) const {
  Z3_sort S = Z3_get_sort(Ctx, E);
  if (Z3_get_sort_kind(Ctx, S) == Z3_BOOL_SORT)
    return 1;
  return Z3_get_bv_sort_size(Ctx, S);
}

bool ExprContext::numeralValue(Z3_ast E, APInt &V) const {
  if (Z3_get_ast_kind(Ctx, E) != Z3_NUMERAL_AST)
    return false;
  unsigned W = width(E);
  uint64_t U;
  if (W <= 64 && Z3_get_numeral_uint64(Ctx, E, &U)) {
    V = APInt(W, U);
    return true;
  }
  V = APInt(W, Z3_get_numeral_string(Ctx, E), 10);
  return true;
}

std::string ExprContext::str(Z3_ast E) const {
  return Z3_ast_to_string(Ctx, E);
}

const std::vector<unsigned> &ExprContext::variables(Z3_ast E) {
  unsigned Id = id(E);
  auto It = VarCache.find(Id);
  if (It != VarCache.end())
    return *It->second;
  auto Result = std::make_unique<std::vector<unsigned>>();
  if (Z3_get_ast_kind(Ctx, E) == Z3_APP_AST) {
    Z3_app App = Z3_to_app(Ctx, E);
    unsigned N = Z3_get_app_num_args(Ctx, App);
    Z3_func_decl D = Z3_get_app_decl(Ctx, App);
    if (N == 0 && Z3_get_decl_kind(Ctx, D) == Z3_OP_UNINTERPRETED) {
      Result->push_back(Id);
      VarById[Id] = E;
    } else {
      for (unsigned I = 0; I < N; ++I) {
        const auto &Sub = variables(Z3_get_app_arg(Ctx, App, I));
        std::vector<unsigned> Merged;
        Merged.reserve(Result->size() + Sub.size());
        std::set_union(Result->begin(), Result->end(), Sub.begin(), Sub.end(),
                       std::back_inserter(Merged));
        Result->swap(Merged);
      }
    }
  }
  auto &Slot = VarCache[Id];
  Slot = std::move(Result);
  return *Slot;
}

bool ExprContext::hasDivision(Z3_ast E) {
  if (Z3_get_ast_kind(Ctx, E) != Z3_APP_AST)
    return false;
  unsigned Id = id(E);
  auto It = DivisionCache.find(Id);
  if (It != DivisionCache.end())
    return It->second;
  Z3_app App = Z3_to_app(Ctx, E);
  unsigned N = Z3_get_app_num_args(Ctx, App);
  bool Result = false;
  switch (Z3_get_decl_kind(Ctx, Z3_get_app_decl(Ctx, App))) {
  case Z3_OP_BUDIV:
  case Z3_OP_BUDIV_I:
  case Z3_OP_BUREM:
  case Z3_OP_BUREM_I:
  case Z3_OP_BSDIV:
  case Z3_OP_BSDIV_I:
  case Z3_OP_BSREM:
  case Z3_OP_BSREM_I:
  case Z3_OP_BSMOD:
  case Z3_OP_BSMOD_I: {
    APInt Divisor;
    Result = !(N == 2 && numeralValue(Z3_get_app_arg(Ctx, App, 1), Divisor) &&
               Divisor.isPowerOf2());
    break;
  }
  default:
    break;
  }
  for (unsigned I = 0; I < N && !Result; ++I)
    Result = hasDivision(Z3_get_app_arg(Ctx, App, I));
  DivisionCache[Id] = Result;
  return Result;
}

//===----------------------------------------------------------------------===//
// ExprBuilder
//===----------------------------------------------------------------------===//

Z3_ast ExprBuilder::bv(const SVal &V) {
  if (V.isConcrete())
    return Ctx.numeral(V.value());
  if (Ctx.isBool(V.sym()))
    return Z3_mk_ite(Z, V.sym(), Ctx.numeral(APInt(1, 1)),
                     Ctx.numeral(APInt(1, 0)));
  return V.sym();
}

Z3_ast ExprBuilder::boolean(const SVal &V) {
  assert(V.width() == 1 && "boolean of a non-i1 value");
  if (V.isConcrete())
    return Ctx.boolVal(V.value().getBoolValue());
  if (Ctx.isBool(V.sym()))
    return V.sym();
  return Z3_mk_eq(Z, V.sym(), Ctx.numeral(APInt(1, 1)));
}

SVal ExprBuilder::wrap(Z3_ast E) {
  if (Ctx.isBool(E)) {
    if (Z3_get_bool_value(Z, E) == Z3_L_TRUE)
      return SVal::concrete(1, 1);
    if (Z3_get_bool_value(Z, E) == Z3_L_FALSE)
      return SVal::concrete(1, 0);
    return SVal::symbolic(E, 1);
  }
  APInt V;
  if (Ctx.numeralValue(E, V))
    return SVal::concrete(V);
  unsigned W = Ctx.width(E);
  if (W == 1)
    return SVal::symbolic(Z3_mk_eq(Z, E, Ctx.numeral(APInt(1, 1))), 1);
  return SVal::symbolic(E, W);
}

#define BINARY(NAME, FOLD, MK)                                                 \
  SVal ExprBuilder::NAME(const SVal &A, const SVal &B) {                       \
    assert(A.width() == B.width() && "width mismatch");                        \
    if (A.isConcrete() && B.isConcrete()) {                                    \
      const APInt &X = A.value(), &Y = B.value();                              \
      return SVal::concrete(FOLD);                                             \
    }                                                                          \
    return wrap(MK(Z, bv(A), bv(B)));                                          \
  }

BINARY(mul, X *Y, Z3_mk_bvmul)
BINARY(sdiv,
       Y.isZero() ? (X.isNegative() ? APInt(X.getBitWidth(), 1)
                                    : APInt::getAllOnes(X.getBitWidth()))
                  : X.sdiv(Y),
       Z3_mk_bvsdiv)
BINARY(srem, Y.isZero() ? X : X.srem(Y), Z3_mk_bvsrem)
BINARY(shl,
       Y.uge(X.getBitWidth()) ? APInt(X.getBitWidth(), 0)
                              : X.shl((unsigned)Y.getZExtValue()),
       Z3_mk_bvshl)
BINARY(lshr,
       Y.uge(X.getBitWidth()) ? APInt(X.getBitWidth(), 0)
                              : X.lshr((unsigned)Y.getZExtValue()),
       Z3_mk_bvlshr)
BINARY(ashr,
       Y.uge(X.getBitWidth())
           ? (X.isNegative() ? APInt::getAllOnes(X.getBitWidth())
                             : APInt(X.getBitWidth(), 0))
           : X.ashr((unsigned)Y.getZExtValue()),
       Z3_mk_bvashr)
#undef BINARY

/// The operand Y of a zero extension E = zext(Y) (Z3's zero_ext, or a concat
/// whose high part is the numeral 0), or null.
static Z3_ast zeroExtended(ExprContext &Ctx, Z3_ast E) {
  Z3_context Z = Ctx.z3();
  if (Z3_get_ast_kind(Z, E) != Z3_APP_AST)
    return nullptr;
  Z3_app App = Z3_to_app(Z, E);
  switch (Z3_get_decl_kind(Z, Z3_get_app_decl(Z, App))) {
  case Z3_OP_ZERO_EXT:
    return Z3_get_app_arg(Z, App, 0);
  case Z3_OP_CONCAT: {
    APInt High;
    if (Z3_get_app_num_args(Z, App) == 2 &&
        Ctx.numeralValue(Z3_get_app_arg(Z, App, 0), High) && High.isZero())
      return Z3_get_app_arg(Z, App, 1);
    return nullptr;
  }
  default:
    return nullptr;
  }
}

/// Whether \p E is X / C (unsigned) with C a non-zero numeral.
static bool quotientByNumeral(ExprContext &Ctx, Z3_ast E, Z3_ast &X, APInt &C) {
  Z3_context Z = Ctx.z3();
  if (Z3_get_ast_kind(Z, E) != Z3_APP_AST)
    return false;
  Z3_app App = Z3_to_app(Z, E);
  Z3_decl_kind Kind = Z3_get_decl_kind(Z, Z3_get_app_decl(Z, App));
  if ((Kind != Z3_OP_BUDIV && Kind != Z3_OP_BUDIV_I) ||
      !Ctx.numeralValue(Z3_get_app_arg(Z, App, 1), C) || C.isZero())
    return false;
  X = Z3_get_app_arg(Z, App, 0);
  return true;
}

// Unsigned division and remainder by a constant. Z3 bit-blasts a division
// into a divider circuit as wide as its operands, and a 64-bit one per
// digit (ll2string's loop: v % 10, v /= 10) made the queries of a number
// printed back from a request take seconds. Two exact rewrites keep the
// circuits small: the division of a zero-extended value happens at the
// value's own width (zext(y) / c = zext(y / c) when c fits in y's width,
// and 0 when it does not; likewise for the remainder), and a quotient of a
// quotient is one division ((x / a) / b = x / (a * b), or 0 when a * b
// passes the width). The executor narrows a wide dividend first when the
// path proves it small (Executor::narrowDivision).
SVal ExprBuilder::udiv(const SVal &A, const SVal &B) {
  assert(A.width() == B.width() && "width mismatch");
  if (A.isConcrete() && B.isConcrete()) {
    const APInt &X = A.value(), &Y = B.value();
    return SVal::concrete(Y.isZero() ? APInt::getAllOnes(X.getBitWidth())
                                     : X.udiv(Y));
  }
  if (!A.isConcrete() && B.isConcrete() && !B.value().isZero()) {
    const APInt &C = B.value();
    if (C.isOne())
      return A;
    if (Z3_ast Y = zeroExtendedOperand(A)) {
      unsigned K = Ctx.width(Y);
      if (C.getActiveBits() > K)
        return SVal::concrete(APInt(A.width(), 0));
      return zext(udiv(wrap(Y), SVal::concrete(C.trunc(K))), A.width());
    }
    Z3_ast X;
    APInt Inner;
    if (quotientByNumeral(Ctx, bv(A), X, Inner)) {
      bool Overflow = false;
      APInt Product = Inner.umul_ov(C, Overflow);
      if (Overflow)
        return SVal::concrete(APInt(A.width(), 0));
      return wrap(Z3_mk_bvudiv(Z, X, Ctx.numeral(Product)));
    }
  }
  return wrap(Z3_mk_bvudiv(Z, bv(A), bv(B)));
}

SVal ExprBuilder::urem(const SVal &A, const SVal &B) {
  assert(A.width() == B.width() && "width mismatch");
  if (A.isConcrete() && B.isConcrete()) {
    const APInt &X = A.value(), &Y = B.value();
    return SVal::concrete(Y.isZero() ? X : X.urem(Y));
  }
  if (!A.isConcrete() && B.isConcrete() && !B.value().isZero()) {
    const APInt &C = B.value();
    if (C.isOne())
      return SVal::concrete(APInt(A.width(), 0));
    if (Z3_ast Y = zeroExtendedOperand(A)) {
      unsigned K = Ctx.width(Y);
      if (C.getActiveBits() > K)
        return A;
      return zext(urem(wrap(Y), SVal::concrete(C.trunc(K))), A.width());
    }
  }
  return wrap(Z3_mk_bvurem(Z, bv(A), bv(B)));
}

static bool splitAddend(ExprContext &Ctx, Z3_ast E, APInt &C, Z3_ast &Rest) {
  Z3_context Z = Ctx.z3();
  if (Z3_get_ast_kind(Z, E) != Z3_APP_AST)
    return false;
  Z3_app App = Z3_to_app(Z, E);
  if (Z3_get_decl_kind(Z, Z3_get_app_decl(Z, App)) != Z3_OP_BADD ||
      Z3_get_app_num_args(Z, App) != 2)
    return false;
  if (Ctx.numeralValue(Z3_get_app_arg(Z, App, 0), C)) {
    Rest = Z3_get_app_arg(Z, App, 1);
    return true;
  }
  return false;
}

SVal ExprBuilder::add(const SVal &A, const SVal &B) {
  assert(A.width() == B.width() && "width mismatch");
  if (A.isConcrete() && B.isConcrete())
    return SVal::concrete(A.value() + B.value());
  if (A.width() == 1)
    return xorOp(A, B);
  const SVal &Con = A.isConcrete() ? A : B;
  const SVal &Sym = A.isConcrete() ? B : A;
  if (Con.isConcrete()) {
    if (Con.value().isZero())
      return Sym;
    APInt C;
    Z3_ast Rest;
    if (splitAddend(Ctx, Sym.sym(), C, Rest)) {
      APInt Sum = C + Con.value();
      if (Sum.isZero())
        return wrap(Rest);
      return wrap(Z3_mk_bvadd(Z, Ctx.numeral(Sum), Rest));
    }
    return wrap(Z3_mk_bvadd(Z, Ctx.numeral(Con.value()), Sym.sym()));
  }
  return wrap(Z3_mk_bvadd(Z, bv(A), bv(B)));
}

SVal ExprBuilder::sub(const SVal &A, const SVal &B) {
  if (A.isConcrete() && B.isConcrete())
    return SVal::concrete(A.value() - B.value());
  if (B.isConcrete())
    return add(A, SVal::concrete(-B.value()));
  return wrap(Z3_mk_bvsub(Z, bv(A), bv(B)));
}

SVal ExprBuilder::andOp(const SVal &A, const SVal &B) {
  if (A.isConcrete() && B.isConcrete())
    return SVal::concrete(A.value() & B.value());
  if (A.width() == 1) {
    Z3_ast Args[2] = {boolean(A), boolean(B)};
    return wrap(Z3_mk_and(Z, 2, Args));
  }
  return wrap(Z3_mk_bvand(Z, bv(A), bv(B)));
}

SVal ExprBuilder::orOp(const SVal &A, const SVal &B) {
  if (A.isConcrete() && B.isConcrete())
    return SVal::concrete(A.value() | B.value());
  if (A.width() == 1) {
    Z3_ast Args[2] = {boolean(A), boolean(B)};
    return wrap(Z3_mk_or(Z, 2, Args));
  }
  return wrap(Z3_mk_bvor(Z, bv(A), bv(B)));
}

SVal ExprBuilder::xorOp(const SVal &A, const SVal &B) {
  if (A.isConcrete() && B.isConcrete())
    return SVal::concrete(A.value() ^ B.value());
  if (A.width() == 1)
    return wrap(Z3_mk_xor(Z, boolean(A), boolean(B)));
  return wrap(Z3_mk_bvxor(Z, bv(A), bv(B)));
}

SVal ExprBuilder::notOp(const SVal &A) {
  if (A.isConcrete())
    return SVal::concrete(~A.value());
  if (A.width() == 1)
    return wrap(Z3_mk_not(Z, boolean(A)));
  return wrap(Z3_mk_bvnot(Z, bv(A)));
}

SVal ExprBuilder::cmp(CmpKind K, const SVal &A, const SVal &B) {
  assert(A.width() == B.width() && "width mismatch");
  if (A.isConcrete() && B.isConcrete()) {
    const APInt &X = A.value(), &Y = B.value();
    bool R = false;
    switch (K) {
    case CmpKind::Eq:
      R = X == Y;
      break;
    case CmpKind::Ne:
      R = X != Y;
      break;
    case CmpKind::Ult:
      R = X.ult(Y);
      break;
    case CmpKind::Ule:
      R = X.ule(Y);
      break;
    case CmpKind::Ugt:
      R = X.ugt(Y);
      break;
    case CmpKind::Uge:
      R = X.uge(Y);
      break;
    case CmpKind::Slt:
      R = X.slt(Y);
      break;
    case CmpKind::Sle:
      R = X.sle(Y);
      break;
    case CmpKind::Sgt:
      R = X.sgt(Y);
      break;
    case CmpKind::Sge:
      R = X.sge(Y);
      break;
    }
    return SVal::concrete(1, R);
  }
  if (A.width() == 1 && (K == CmpKind::Eq || K == CmpKind::Ne)) {
    Z3_ast E = Z3_mk_eq(Z, boolean(A), boolean(B));
    return wrap(K == CmpKind::Eq ? E : Z3_mk_not(Z, E));
  }
  // x / c == 0 is x < c: no divider circuit for a loop that runs while a
  // quotient is not zero (printing a number). Also through a zero
  // extension: zext(y) == 0 is y == 0.
  if ((K == CmpKind::Eq || K == CmpKind::Ne) &&
      (A.isConcrete() != B.isConcrete())) {
    const SVal &Con = A.isConcrete() ? A : B;
    const SVal &Sym = A.isConcrete() ? B : A;
    if (Con.value().isZero()) {
      if (Z3_ast Y = zeroExtendedOperand(Sym))
        return cmp(K, wrap(Y), SVal::concrete(APInt(Ctx.width(Y), 0)));
      Z3_ast X;
      APInt Divisor;
      if (quotientByNumeral(Ctx, bv(Sym), X, Divisor))
        return cmp(K == CmpKind::Eq ? CmpKind::Ult : CmpKind::Uge, wrap(X),
                   SVal::concrete(Divisor));
    }
  }
  Z3_ast X = bv(A), Y = bv(B);
  Z3_ast E = nullptr;
  switch (K) {
  case CmpKind::Eq:
    E = Z3_mk_eq(Z, X, Y);
    break;
  case CmpKind::Ne:
    E = Z3_mk_not(Z, Z3_mk_eq(Z, X, Y));
    break;
  case CmpKind::Ult:
    E = Z3_mk_bvult(Z, X, Y);
    break;
  case CmpKind::Ule:
    E = Z3_mk_bvule(Z, X, Y);
    break;
  case CmpKind::Ugt:
    E = Z3_mk_bvugt(Z, X, Y);
    break;
  case CmpKind::Uge:
    E = Z3_mk_bvuge(Z, X, Y);
    break;
  case CmpKind::Slt:
    E = Z3_mk_bvslt(Z, X, Y);
    break;
  case CmpKind::Sle:
    E = Z3_mk_bvsle(Z, X, Y);
    break;
  case CmpKind::Sgt:
    E = Z3_mk_bvsgt(Z, X, Y);
    break;
  case CmpKind::Sge:
    E = Z3_mk_bvsge(Z, X, Y);
    break;
  }
  return wrap(E);
}

SVal ExprBuilder::zext(const SVal &A, unsigned W) {
  if (W == A.width())
    return A;
  if (A.isConcrete())
    return SVal::concrete(A.value().zext(W));
  if (A.width() == 1)
    return wrap(Z3_mk_ite(Z, boolean(A), Ctx.numeral(APInt(W, 1)),
                          Ctx.numeral(APInt(W, 0))));
  return wrap(Z3_mk_zero_ext(Z, W - A.width(), bv(A)));
}

SVal ExprBuilder::sext(const SVal &A, unsigned W) {
  if (W == A.width())
    return A;
  if (A.isConcrete())
    return SVal::concrete(A.value().sext(W));
  if (A.width() == 1)
    return wrap(Z3_mk_ite(Z, boolean(A), Ctx.numeral(APInt::getAllOnes(W)),
                          Ctx.numeral(APInt(W, 0))));
  return wrap(Z3_mk_sign_ext(Z, W - A.width(), bv(A)));
}

Z3_ast ExprBuilder::zeroExtendedOperand(const SVal &A) {
  return A.isConcrete() ? nullptr : zeroExtended(Ctx, bv(A));
}

SVal ExprBuilder::trunc(const SVal &A, unsigned W) {
  if (W == A.width())
    return A;
  if (A.isConcrete())
    return SVal::concrete(A.value().trunc(W));
  // The low bits of a zero extension are its operand's.
  if (Z3_ast Y = zeroExtendedOperand(A)) {
    unsigned K = Ctx.width(Y);
    if (W == K)
      return wrap(Y);
    if (W < K)
      return wrap(Z3_mk_extract(Z, W - 1, 0, Y));
  }
  return wrap(Z3_mk_extract(Z, W - 1, 0, bv(A)));
}

SVal ExprBuilder::zextOrTrunc(const SVal &A, unsigned W) {
  return W >= A.width() ? zext(A, W) : trunc(A, W);
}

SVal ExprBuilder::sextOrTrunc(const SVal &A, unsigned W) {
  return W >= A.width() ? sext(A, W) : trunc(A, W);
}

SVal ExprBuilder::select(const SVal &Cond, const SVal &T, const SVal &F) {
  if (Cond.isConcrete())
    return Cond.value().getBoolValue() ? T : F;
  if (T.isConcrete() && F.isConcrete() && T.value() == F.value())
    return T;
  if (T.width() == 1)
    return wrap(Z3_mk_ite(Z, boolean(Cond), boolean(T), boolean(F)));
  return wrap(Z3_mk_ite(Z, boolean(Cond), bv(T), bv(F)));
}

SVal ExprBuilder::extract(const SVal &A, unsigned Lo, unsigned W) {
  if (Lo == 0 && W == A.width())
    return A;
  if (A.isConcrete())
    return SVal::concrete(A.value().extractBits(W, Lo));
  return wrap(Z3_mk_extract(Z, Lo + W - 1, Lo, bv(A)));
}

SVal ExprBuilder::concat(const SVal &Hi, const SVal &Lo) {
  if (Hi.isConcrete() && Lo.isConcrete()) {
    APInt R = Hi.value().zext(Hi.width() + Lo.width()).shl(Lo.width());
    R |= Lo.value().zext(Hi.width() + Lo.width());
    return SVal::concrete(R);
  }
  return wrap(Z3_mk_concat(Z, bv(Hi), bv(Lo)));
}

SVal ExprBuilder::insert(const SVal &A, unsigned Lo, const SVal &V) {
  unsigned W = A.width(), VW = V.width();
  if (Lo == 0 && VW == W)
    return V;
  if (A.isConcrete() && V.isConcrete()) {
    APInt R = A.value();
    R.insertBits(V.value(), Lo);
    return SVal::concrete(R);
  }
  SVal R = V;
  if (Lo > 0)
    R = concat(R, extract(A, 0, Lo));
  if (Lo + VW < W)
    R = concat(extract(A, Lo + VW, W - Lo - VW), R);
  return R;
}
