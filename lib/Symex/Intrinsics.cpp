//===- Intrinsics.cpp - Calls to LLVM intrinsics --------------------------===//
//
// The intrinsics clang emits at -O0 and -O1: debug and lifetime markers
// (ignored), mem* (handed to the external memcpy/memmove/memset handlers),
// va_start/va_copy on the x86-64 va_list layout, min/max/abs, the
// *.with.overflow and *.sat families (computed at twice or one more than
// the width), bswap, and bit counts and fabs on concrete values, and
// threadlocal.address (a program runs on one thread here, so a thread-local
// variable is its one object). Any other intrinsic stops the path with a
// warning.
//
//===----------------------------------------------------------------------===//

#include "Executor.h"

#include "llvm/IR/IntrinsicInst.h"

using namespace dsu::symex;
using namespace llvm;

void Executor::callIntrinsic(ExecutionState &S, const CallBase *Call,
                             const Function *F, std::vector<SVal> &Args) {
  auto Ret = [&](SVal V) {
    if (!Call->getType()->isVoidTy())
      setResult(S, Call, V);
  };
  switch (F->getIntrinsicID()) {
  case Intrinsic::dbg_declare:
  case Intrinsic::dbg_value:
  case Intrinsic::dbg_label:
  case Intrinsic::dbg_assign:
  case Intrinsic::lifetime_start:
  case Intrinsic::lifetime_end:
  case Intrinsic::assume:
  case Intrinsic::donothing:
  case Intrinsic::experimental_noalias_scope_decl:
  case Intrinsic::var_annotation:
  case Intrinsic::sideeffect:
  case Intrinsic::stackrestore:
  case Intrinsic::vaend:
    return;
  case Intrinsic::invariant_start:
  case Intrinsic::stacksave:
    Ret(SVal::concrete(64, 0));
    return;
  case Intrinsic::expect:
    Ret(Args[0]);
    return;
  case Intrinsic::is_constant:
    Ret(SVal::concrete(1, 0));
    return;
  case Intrinsic::objectsize: {
    bool Min = Args[1].isConcrete() && Args[1].value().getBoolValue();
    Ret(SVal::concrete(bitsOf(Call->getType()), Min ? 0 : ~0ULL));
    return;
  }
  case Intrinsic::memcpy:
  case Intrinsic::memmove:
  case Intrinsic::memset: {
    std::vector<SVal> A = {Args[0], Args[1], Args[2]};
    const char *Name = F->getIntrinsicID() == Intrinsic::memcpy    ? "memcpy"
                       : F->getIntrinsicID() == Intrinsic::memmove ? "memmove"
                                                                   : "memset";
    callExternal(S, Call, Name, A);
    return;
  }
  case Intrinsic::vastart:
    vaStart(S, Args[0]);
    return;
  case Intrinsic::vacopy: {
    SVal Dst = Args[0], Src = Args[1];
    if (!Dst.isConcrete() || !Src.isConcrete()) {
      terminateEarly(S, "symbolic va_list");
      return;
    }
    copyMemory(S, Dst.zext(), Src.zext(), 24);
    return;
  }
  case Intrinsic::umax:
  case Intrinsic::umin:
  case Intrinsic::smax:
  case Intrinsic::smin: {
    CmpKind K = F->getIntrinsicID() == Intrinsic::umax   ? CmpKind::Ugt
                : F->getIntrinsicID() == Intrinsic::umin ? CmpKind::Ult
                : F->getIntrinsicID() == Intrinsic::smax ? CmpKind::Sgt
                                                         : CmpKind::Slt;
    Ret(B.select(B.cmp(K, Args[0], Args[1]), Args[0], Args[1]));
    return;
  }
  case Intrinsic::abs: {
    SVal X = Args[0];
    SVal Neg = B.cmp(CmpKind::Slt, X, SVal::concrete(X.width(), 0));
    Ret(B.select(Neg, B.sub(SVal::concrete(X.width(), 0), X), X));
    return;
  }
  case Intrinsic::sadd_with_overflow:
  case Intrinsic::uadd_with_overflow:
  case Intrinsic::ssub_with_overflow:
  case Intrinsic::usub_with_overflow:
  case Intrinsic::smul_with_overflow:
  case Intrinsic::umul_with_overflow:
    Ret(withOverflow(F->getIntrinsicID(), Args[0], Args[1], Call->getType()));
    return;
  case Intrinsic::uadd_sat:
  case Intrinsic::usub_sat:
  case Intrinsic::sadd_sat:
  case Intrinsic::ssub_sat:
    Ret(saturating(F->getIntrinsicID(), Args[0], Args[1]));
    return;
  case Intrinsic::bswap: {
    SVal X = Args[0];
    SVal R;
    for (unsigned I = 0; I < X.width() / 8; ++I) {
      SVal Bt = B.extract(X, I * 8, 8);
      R = I ? B.concat(R, Bt) : Bt;
    }
    Ret(R);
    return;
  }
  case Intrinsic::ctpop:
  case Intrinsic::ctlz:
  case Intrinsic::cttz: {
    SVal X = Args[0];
    if (!X.isConcrete()) {
      terminateEarly(S, "symbolic bit-count intrinsic");
      return;
    }
    unsigned W = X.width();
    unsigned R = F->getIntrinsicID() == Intrinsic::ctpop ? X.value().popcount()
                 : F->getIntrinsicID() == Intrinsic::ctlz
                     ? X.value().countl_zero()
                     : X.value().countr_zero();
    Ret(SVal::concrete(W, R));
    return;
  }
  case Intrinsic::fabs: {
    SVal X = Args[0];
    if (!X.isConcrete()) {
      terminateEarly(S, "symbolic floating point");
      return;
    }
    APInt V = X.value();
    V.clearBit(V.getBitWidth() - 1);
    Ret(SVal::concrete(V));
    return;
  }
  case Intrinsic::threadlocal_address:
    Ret(Args[0]);
    return;
  case Intrinsic::trap:
  case Intrinsic::ubsantrap:
    terminateError(S, "trap", "trap instruction reached");
    return;
  default:
    warn(S, "unsupported intrinsic '" + F->getName().str() + "'");
    terminateEarly(S, "unsupported intrinsic '" + F->getName().str() + "'");
    return;
  }
}

void Executor::vaStart(ExecutionState &S, const SVal &List) {
  Frame &Fr = S.top();
  // x86-64 va_list: {i32 gp_offset, i32 fp_offset, ptr overflow, ptr reg}.
  // Offsets 48 and 304 mark the register areas as used up, so va_arg
  // reads every argument from the overflow area.
  SVal Tag = SVal::concrete(APInt(192, 0));
  Tag = B.insert(Tag, 0, SVal::concrete(32, 48));
  Tag = B.insert(Tag, 32, SVal::concrete(32, 304));
  Tag = B.insert(Tag, 64, SVal::concrete(64, Fr.VarArgs));
  access(S, List, 24, true,
         [&](ExecutionState &T, const MemObject &O, const SVal &Off) {
           Mem.write(T.Mem.writable(O.Base), Off, Tag);
         });
}

SVal Executor::withOverflow(Intrinsic::ID ID, const SVal &X, const SVal &Y,
                            Type *ResultTy) {
  unsigned W = X.width();
  bool Signed = ID == Intrinsic::sadd_with_overflow ||
                ID == Intrinsic::ssub_with_overflow ||
                ID == Intrinsic::smul_with_overflow;
  auto Ext = [&](const SVal &V) {
    return Signed ? B.sext(V, 2 * W) : B.zext(V, 2 * W);
  };
  SVal Wide;
  if (ID == Intrinsic::sadd_with_overflow ||
      ID == Intrinsic::uadd_with_overflow)
    Wide = B.add(Ext(X), Ext(Y));
  else if (ID == Intrinsic::ssub_with_overflow ||
           ID == Intrinsic::usub_with_overflow)
    Wide = B.sub(Ext(X), Ext(Y));
  else
    Wide = B.mul(Ext(X), Ext(Y));
  SVal Res = B.trunc(Wide, W);
  SVal Ovf = B.cmp(CmpKind::Ne, Ext(Res), Wide);
  Type *Leaf;
  uint64_t Off = aggregateOffset(ResultTy, {1}, Leaf);
  SVal Agg = SVal::concrete(APInt(bitsOf(ResultTy), 0));
  Agg = B.insert(Agg, 0, Res);
  Agg = B.insert(Agg, (unsigned)Off * 8, Ovf);
  return Agg;
}

SVal Executor::saturating(Intrinsic::ID ID, const SVal &X, const SVal &Y) {
  unsigned W = X.width();
  bool Signed = ID == Intrinsic::sadd_sat || ID == Intrinsic::ssub_sat;
  bool Add = ID == Intrinsic::uadd_sat || ID == Intrinsic::sadd_sat;
  SVal WX = Signed ? B.sext(X, W + 1) : B.zext(X, W + 1);
  SVal WY = Signed ? B.sext(Y, W + 1) : B.zext(Y, W + 1);
  SVal Wide = Add ? B.add(WX, WY) : B.sub(WX, WY);
  APInt Max = Signed ? APInt::getSignedMaxValue(W) : APInt::getMaxValue(W);
  APInt Min = Signed ? APInt::getSignedMinValue(W) : APInt::getMinValue(W);
  SVal WMax = SVal::concrete(Signed ? Max.sext(W + 1) : Max.zext(W + 1));
  SVal WMin = SVal::concrete(Signed ? Min.sext(W + 1) : Min.zext(W + 1));
  CmpKind Gt = Signed ? CmpKind::Sgt : CmpKind::Ugt;
  CmpKind Lt = Signed ? CmpKind::Slt : CmpKind::Ult;
  SVal R = B.select(
      B.cmp(Gt, Wide, WMax), SVal::concrete(Max),
      B.select(B.cmp(Lt, Wide, WMin), SVal::concrete(Min), B.trunc(Wide, W)));
  return R;
}
