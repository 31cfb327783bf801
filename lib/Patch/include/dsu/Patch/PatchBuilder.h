//===- PatchBuilder.h - building a patch from two builds -----------*- C++ -*-===//
#ifndef DSU_PATCH_PATCHBUILDER_H
#define DSU_PATCH_PATCHBUILDER_H

#include "dsu/Model/TURecord.h"
#include "dsu/Patch/Diff.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"
#include <set>
#include <string>

namespace dsu {

struct PatchBuildOptions {
  std::string KeepDir; ///< If set, the patch module (.ll) and .so stay here.
  std::string OptLevel = "-O2";
  bool Verbose = false;
  /// Where notes go: the file the transformers were written to and, with
  /// Verbose, the build's warnings, each line prefixed `dsu patch:`.
  /// Nothing is printed without it.
  llvm::raw_ostream *Log = nullptr;
  /// Use this C file instead of the generated transformers.
  std::string TransformersIn;
  /// Write the generated transformers here (FILE.new if FILE exists and
  /// differs, so that edits are never lost).
  std::string TransformersOut;
  /// Where <dsu/patch_format.h> lives (BIN/../include).
  std::string IncludeDir;
  /// Globals (by C name) whose running value the user lets the update drop
  /// (see PatchPlan::StateLoss); any other state loss is refused.
  std::set<std::string> AllowStateLoss;
  /// Build the patch although parts of the program would keep running old
  /// code (PatchPlan::Partial).
  bool AllowPartial = false;
};

/// Builds the patch file that takes a process from Old to New. Fails with
/// the plan's refusals if the plan needs a state change.
llvm::Expected<std::string> buildPatch(const Build &Old, const Build &New,
                                       const PatchPlan &Plan,
                                       const PatchBuildOptions &Opts);

} // namespace dsu

#endif
