//===- Searcher.h - Which path runs next ------------------------*- C++ -*-===//

#ifndef DSU_SYMEX_SEARCHER_H
#define DSU_SYMEX_SEARCHER_H

#include "State.h"
#include "dsu/Symex/Symex.h"

#include "llvm/ADT/ArrayRef.h"
#include <memory>

namespace dsu::symex {

class Searcher {
public:
  virtual ~Searcher();
  virtual ExecutionState *select() = 0;
  /// After \p Current ran: \p Added were forked (each from its ForkedFrom),
  /// \p Removed terminated (possibly including Current).
  virtual void update(ExecutionState *Current,
                      llvm::ArrayRef<ExecutionState *> Added,
                      llvm::ArrayRef<ExecutionState *> Removed) = 0;
  virtual bool empty() const = 0;
  virtual size_t size() const = 0;
  /// How many instructions a selected state may run before re-selection.
  virtual unsigned quantum() const { return 10000; }
};

std::unique_ptr<Searcher> createSearcher(SearchKind K, unsigned Seed);

} // namespace dsu::symex

#endif
