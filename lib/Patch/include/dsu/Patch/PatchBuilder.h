//===- PatchBuilder.h - building a patch from two builds -----------*- C++ -*-===//
#ifndef DSU_PATCH_PATCHBUILDER_H
#define DSU_PATCH_PATCHBUILDER_H

#include "dsu/Model/TURecord.h"
#include "dsu/Patch/Diff.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"
#include <map>
#include <memory>
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

/// The patch's code and tables as one LLVM module in Ctx (the new build's
/// changed and added code with slots, __dsu_patch_info, __dsu_points, ...),
/// before it is compiled: for a shared object (position-independent) or,
/// with ForSharedObject false, to be linked into one program with the old
/// build's code (`dsu merge`, lib/Merge). Fails as buildPatch does on the
/// plan's refusals.
llvm::Expected<std::unique_ptr<llvm::Module>>
buildPatchModule(const Build &Old, const Build &New, const PatchPlan &Plan,
                 const PatchBuildOptions &Opts, llvm::LLVMContext &Ctx,
                 bool ForSharedObject = true);

/// The C source of the patch's state transformers, after the checks
/// buildPatch makes (the pair the file was generated for, pinned types,
/// DSU-TODO lines): the user's (Opts.TransformersIn) or the generated ones;
/// empty when the patch needs none. Writes Opts.TransformersOut.
llvm::Expected<std::string> patchTransformers(const Build &Old,
                                              const Build &New,
                                              const PatchPlan &Plan,
                                              const PatchBuildOptions &Opts);

/// The code-generation options every unit of the program was built with
/// (-fno-builtin, -m flags), without -O and PIC/PIE flags: the patch's code
/// is compiled with them too.
std::vector<std::string> patchCodegenOptions(const ProgramModel &New);

/// The new build's functions and globals by the C names a transformers file
/// may use for them (external names, and static names only one unit uses),
/// mapped to their identity symbols: `dsu patch` and `dsu merge` bind the
/// transformers' references through it.
std::map<std::string, std::string> transformerNames(const ProgramModel &New);

} // namespace dsu

#endif
