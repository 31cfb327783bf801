//===- Commands.h - the dsu subcommands ---------------------------*- C++ -*-===//
#ifndef DSU_TOOLS_DSU_COMMANDS_H
#define DSU_TOOLS_DSU_COMMANDS_H

#include <string>
#include <vector>

namespace dsu {
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
