//===- TestUtil.h - helpers shared by the dsu unit tests ----------*- C++ -*-===//
#ifndef DSU_TESTS_UNIT_TESTUTIL_H
#define DSU_TESTS_UNIT_TESTUTIL_H

#include "dsu/Support/Process.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "gtest/gtest.h"

#include <cstdlib>
#include <string>

namespace dsu::test {

/// A fresh temporary directory, removed at the end of the test.
inline TempDir makeTempDir() {
  auto T = TempDir::create("dsu-unit");
  if (!T) {
    ADD_FAILURE() << llvm::toString(T.takeError());
    std::abort();
  }
  return std::move(*T);
}

/// Writes Text to Dir/Rel (creating parent directories) and returns the path.
inline std::string writeSource(const TempDir &Dir, const std::string &Rel,
                               const std::string &Text) {
  std::string Path = Dir.file(Rel);
  llvm::sys::fs::create_directories(llvm::sys::path::parent_path(Path));
  if (llvm::Error E = writeFile(Path, Text))
    ADD_FAILURE() << llvm::toString(std::move(E));
  return Path;
}

/// The message of an error, consuming it ("" for success).
inline std::string errorText(llvm::Error E) {
  return E ? llvm::toString(std::move(E)) : std::string();
}

template <typename T> std::string errorText(llvm::Expected<T> &V) {
  if (V)
    return std::string();
  return llvm::toString(V.takeError());
}

/// Sets an environment variable for the scope of a test.
class ScopedEnv {
public:
  ScopedEnv(const char *Name, const std::string &Value) : Name(Name) {
    if (const char *Old = getenv(Name)) {
      HadOld = true;
      OldValue = Old;
    }
    setenv(Name, Value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (HadOld)
      setenv(Name, OldValue.c_str(), 1);
    else
      unsetenv(Name);
  }

private:
  const char *Name;
  bool HadOld = false;
  std::string OldValue;
};

} // namespace dsu::test

#endif
