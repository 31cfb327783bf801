//===- Process.h - running clang-19 and friends -------------------*- C++ -*-===//
#ifndef DSU_SUPPORT_PROCESS_H
#define DSU_SUPPORT_PROCESS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <string>
#include <vector>

namespace dsu {

/// Path of the clang-19 driver used for preprocessing-free passthrough,
/// final links and patch builds.
std::string clangPath();

/// Runs Program with Args (Args[0] is the program name) and waits. Output
/// goes to this process's stdout/stderr. Returns the exit code, or an error
/// if it could not be started or was killed by a signal.
llvm::Expected<int> runProgram(llvm::StringRef Program,
                               llvm::ArrayRef<std::string> Args);

/// Like runProgram but captures stdout+stderr into Output.
llvm::Expected<int> runProgramCapture(llvm::StringRef Program,
                                      llvm::ArrayRef<std::string> Args,
                                      std::string &Output);

/// A temporary directory removed on destruction unless keep() was called.
class TempDir {
public:
  static llvm::Expected<TempDir> create(llvm::StringRef Prefix);
  TempDir(TempDir &&Other) noexcept;
  TempDir &operator=(TempDir &&) = delete;
  ~TempDir();
  const std::string &path() const { return Path; }
  std::string file(llvm::StringRef Name) const;
  void keep() { Keep = true; }

private:
  explicit TempDir(std::string P) : Path(std::move(P)) {}
  std::string Path;
  bool Keep = false;
};

/// Reads a whole file.
llvm::Expected<std::string> readFile(llvm::StringRef Path);
/// Writes a whole file (truncating).
llvm::Error writeFile(llvm::StringRef Path, llvm::StringRef Bytes);

} // namespace dsu

#endif
