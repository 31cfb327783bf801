//===- CompilerDriver.h - the logic behind dsu-cc ---------------*- C++ -*-===//
//
// dsu-cc is a drop-in C compiler: it sorts its command line into C sources,
// link inputs and options, compiles each C source through the updatable
// pipeline (ClangFrontend -> assignIdentities -> installSlots -> clang's
// backend) and links with the program's version id, the runtime library and
// an exported dynamic symbol table (so patches can bind to the program).
// Anything it does not make updatable (preprocessing only, assembly, C++,
// --version) is handed to clang-19 unchanged.
//
//===----------------------------------------------------------------------===//
#ifndef DSU_DRIVER_COMPILERDRIVER_H
#define DSU_DRIVER_COMPILERDRIVER_H

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace dsu {

struct DriverConfig {
  std::string IncludeDir; ///< Directory holding dsu.h.
  std::string LibDir;     ///< Directory holding libdsu.a.
};

/// Runs dsu-cc with Args (Args[0] is the program name). Returns the exit
/// status: 0, or that of a clang-19 child (passthrough, the link) that
/// failed after printing its own diagnostics; or an error for the caller to
/// print once (`dsu-cc: error: MESSAGE`). Warnings and, with -fdsu-verbose,
/// what each step produced go to Log, each line prefixed `dsu-cc:`.
llvm::Expected<int> runCompilerDriver(const std::vector<std::string> &Args,
                                      const DriverConfig &Config,
                                      llvm::raw_ostream &Log);

} // namespace dsu

#endif
