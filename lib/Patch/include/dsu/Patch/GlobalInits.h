//===- GlobalInits.h - initialisers checked against running bytes -*- C++
//-*-===//
#ifndef DSU_PATCH_GLOBALINITS_H
#define DSU_PATCH_GLOBALINITS_H

#include "dsu/Model/TURecord.h"
#include "dsu/Patch/Diff.h"

#include "llvm/IR/Module.h"

#include <string>
#include <vector>

namespace dsu {

/// Keeps, in M (one of the new build's modules, before its globals become
/// declarations of the process's), a copy of the new initialiser of each
/// global whose initialiser alone changed.
void captureNewInitialisers(llvm::Module &M, const PatchPlan &Plan);

/// Adds __dsu_global_inits (include/dsu/patch_format.h) to the patch module
/// M: the old initialiser of each mutable global whose initialiser or type
/// changed and that may have been written, for the runtime to compare with
/// the running bytes at the commit. Globals it cannot describe are left out
/// (their running values are kept) with a warning.
void addGlobalInits(llvm::Module &M, const Build &Old, const PatchPlan &Plan,
                    std::vector<std::string> &Warnings);

} // namespace dsu

#endif
