//===- CompileUtil.h - compiling C snippets in unit tests ---------*- C++ -*-===//
#ifndef DSU_TESTS_UNIT_COMPILEUTIL_H
#define DSU_TESTS_UNIT_COMPILEUTIL_H

#include "TestUtil.h"
#include "dsu/Frontend/ClangFrontend.h"

#include <optional>

namespace dsu::test {

/// Writes Code to Dir/Rel and compiles it with dsu::compileToIR the way
/// dsu-cc does (-O2, <dsu.h> on the include path).
inline std::optional<CompiledTU>
compileSnippet(const TempDir &Dir, const std::string &Rel,
               const std::string &Code,
               const std::vector<std::string> &Allocators = {},
               const std::vector<std::string> &ExtraArgs = {}) {
  std::string Path = writeSource(Dir, Rel, Code);
  std::vector<std::string> Args = {clangPath(), "-O2",
                                   "-I" DSU_TEST_INCLUDE_DIR};
  Args.insert(Args.end(), ExtraArgs.begin(), ExtraArgs.end());
  Args.insert(Args.end(), {"-c", Path, "-o", Path + ".o"});
  auto TU = compileToIR(Args, Allocators, llvm::errs());
  if (!TU) {
    ADD_FAILURE() << "compiling " << Rel << ": " << llvm::toString(TU.takeError());
    return std::nullopt;
  }
  return std::move(*TU);
}

} // namespace dsu::test

#endif
