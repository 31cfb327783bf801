//===- Solver.h - The one solver interface of the executor ------*- C++ -*-===//
//
// Every question the executor asks is one Query: "is the conjunction of
// these constraints and this expression satisfiable, and if so, what values
// do these terms take in a model?". Solvers are stacked: the independence
// slicer drops constraints that share no variable with the question, the
// cache answers repeated (sliced) questions, and Z3 answers the rest.
//
//===----------------------------------------------------------------------===//

#ifndef DSU_SYMEX_SOLVER_H
#define DSU_SYMEX_SOLVER_H

#include "Expr.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"
#include <memory>
#include <vector>

namespace dsu::symex {

enum class SatResult { Sat, Unsat, Unknown };

struct Query {
  llvm::ArrayRef<Z3_ast> Constraints; ///< Bool terms (the path condition).
  Z3_ast Expr = nullptr;              ///< Bool term, or null for "true".
};

struct SolverStats {
  uint64_t Queries = 0;       ///< Questions asked of the solver stack.
  uint64_t CacheHits = 0;     ///< Answered by the query cache.
  uint64_t ModelHits = 0;     ///< Answered Sat by a recent model.
  uint64_t Z3Queries = 0;     ///< Reached Z3.
  /// Decided by trying every value of small variables (no Z3).
  uint64_t EnumerationAnswers = 0;
  uint64_t SlicedAway = 0;    ///< Constraints dropped by independence.
  uint64_t ConstraintsIn = 0; ///< Constraints offered to the slicer.
  double Z3Seconds = 0;
};

class Solver {
public:
  virtual ~Solver();
  /// Decides \p Q. When the answer is Sat and \p Values is non-null, it
  /// receives one value per term of \p Wanted (bit-vector terms).
  virtual llvm::Expected<SatResult> check(const Query &Q,
                                          llvm::ArrayRef<Z3_ast> Wanted,
                                          std::vector<llvm::APInt> *Values) = 0;
};

struct SolverOptions {
  bool Cache = true;
  bool Independence = true;
  /// How many recent models to try on a question before Z3 (0: none).
  unsigned RecentModels = 8;
  /// Whether terms are evaluated natively (recent models, small domains
  /// enumerated) before Z3 is asked.
  bool Native = true;
  unsigned TimeoutMs = 10000;
  /// When set, every query that reaches Z3 is printed as SMT-LIB.
  llvm::raw_ostream *Dump = nullptr;
};

/// The configured stack: [independence] -> [cache] -> Z3.
std::unique_ptr<Solver> createSolver(ExprContext &Ctx, const SolverOptions &O,
                                     SolverStats &Stats);

/// Prints \p Q as a stable SMT-LIB script: declarations sorted by name,
/// assertions sorted by their text.
void printQuery(llvm::raw_ostream &OS, ExprContext &Ctx, const Query &Q);

} // namespace dsu::symex

#endif
