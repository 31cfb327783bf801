//===- Commands.h - the dsu subcommands ---------------------------*- C++ -*-===//
#ifndef DSU_TOOLS_DSU_COMMANDS_H
#define DSU_TOOLS_DSU_COMMANDS_H

#include "dsu/Analysis/StoredModules.h"
#include "llvm/Support/Error.h"
#include <string>
#include <vector>

namespace dsu {
/// A dsu-cc build, read and analysed (what every command that takes builds
/// needs).
llvm::Expected<Build> loadBuild(const std::string &Path);
/// Where <dsu/patch_format.h> is ($DSU_HOME/include or BIN/../include).
std::string includeDir();

using ArgList = std::vector<std::string>;
int runPatchCommand(const ArgList &Args);
int runKeygenCommand(const ArgList &Args);
int runDiffCommand(const ArgList &Args);
int runApplyCommand(const ArgList &Args);
int runStatusCommand(const ArgList &Args);
int runModelCommand(const ArgList &Args);
int runTestCommand(const ArgList &Args);
int runMergeCommand(const ArgList &Args);
} // namespace dsu

#endif
