#include "dsu/Control/UpdateTesting.h"
#include "dsu/Support/Process.h"
#include "dsu/control_protocol.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"

#include <chrono>
#include <sstream>

extern char **environ;

using namespace dsu;
using namespace llvm;

namespace {

struct RunResult {
  int ExitCode = 0;
  std::string Output, Errors;
};

Expected<RunResult> runOnce(const UpdateTestOptions &Opts,
                            const std::vector<std::string> &Extra,
                            const TempDir &Tmp) {
  std::vector<std::string> EnvStorage;
  for (char **E = environ; *E; ++E)
    if (!StringRef(*E).starts_with(DSU_ENV_TEST_PREFIX))
      EnvStorage.push_back(*E);
  EnvStorage.push_back(DSU_ENV_DISABLE "=1");
  for (const std::string &X : Extra)
    EnvStorage.push_back(X);
  std::vector<StringRef> Env(EnvStorage.begin(), EnvStorage.end());
  std::vector<StringRef> Args = {Opts.Program};
  for (const std::string &A : Opts.Args)
    Args.push_back(A);
  std::string Out = Tmp.file("out"), Err = Tmp.file("err");
  std::optional<StringRef> Redirects[3] = {StringRef(Opts.Input),
                                           StringRef(Out), StringRef(Err)};
  std::string Why;
  bool Failed = false;
  int Rc = sys::ExecuteAndWait(Opts.Program, Args, ArrayRef(Env), Redirects,
                               Opts.TimeoutSeconds, 0, &Why, &Failed);
  if (Failed)
    return createStringError(inconvertibleErrorCode(),
                             "cannot run " + Opts.Program + ": " + Why);
  RunResult R;
  R.ExitCode = Rc;
  if (Rc == -2)
    R.Errors = "timed out after " + std::to_string(Opts.TimeoutSeconds) + " s";
  if (auto Text = readFile(Out))
    R.Output = std::move(*Text);
  else
    consumeError(Text.takeError());
  if (auto Text = readFile(Err))
    R.Errors += std::move(*Text);
  else
    consumeError(Text.takeError());
  return R;
}

std::string firstDifference(const std::string &Want, const std::string &Got) {
  std::istringstream A(Want), B(Got);
  std::string LA, LB;
  for (unsigned Line = 1;; ++Line) {
    bool HA = bool(std::getline(A, LA)), HB = bool(std::getline(B, LB));
    if (!HA && !HB)
      return "";
    if (!HA || !HB || LA != LB)
      return "line " + std::to_string(Line) + ": expected '" +
             (HA ? LA : std::string("<end>")) + "', got '" +
             (HB ? LB : std::string("<end>")) + "'";
  }
}

} // namespace

Expected<UpdateTestReport>
dsu::runUpdateTests(const UpdateTestOptions &Opts,
                    const std::function<void(const UpdateTestRun &)> &Progress) {
  auto Start = std::chrono::steady_clock::now();
  auto Tmp = TempDir::create("dsu-test");
  if (!Tmp)
    return Tmp.takeError();
  UpdateTestReport Report;
  std::string CountFile = Tmp->file("count");
  auto Base = runOnce(Opts, {DSU_ENV_TEST_COUNT_FILE "=" + CountFile}, *Tmp);
  if (!Base)
    return Base.takeError();
  if (Base->ExitCode != 0)
    return createStringError(inconvertibleErrorCode(),
                             "the run without an update failed (exit " +
                                 std::to_string(Base->ExitCode) + "): " +
                                 Base->Errors);
  auto Count = readFile(CountFile);
  if (!Count)
    return createStringError(inconvertibleErrorCode(),
                             Opts.Program + " reported no update points (was "
                                            "it built with dsu-cc?)");
  Report.UpdatePoints = std::atol(Count->c_str());
  Report.Baseline = Base->Output;
  std::string Expected = Base->Output;
  if (!Opts.Expected.empty()) {
    auto Text = readFile(Opts.Expected);
    if (!Text)
      return Text.takeError();
    Expected = std::move(*Text);
  }
  SmallString<256> Patch(Opts.Patch);
  sys::fs::make_absolute(Patch);
  for (long K = 1; K <= Report.UpdatePoints; ++K) {
    auto R = runOnce(Opts,
                     {DSU_ENV_TEST_UPDATE_AT "=" + std::to_string(K),
                      DSU_ENV_TEST_PATCH "=" + std::string(Patch)},
                     *Tmp);
    if (!R)
      return R.takeError();
    UpdateTestRun Run;
    Run.UpdatePoint = K;
    Run.ExitCode = R->ExitCode;
    if (R->Errors.find("dsu: test: updated at") == std::string::npos) {
      size_t Line = R->Errors.find("dsu: test:");
      Run.Difference = Line == std::string::npos
                           ? "the update did not happen (exit " +
                                 std::to_string(R->ExitCode) + ")"
                           : R->Errors.substr(Line, R->Errors.find('\n', Line) -
                                                        Line);
    } else {
      Run.Difference = firstDifference(Expected, R->Output);
      if (Run.Difference.empty() && R->ExitCode != Base->ExitCode)
        Run.Difference = "exit status " + std::to_string(R->ExitCode);
    }
    Run.Passed = Run.Difference.empty();
    if (Progress)
      Progress(Run);
    Report.Runs.push_back(Run);
  }
  Report.Seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - Start)
                       .count();
  return Report;
}
