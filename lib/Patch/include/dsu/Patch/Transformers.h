//===- Transformers.h - state transformers for a patch -------------*- C++ -*-===//
#ifndef DSU_PATCH_TRANSFORMERS_H
#define DSU_PATCH_TRANSFORMERS_H

#include "dsu/Model/Model.h"
#include "dsu/Patch/Diff.h"
#include "llvm/Support/Error.h"
#include <string>

namespace dsu {

/// The words that open a generated transformers file, followed by the pair
/// of versions it was generated for ("BASE -> TARGET").
llvm::StringRef transformersMarker();

/// Marks, in generated transformers, a field that has no default conversion
/// (an array that became a pointer, a struct that became another): the
/// patch is refused while the marker is in the file.
llvm::StringRef todoMarker();

/// True if the plan changes a type or a global's type.
bool needsStateTransformation(const PatchPlan &Plan);

/// Generates the C source of the default transformers and of the tables the
/// runtime reads (see include/dsu/patch_format.h). Fails, naming the type,
/// field or function, where the tool cannot account for every reference to
/// an object it would move.
llvm::Expected<std::string> generateTransformers(const ProgramModel &Old,
                                                 const ProgramModel &New,
                                                 const PatchPlan &Plan);

} // namespace dsu

#endif
