//===- StoredModules.h - a build's stored modules, parsed once ---*- C++
//-*-===//
#ifndef DSU_ANALYSIS_STOREDMODULES_H
#define DSU_ANALYSIS_STOREDMODULES_H

#include "dsu/Model/TURecord.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <vector>

namespace dsu {

/// The LLVM module of each TU record of a build (Modules[i] is
/// B.Records[i]'s), in a context of their own.
struct StoredModules {
  llvm::LLVMContext Ctx;
  std::vector<std::unique_ptr<llvm::Module>> Modules;
};

/// Parses every stored module of B.
llvm::Expected<std::unique_ptr<StoredModules>>
parseStoredModules(const Build &B);

/// Every fact `dsu patch` computes on a build's stored modules, parsing them
/// once: what active frames use after each update point (Continuations.h)
/// and which globals the program never writes (GlobalWrites.h).
llvm::Error analyseBuild(Build &B);

} // namespace dsu

#endif
