//===- Expr.h - Values of the symbolic executor -----------------*- C++ -*-===//
//
// A value is either concrete (an llvm::APInt of the LLVM type's bit width)
// or symbolic (a Z3 bit-vector term of that width; i1 values are Z3 Bool
// terms). The ExprBuilder folds operations on concrete operands with APInt
// and only builds Z3 terms when an operand is symbolic, so the common,
// concrete part of a program runs without touching Z3. The Z3 context is
// created without reference counting: terms live as long as the context,
// which lives as long as one run, so their ids are stable cache keys.
//
//===----------------------------------------------------------------------===//

#ifndef DSU_SYMEX_EXPR_H
#define DSU_SYMEX_EXPR_H

#include "llvm/ADT/APInt.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringRef.h"
#include <memory>
#include <string>
#include <vector>
#include <z3.h>

namespace dsu::symex {

/// Owns the Z3 context and caches per-term facts (free variables).
class ExprContext {
public:
  ExprContext();
  ~ExprContext();
  ExprContext(const ExprContext &) = delete;
  ExprContext &operator=(const ExprContext &) = delete;

  Z3_context z3() const { return Ctx; }
  Z3_sort bvSort(unsigned Width);
  Z3_ast numeral(const llvm::APInt &V);
  Z3_ast boolVal(bool B) { return B ? Z3_mk_true(Ctx) : Z3_mk_false(Ctx); }
  /// A fresh bit-vector variable of \p Width bits named \p Name.
  Z3_ast variable(llvm::StringRef Name, unsigned Width);
  bool isBool(Z3_ast E) const;
  unsigned width(Z3_ast E) const; // 1 for Bool
  /// Z3's simplifier; \p E itself when Z3 fails (the failure stays pending).
  Z3_ast simplify(Z3_ast E);
  /// Moves the pending Z3 error message, if any, into \p Msg.
  static bool takeFailure(std::string &Msg);
  /// True when \p E is a numeral; its value is stored in \p V.
  bool numeralValue(Z3_ast E, llvm::APInt &V) const;
  unsigned id(Z3_ast E) const { return Z3_get_ast_id(Ctx, E); }
  std::string str(Z3_ast E) const;
  /// The ids of the variables in \p E, sorted (cached per term).
  const std::vector<unsigned> &variables(Z3_ast E);
  /// Whether \p E holds a division or remainder whose divisor is not a
  /// power of two (cached per term): the solver picks its method by it.
  bool hasDivision(Z3_ast E);
  /// The variable term whose id is \p Id.
  Z3_ast variableById(unsigned Id) const { return VarById.lookup(Id); }

private:
  Z3_context Ctx;
  llvm::DenseMap<unsigned, Z3_sort> Sorts;
  llvm::DenseMap<unsigned, std::unique_ptr<std::vector<unsigned>>> VarCache;
  llvm::DenseMap<unsigned, Z3_ast> VarById;
  llvm::DenseMap<unsigned, bool> DivisionCache;
};

/// A concrete or symbolic value of a fixed bit width.
class SVal {
public:
  SVal() = default;
  static SVal concrete(llvm::APInt V) {
    SVal R;
    R.Width = V.getBitWidth();
    R.C = std::move(V);
    return R;
  }
  static SVal concrete(unsigned Width, uint64_t V) {
    return concrete(llvm::APInt(Width, V));
  }
  static SVal symbolic(Z3_ast E, unsigned Width) {
    SVal R;
    R.Width = Width;
    R.Sym = E;
    return R;
  }
  bool isConcrete() const { return !Sym; }
  bool valid() const { return Width != 0; }
  unsigned width() const { return Width; }
  const llvm::APInt &value() const { return C; }
  uint64_t zext() const { return C.getZExtValue(); }
  Z3_ast sym() const { return Sym; }

private:
  unsigned Width = 0;
  llvm::APInt C;
  Z3_ast Sym = nullptr;
};

enum class CmpKind { Eq, Ne, Ult, Ule, Ugt, Uge, Slt, Sle, Sgt, Sge };

/// Builds values, folding concrete operands.
class ExprBuilder {
public:
  explicit ExprBuilder(ExprContext &C) : Ctx(C), Z(C.z3()) {}
  ExprContext &context() { return Ctx; }

  /// The term of \p V as a bit-vector (i1 as a 1-bit vector).
  Z3_ast bv(const SVal &V);
  /// The term of an i1 value as a Bool.
  Z3_ast boolean(const SVal &V);
  /// Wraps a term; numerals become concrete values, Bools become i1.
  SVal wrap(Z3_ast E);

  SVal add(const SVal &A, const SVal &B);
  SVal sub(const SVal &A, const SVal &B);
  SVal mul(const SVal &A, const SVal &B);
  SVal udiv(const SVal &A, const SVal &B);
  SVal sdiv(const SVal &A, const SVal &B);
  SVal urem(const SVal &A, const SVal &B);
  SVal srem(const SVal &A, const SVal &B);
  SVal shl(const SVal &A, const SVal &B);
  SVal lshr(const SVal &A, const SVal &B);
  SVal ashr(const SVal &A, const SVal &B);
  SVal andOp(const SVal &A, const SVal &B);
  SVal orOp(const SVal &A, const SVal &B);
  SVal xorOp(const SVal &A, const SVal &B);
  SVal notOp(const SVal &A);
  SVal cmp(CmpKind K, const SVal &A, const SVal &B);
  SVal zext(const SVal &A, unsigned W);
  SVal sext(const SVal &A, unsigned W);
  SVal trunc(const SVal &A, unsigned W);
  SVal zextOrTrunc(const SVal &A, unsigned W);
  SVal sextOrTrunc(const SVal &A, unsigned W);
  SVal select(const SVal &Cond, const SVal &T, const SVal &F);
  /// The operand Y when \p A is zext(Y) (a zero extension, or a concat
  /// whose high part is the numeral 0), else null.
  Z3_ast zeroExtendedOperand(const SVal &A);
  /// Bits [Lo, Lo+W) of \p A.
  SVal extract(const SVal &A, unsigned Lo, unsigned W);
  /// \p Hi above \p Lo.
  SVal concat(const SVal &Hi, const SVal &Lo);
  /// \p A with bits [Lo, Lo+width(V)) replaced by \p V.
  SVal insert(const SVal &A, unsigned Lo, const SVal &V);

private:
  ExprContext &Ctx;
  Z3_context Z;
};

} // namespace dsu::symex

#endif
