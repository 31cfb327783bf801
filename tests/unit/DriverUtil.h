//===- DriverUtil.h - running dsu-cc's driver in a unit test -----*- C++
//-*-===//
#ifndef DSU_TESTS_DRIVERUTIL_H
#define DSU_TESTS_DRIVERUTIL_H

#include "dsu/Driver/CompilerDriver.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"
#include "gtest/gtest.h"
#include <string>
#include <vector>

namespace dsu::test {

/// Runs the driver as dsu-cc would (errors printed once, as dsu-cc prints
/// them) and returns its exit status; Err, if given, gets what it printed.
inline int runDriver(const std::vector<std::string> &Args,
                     std::string *Err = nullptr) {
  std::vector<std::string> Full = {"dsu-cc"};
  Full.insert(Full.end(), Args.begin(), Args.end());
  testing::internal::CaptureStderr();
  auto Status = runCompilerDriver(
      Full, {DSU_TEST_INCLUDE_DIR, DSU_TEST_LIB_DIR}, llvm::errs());
  int Rc = 1;
  if (Status)
    Rc = *Status;
  else
    llvm::errs() << "dsu-cc: error: " << llvm::toString(Status.takeError())
                 << "\n";
  std::string Text = testing::internal::GetCapturedStderr();
  if (Err)
    *Err = Text;
  return Rc;
}

} // namespace dsu::test

#endif
