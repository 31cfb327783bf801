//===- Evaluate.h - Native evaluation of terms under an assignment -*- C++
//-*-===//
//
// See Evaluate.cpp for how terms are compiled and what the evaluator
// covers.
//
//===----------------------------------------------------------------------===//

#ifndef DSU_SYMEX_EVALUATE_H
#define DSU_SYMEX_EVALUATE_H

#include "Expr.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseMap.h"
#include <cstdint>
#include <vector>

namespace dsu::symex {

/// Evaluates Bool and bit-vector terms of at most 64 bits under a total
/// assignment of their variables, without Z3.
class TermEvaluator {
public:
  explicit TermEvaluator(ExprContext &Ctx) : Ctx(Ctx) {}

  /// Several terms compiled together: their nodes in evaluation order and
  /// the variables they read.
  struct Program {
    std::vector<uint32_t> Order;    ///< Nodes, operands before users.
    std::vector<uint32_t> Roots;    ///< One node per compiled term.
    std::vector<unsigned> VarIds;   ///< Sorted ids of the variables read.
    std::vector<uint32_t> VarNodes; ///< The node of each of VarIds.
  };

  /// Compiles \p Terms into \p P; false when one of them uses an operation
  /// or a width the evaluator does not cover (Z3 must answer then).
  bool compile(llvm::ArrayRef<Z3_ast> Terms, Program &P);

  /// Evaluates \p P with VarIds[I] = \p VarValues[I]; afterwards value(P,
  /// I) is root I's value (0 or 1 for a Bool term).
  void run(const Program &P, llvm::ArrayRef<uint64_t> VarValues);
  uint64_t value(const Program &P, size_t Root) const {
    return Values[P.Roots[Root]];
  }
  /// The width of root \p Root of \p P (1 for a Bool term).
  unsigned width(const Program &P, size_t Root) const {
    return Nodes[P.Roots[Root]].Width;
  }

private:
  struct Node {
    uint8_t Op;
    uint8_t Width;
    uint32_t A = 0, B = 0, C = 0;
    uint64_t Imm = 0; ///< A numeral, an extract's low bit, a variable id.
  };
  /// The node of \p E, compiling it and its operands; -1 if unsupported.
  int64_t nodeOf(Z3_ast E);
  int64_t compileApp(Z3_ast E, llvm::ArrayRef<uint32_t> Args);
  uint32_t add(Node N);

  ExprContext &Ctx;
  std::vector<Node> Nodes;
  /// Term id -> node, or -1 for a term the evaluator cannot compute.
  llvm::DenseMap<unsigned, int64_t> NodeOfTerm;
  std::vector<uint64_t> Values;
  std::vector<uint32_t> Visited; ///< Per node: the stamp of its last visit.
  uint32_t Stamp = 0;
};

} // namespace dsu::symex

#endif
