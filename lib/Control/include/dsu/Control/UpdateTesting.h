//===- UpdateTesting.h - dsu test: every update point, one run each -*- C++ -*-===//
//
// Systematic update testing (Hayden et al., TSE 2012): run a client script
// against the old program once without an update, to count the update
// points the run reaches, then once for each of them with the patch applied
// exactly there, and compare each run's output with the expected output.
// The runtime does the applying (DSU_TEST_UPDATE_AT, see dsu_runtime.c).
//
//===----------------------------------------------------------------------===//
#ifndef DSU_CONTROL_UPDATETESTING_H
#define DSU_CONTROL_UPDATETESTING_H

#include "llvm/Support/Error.h"
#include <functional>
#include <string>
#include <vector>

namespace dsu {

struct UpdateTestOptions {
  std::string Program;
  std::vector<std::string> Args;
  std::string Patch;
  std::string Input;    ///< Fed to the program's standard input.
  std::string Expected; ///< Expected output; empty: the run without update.
  unsigned TimeoutSeconds = 60;
};

struct UpdateTestRun {
  long UpdatePoint = 0; ///< 1-based.
  bool Passed = false;
  int ExitCode = 0;
  std::string Difference; ///< First differing line, or the failure.
};

struct UpdateTestReport {
  long UpdatePoints = 0;
  std::string Baseline; ///< Output without an update.
  std::vector<UpdateTestRun> Runs;
  double Seconds = 0;
};

llvm::Expected<UpdateTestReport>
runUpdateTests(const UpdateTestOptions &Opts,
               const std::function<void(const UpdateTestRun &)> &Progress);

} // namespace dsu

#endif
