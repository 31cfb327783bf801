//===- Float.cpp - Floating-point instructions ----------------------------===//
//
// Floating point runs on concrete values only, with APFloat in the
// operands' own semantics (float, double, x87 long double) and
// round-to-nearest-even; an operand that is symbolic stops the path as
// unknown ("symbolic floating point"). Values are kept as their bit
// patterns, like every other value of the executor.
//
//===----------------------------------------------------------------------===//

#include "Executor.h"

#include "llvm/ADT/APSInt.h"

using namespace dsu::symex;
using namespace llvm;

static const fltSemantics &semanticsOf(Type *T) {
  if (T->isFloatTy())
    return APFloat::IEEEsingle();
  if (T->isX86_FP80Ty())
    return APFloat::x87DoubleExtended();
  return APFloat::IEEEdouble();
}

/// The outcome of an fcmp with predicate \p P on operands that compare as
/// \p C (ordered predicates are false on NaN, unordered ones true).
static bool fcmp(FCmpInst::Predicate P, APFloat::cmpResult C) {
  bool Res = false;
  bool Uno = C == APFloat::cmpUnordered;
  switch (P) {
  case FCmpInst::FCMP_FALSE:
    Res = false;
    break;
  case FCmpInst::FCMP_TRUE:
    Res = true;
    break;
  case FCmpInst::FCMP_OEQ:
  case FCmpInst::FCMP_UEQ:
    Res = C == APFloat::cmpEqual || (Uno && P == FCmpInst::FCMP_UEQ);
    break;
  case FCmpInst::FCMP_ONE:
  case FCmpInst::FCMP_UNE:
    Res = (C != APFloat::cmpEqual && !Uno) || (Uno && P == FCmpInst::FCMP_UNE);
    break;
  case FCmpInst::FCMP_OLT:
  case FCmpInst::FCMP_ULT:
    Res = C == APFloat::cmpLessThan || (Uno && P == FCmpInst::FCMP_ULT);
    break;
  case FCmpInst::FCMP_OLE:
  case FCmpInst::FCMP_ULE:
    Res = C == APFloat::cmpLessThan || C == APFloat::cmpEqual ||
          (Uno && P == FCmpInst::FCMP_ULE);
    break;
  case FCmpInst::FCMP_OGT:
  case FCmpInst::FCMP_UGT:
    Res = C == APFloat::cmpGreaterThan || (Uno && P == FCmpInst::FCMP_UGT);
    break;
  case FCmpInst::FCMP_OGE:
  case FCmpInst::FCMP_UGE:
    Res = C == APFloat::cmpGreaterThan || C == APFloat::cmpEqual ||
          (Uno && P == FCmpInst::FCMP_UGE);
    break;
  case FCmpInst::FCMP_ORD:
    Res = !Uno;
    break;
  case FCmpInst::FCMP_UNO:
    Res = Uno;
    break;
  default:
    break;
  }
  return Res;
}

void Executor::executeFloat(ExecutionState &S, const Instruction *I) {
  for (const Use &U : I->operands())
    if (!eval(S, U.get()).isConcrete()) {
      terminateEarly(S, "symbolic floating point");
      return;
    }
  auto FP = [&](const Value *V) {
    return APFloat(semanticsOf(V->getType()), eval(S, V).value());
  };
  APFloat::roundingMode RM = APFloat::rmNearestTiesToEven;
  switch (I->getOpcode()) {
  case Instruction::FAdd:
  case Instruction::FSub:
  case Instruction::FMul:
  case Instruction::FDiv:
  case Instruction::FRem: {
    APFloat L = FP(I->getOperand(0)), R = FP(I->getOperand(1));
    switch (I->getOpcode()) {
    case Instruction::FAdd:
      L.add(R, RM);
      break;
    case Instruction::FSub:
      L.subtract(R, RM);
      break;
    case Instruction::FMul:
      L.multiply(R, RM);
      break;
    case Instruction::FDiv:
      L.divide(R, RM);
      break;
    default:
      L.mod(R);
      break;
    }
    setResult(S, I, SVal::concrete(L.bitcastToAPInt()));
    return;
  }
  case Instruction::FNeg: {
    APFloat L = FP(I->getOperand(0));
    L.changeSign();
    setResult(S, I, SVal::concrete(L.bitcastToAPInt()));
    return;
  }
  case Instruction::FCmp: {
    APFloat L = FP(I->getOperand(0)), R = FP(I->getOperand(1));
    bool Res = fcmp(cast<FCmpInst>(I)->getPredicate(), L.compare(R));
    setResult(S, I, SVal::concrete(1, Res));
    return;
  }
  case Instruction::FPToSI:
  case Instruction::FPToUI: {
    APFloat L = FP(I->getOperand(0));
    APSInt R(bitsOf(I->getType()), I->getOpcode() == Instruction::FPToUI);
    bool Exact;
    L.convertToInteger(R, APFloat::rmTowardZero, &Exact);
    setResult(S, I, SVal::concrete(APInt(R)));
    return;
  }
  case Instruction::SIToFP:
  case Instruction::UIToFP: {
    APFloat R(semanticsOf(I->getType()));
    R.convertFromAPInt(eval(S, I->getOperand(0)).value(),
                       I->getOpcode() == Instruction::SIToFP, RM);
    setResult(S, I, SVal::concrete(R.bitcastToAPInt()));
    return;
  }
  case Instruction::FPExt:
  case Instruction::FPTrunc: {
    APFloat L = FP(I->getOperand(0));
    bool Lost;
    L.convert(semanticsOf(I->getType()), RM, &Lost);
    setResult(S, I, SVal::concrete(L.bitcastToAPInt()));
    return;
  }
  default:
    terminateEarly(S, std::string("unsupported instruction '") +
                          I->getOpcodeName() + "'");
  }
}
