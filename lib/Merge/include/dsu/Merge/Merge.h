//===- Merge.h - one program holding every execution of an update -*- C++
//-*-===//
//
// See lib/Merge/Merge.cpp for what a merged program is and how it is built,
// and docs/verification.md for its semantics and limits.
//
//===----------------------------------------------------------------------===//
#ifndef DSU_MERGE_MERGE_H
#define DSU_MERGE_MERGE_H

#include "dsu/Model/TURecord.h"
#include "dsu/Patch/Diff.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <optional>
#include <set>
#include <string>

namespace dsu {

struct MergeOptions {
  /// The user's transformers (C), as `dsu patch --transformers` takes them;
  /// empty: the generated ones.
  std::string TransformersIn;
  /// A patch file (`dsu patch`) the merged program stands for: it must take
  /// OLD to NEW. Its compiled code is not used (the merge builds the same
  /// code from the builds); its transformers are the generated ones unless
  /// TransformersIn names the file it was made with.
  std::string PatchFile;
  /// Where <dsu/patch_format.h> lives (BIN/../include).
  std::string IncludeDir;
  /// If set, the intermediate files (transformers, runtime) stay here.
  std::string KeepDir;
  /// As `dsu patch --allow-partial` and `--allow-state-loss`: merge an
  /// update that leaves a loop running its old body, or drops the running
  /// value of these globals (by C name).
  bool AllowPartial = false;
  std::set<std::string> AllowStateLoss;
  /// As `dsu apply --force-at`: "all" or FILE:LINE,... of update points
  /// where the merged program commits at the chosen visit even where the
  /// patch is unsafe there (its checks then show what goes wrong); empty:
  /// none.
  std::string ForceAt;
  /// A chain v1 -> v2 -> v3: the third build (v3; Old and New are v1 and
  /// v2), and the second update's transformers and patch file, as
  /// TransformersIn and PatchFile are the first's. Null: one update.
  const Build *Third = nullptr;
  std::string TransformersIn2;
  std::string PatchFile2;
};

/// A merged program: one LLVM module, in a context of its own.
struct MergedProgram {
  std::unique_ptr<llvm::LLVMContext> Ctx;
  std::unique_ptr<llvm::Module> Module;
  PatchPlan Plan;
  /// The second update's plan (New -> Third), in a chain.
  std::optional<PatchPlan> Plan2;
  /// The old version's update points, in the order the merged program (and
  /// --explain) numbers them; in a chain, then those only the second
  /// version has.
  std::vector<PatchPlan::PointSafety> Points;
};

/// Checks that Old and New are two versions of one program (and that the
/// patch file, if any, takes Old to New); fails naming the problem.
llvm::Error checkMergeInputs(const Build &Old, const Build &New,
                             const MergeOptions &Opts);

/// The old version's update points (not blocking calls) of Plan, sorted by
/// file, line: index i is point i of the merged program.
std::vector<PatchPlan::PointSafety> mergeUpdatePoints(const PatchPlan &Plan);

/// Builds the merged program of the update Old -> New. Old and New must have
/// been analysed (analyseBuild).
llvm::Expected<MergedProgram> mergeBuilds(const Build &Old, const Build &New,
                                          const MergeOptions &Opts);

/// The stable text form of the merge (dsu merge --explain): where each old
/// function and global went, and each update point with its index and
/// whether the update is allowed there.
std::string explainMerge(const Build &Old, const Build &New,
                         const PatchPlan &Plan);

/// Writes the module as bitcode, or as text if Path ends in ".ll".
llvm::Error writeMergedModule(const llvm::Module &M, llvm::StringRef Path);

/// Compiles the module into a native executable with clang-19.
llvm::Error compileMerged(const llvm::Module &M, const ProgramModel &New,
                          llvm::StringRef ExePath);

} // namespace dsu

#endif
