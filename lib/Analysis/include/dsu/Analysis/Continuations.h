//===- Continuations.h - what active frames use after an update ---*- C++ -*-===//
#ifndef DSU_ANALYSIS_CONTINUATIONS_H
#define DSU_ANALYSIS_CONTINUATIONS_H

#include "dsu/Model/TURecord.h"
#include "llvm/Support/Error.h"

namespace dsu {

/// Fills B.Model.Continuations: for each update point of the build, the
/// frames that may be active there and what the rest of each may use (see
/// Continuations.cpp). Works on the modules stored in B.Records.
llvm::Error computeContinuations(Build &B);

struct StoredModules;
/// The same on modules already parsed (StoredModules.h), which it does not
/// change.
llvm::Error computeContinuations(Build &B, StoredModules &Stored);

} // namespace dsu

#endif
