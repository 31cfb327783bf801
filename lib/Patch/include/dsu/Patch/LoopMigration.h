//===- LoopMigration.h - running loops taken over by a new body -*- C++ -*-===//
//
// Control migration for loops whose frame changed (see LoopMigration.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef DSU_PATCH_LOOPMIGRATION_H
#define DSU_PATCH_LOOPMIGRATION_H

#include "dsu/Patch/Diff.h"
#include "llvm/IR/Module.h"

#include <map>
#include <optional>
#include <string>

namespace dsu {

/// How the running loop whose body was Old can go on with the body New at
/// its next turn, or none, with the reason in WhyNot.
std::optional<PatchPlan::LoopMigration>
planLoopMigration(const FunctionInfo &Old, const FunctionInfo &New,
                  std::string &WhyNot);

/// The name the transformers file gives a migration's block, layout table
/// and local-state transformer ("__dsu_loop_" + the old body's symbol).
std::string loopMigrationName(const PatchPlan::LoopMigration &M);

/// Adds to the patch module M (the new build's code, before slots are
/// installed) an adapter per migration of Plan with the old body's
/// signature, and declares the old body's slot. Returns, by old body
/// symbol, the adapter that its slot is rebound to.
std::map<std::string, std::string>
addLoopMigrationAdapters(llvm::Module &M, const PatchPlan &Plan);

} // namespace dsu

#endif
