//===- Commands.cpp - argument handling for the dsu subcommands -----------===//
//
// Thin: each command parses its arguments, calls the libraries and prints.
//
//===----------------------------------------------------------------------===//
#include "Commands.h"
#include "dsu/Analysis/StoredModules.h"

#include "dsu/Control/ControlClient.h"
#include "dsu/Control/UpdateTesting.h"
#include "dsu/Model/TURecord.h"
#include "dsu/Patch/Diff.h"
#include "dsu/Patch/PatchBuilder.h"
#include "dsu/Patch/PatchFile.h"
#include "dsu/Support/InstallLayout.h"
#include "dsu/Support/Process.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sys/stat.h>

using namespace dsu;
using namespace llvm;

namespace {

int error(const Twine &Msg) {
  errs() << "dsu: error: " << Msg << "\n";
  return 1;
}

/// Splits Args (after the subcommand) into positionals and --options.
struct Parsed {
  std::vector<std::string> Positional;
  std::map<std::string, std::string> Options;
  std::string Unknown;
};

Parsed parseArgs(const ArgList &Args, const std::set<std::string> &Flags,
                 const std::set<std::string> &Valued) {
  Parsed P;
  for (size_t I = 1; I < Args.size(); ++I) {
    const std::string &A = Args[I];
    if (A.size() > 1 && A[0] == '-') {
      std::string Name = A, Value;
      if (size_t Eq = A.find('='); Eq != std::string::npos) {
        Name = A.substr(0, Eq);
        Value = A.substr(Eq + 1);
        if (Valued.count(Name)) {
          P.Options[Name] = Value;
          continue;
        }
      }
      if (Flags.count(A)) {
        P.Options[A] = "1";
      } else if (Valued.count(A) && I + 1 < Args.size()) {
        P.Options[A] = Args[++I];
      } else if (P.Unknown.empty()) {
        P.Unknown = A;
      }
      continue;
    }
    P.Positional.push_back(A);
  }
  return P;
}

/// The OLD and NEW builds of diff and patch.
Expected<std::pair<Build, Build>> loadBuilds(const std::string &OldPath,
                                             const std::string &NewPath) {
  auto Old = loadBuild(OldPath);
  if (!Old)
    return Old.takeError();
  auto New = loadBuild(NewPath);
  if (!New)
    return New.takeError();
  return std::make_pair(std::move(*Old), std::move(*New));
}

bool parsePid(const std::string &S, int &Pid) {
  char *End = nullptr;
  long V = strtol(S.c_str(), &End, 10);
  if (S.empty() || *End || V <= 0 || V > INT32_MAX)
    return false;
  Pid = int(V);
  return true;
}

} // namespace

/// Reads a dsu-cc build and runs the analyses dsu needs on it; names the
/// file when it is missing (readBuild names the other reasons).
Expected<Build> dsu::loadBuild(const std::string &Path) {
  if (!sys::fs::exists(Path))
    return createStringError(inconvertibleErrorCode(), Path + ": no such file");
  auto B = readBuild(Path);
  if (!B)
    return B.takeError();
  if (Error E = analyseBuild(*B))
    return E;
  return B;
}

/// Where <dsu/patch_format.h> is ($DSU_HOME/include or BIN/../include).
std::string dsu::includeDir() {
  return findInstallLayout("dsu", (void *)&dsu::includeDir).IncludeDir;
}

int dsu::runKeygenCommand(const ArgList &Args) {
  Parsed P = parseArgs(Args, {}, {});
  if (!P.Unknown.empty())
    return error("keygen: unknown option '" + P.Unknown + "'");
  if (P.Positional.size() != 1)
    return error("usage: dsu keygen KEYFILE (writes the secret key to KEYFILE "
                 "and the public key to KEYFILE.pub)");
  const std::string &Key = P.Positional[0];
  if (Error E = generateSigningKey(Key, Key + ".pub"))
    return error("keygen: " + toString(std::move(E)));
  outs() << "secret key " << Key << " (keep it private), public key " << Key
         << ".pub\n";
  return 0;
}

int dsu::runDiffCommand(const ArgList &Args) {
  Parsed P = parseArgs(Args, {"--json"}, {});
  if (!P.Unknown.empty())
    return error("diff: unknown option '" + P.Unknown + "'");
  if (P.Positional.size() != 2)
    return error("usage: dsu diff OLD NEW [--json]");
  auto Builds = loadBuilds(P.Positional[0], P.Positional[1]);
  if (!Builds)
    return error(toString(Builds.takeError()));
  auto &[Old, New] = *Builds;
  PatchPlan Plan = diffModels(Old.Model, New.Model);
  outs() << (P.Options.count("--json") ? Plan.toJSON() + "\n" : Plan.dump());
  return 0;
}

int dsu::runPatchCommand(const ArgList &Args) {
  Parsed P = parseArgs(Args, {"-v", "--verbose", "--allow-partial"},
                       {"-o", "--keep", "--transformers", "--emit-transformers",
                        "--allow-state-loss", "--sign"});
  if (!P.Unknown.empty())
    return error("patch: unknown option '" + P.Unknown + "'");
  if (P.Positional.size() != 2 || !P.Options.count("-o"))
    return error("usage: dsu patch OLD NEW -o PATCH [--keep DIR] "
                 "[--emit-transformers FILE.c] [--transformers FILE.c] "
                 "[--allow-state-loss NAME[,NAME...]] [--allow-partial] "
                 "[--sign KEY] [-v]");
  auto Builds = loadBuilds(P.Positional[0], P.Positional[1]);
  if (!Builds)
    return error(toString(Builds.takeError()));
  auto &[Old, New] = *Builds;
  PatchPlan Plan = diffModels(Old.Model, New.Model);
  PatchBuildOptions Opts;
  Opts.KeepDir = P.Options.count("--keep") ? P.Options["--keep"] : "";
  Opts.Verbose = P.Options.count("-v") || P.Options.count("--verbose");
  Opts.Log = &errs();
  Opts.TransformersIn = P.Options["--transformers"];
  // Checked here as the builds are: a FIFO or a device would hang or
  // exhaust the patch builder's reader.
  if (!Opts.TransformersIn.empty())
    if (auto In = readInputFile(Opts.TransformersIn); !In)
      return error(toString(In.takeError()));
  Opts.TransformersOut = P.Options["--emit-transformers"];
  Opts.IncludeDir = includeDir();
  Opts.AllowPartial = P.Options.count("--allow-partial");
  for (StringRef Name : split(P.Options["--allow-state-loss"], ','))
    if (!Name.empty())
      Opts.AllowStateLoss.insert(Name.str());
  auto Bytes = buildPatch(Old, New, Plan, Opts);
  if (!Bytes)
    return error(toString(Bytes.takeError()));
  if (P.Options.count("--sign")) {
    auto Signed = signPatchFile(*Bytes, P.Options["--sign"]);
    if (!Signed)
      return error("patch: cannot sign: " + toString(Signed.takeError()));
    *Bytes = std::move(*Signed);
  }
  const std::string &Out = P.Options["-o"];
  if (Error E = writePatchFile(Out, *Bytes))
    return error("patch: " + toString(std::move(E)));
  if (Opts.Verbose)
    errs() << Plan.dump();
  size_t Changed = 0;
  for (const auto &F : Plan.Functions)
    Changed += F.Kind != PatchPlan::FunctionChangeKind::Removed;
  outs() << "dsu: wrote " << Out << " (" << Plan.BaseVersion << " -> "
         << Plan.TargetVersion << ", " << Changed << " functions, "
         << Plan.Globals.size() << " global changes, " << Bytes->size()
         << " bytes)\n";
  return 0;
}

int dsu::runApplyCommand(const ArgList &Args) {
  Parsed P = parseArgs(Args, {}, {"--timeout", "--force-at"});
  if (!P.Unknown.empty())
    return error("apply: unknown option '" + P.Unknown + "'");
  if (P.Positional.size() != 2)
    return error("usage: dsu apply PID PATCH [--timeout SECONDS] "
                 "[--force-at FILE:LINE[,FILE:LINE...]|all]...");
  // --force-at may be repeated and takes a comma-separated list or "all".
  std::string Force;
  for (size_t I = 0; I + 1 < Args.size(); ++I)
    if (Args[I] == "--force-at") {
      for (StringRef Point : split(StringRef(Args[I + 1]), ',')) {
        if (Point != "all" && (!Point.contains(':') ||
                                 Point.find_first_of(" \n") != StringRef::npos))
          return error("apply: --force-at takes FILE:LINE of an update "
                       "point, several separated by commas, or 'all'");
        if (Point == "all" || Force == "all")
          Force = "all";
        else
          Force += (Force.empty() ? "" : ",") + Point.str();
      }
    }
  int Pid;
  if (!parsePid(P.Positional[0], Pid))
    return error("apply: '" + P.Positional[0] + "' is not a process id");
  double Timeout = 10;
  if (P.Options.count("--timeout")) {
    const std::string &T = P.Options["--timeout"];
    char *End;
    Timeout = strtod(T.c_str(), &End);
    // Checked here, in seconds, rather than refused by the process later
    // as a malformed request.
    if (T.empty() || *End || !(Timeout >= 0.001 && Timeout <= 86400))
      return error("apply: --timeout takes a number of seconds from 0.001 "
                   "to 86400, not '" + T + "'");
  }
  // The file is opened once: its descriptor is what dsu checks here and
  // what the process reads, so nothing can swap it in between.
  auto Patch = openPatch(P.Positional[1]);
  if (!Patch)
    return error("apply: " + toString(Patch.takeError()));
  // Check the file here too, for a message that names the file before the
  // process is bothered. The runtime checks again: it trusts nobody.
  if (auto Decoded = decodePatchFile(Patch->Bytes); !Decoded)
    return error("apply: " + Patch->Path + ": " +
                 toString(Decoded.takeError()));
  if (!Force.empty())
    errs() << "dsu: WARNING: the update may be applied at "
           << (Force == "all" ? std::string("any update point") : Force)
           << " even if dsu found it unsafe there; the process may be "
              "corrupted\n";
  ApplyOptions Opts;
  Opts.TimeoutMs = std::max(1, int(Timeout * 1000));
  Opts.ForceAt = Force;
  Opts.Note = [](StringRef Text) { errs() << "dsu: " << Text << "\n"; };
  auto Result = applyPatch(Pid, *Patch, Opts);
  if (!Result)
    return error("apply: " + toString(Result.takeError()));
  outs() << "dsu: " << Result->Summary << "\n";
  return 0;
}

int dsu::runStatusCommand(const ArgList &Args) {
  Parsed P = parseArgs(Args, {"--json"}, {});
  if (!P.Unknown.empty())
    return error("status: unknown option '" + P.Unknown + "'");
  int Pid;
  if (P.Positional.size() != 1 || !parsePid(P.Positional[0], Pid))
    return error("usage: dsu status PID [--json]");
  auto Reply = queryStatus(Pid);
  if (!Reply)
    return error("status: " + toString(Reply.takeError()));
  auto J = nlohmann::json::parse(*Reply, nullptr, false);
  if (J.is_discarded() || !J.is_object())
    return error("status: process " + Twine(Pid) +
                 " sent a status that is not JSON: " + *Reply);
  if (P.Options.count("--json")) {
    outs() << *Reply << "\n";
    return 0;
  }
  outs() << "pid " << J.value("pid", 0) << "\n";
  outs() << "version " << J.value("version", std::string()) << "\n";
  outs() << "built as " << J.value("built_version", std::string()) << "\n";
  size_t Listed = J.contains("updates") ? J["updates"].size() : 0;
  int Total = J.value("updates_total", int(Listed));
  if (size_t(Total) > Listed)
    outs() << "updates " << Total << " (the last " << Listed
           << " listed)\n";
  for (const auto &U : J["updates"]) {
    time_t When = U.value("time", 0);
    char Buf[64];
    strftime(Buf, sizeof(Buf), "%Y-%m-%d %H:%M:%S", localtime(&When));
    outs() << "update " << U.value("from", std::string()) << " -> "
           << U.value("to", std::string()) << " at " << Buf << " ("
           << U.value("patch", std::string()) << ", "
           << U.value("rebinds", 0) << " functions, pause "
           << U.value("pause_ns", 0ull) << " ns, at "
           << U.value("at", std::string()) << ")\n";
    if (!U.value("forced", std::string()).empty())
      outs() << "  FORCED at an update point found unsafe: "
             << U.value("forced", std::string()) << "\n";
  }
  if (J["pending"].is_null())
    outs() << "pending none\n";
  else
    outs() << "pending " << J["pending"].value("patch", std::string())
           << " (requested by pid " << J["pending"].value("requester", 0)
           << ", waiting " << J["pending"].value("waiting_ms", 0ull)
           << " ms)\n";
  return 0;
}

int dsu::runModelCommand(const ArgList &Args) {
  Parsed P = parseArgs(Args, {}, {});
  if (!P.Unknown.empty())
    return error("model: unknown option '" + P.Unknown + "'");
  if (P.Positional.size() != 1)
    return error("usage: dsu model PROGRAM-OR-OBJECT");
  auto Records = readTURecords(P.Positional[0]);
  if (!Records)
    return error(toString(Records.takeError()));
  if (Records->empty())
    return error(P.Positional[0] + ": not built with dsu-cc");
  Build B;
  for (const TURecord &R : *Records)
    B.Model.TUs.push_back(R.Model);
  B.Records = std::move(*Records);
  if (Error E = analyseBuild(B))
    return error(toString(std::move(E)));
  outs() << B.Model.dump();
  return 0;
}

int dsu::runTestCommand(const ArgList &Args) {
  // dsu test PROGRAM PATCH --input FILE [--expected FILE] [--timeout S]
  //          [-- PROGRAM-ARGS...]
  ArgList Own(Args.begin(), std::find(Args.begin(), Args.end(), "--"));
  ArgList ProgramArgs;
  if (Own.size() < Args.size())
    ProgramArgs.assign(Args.begin() + Own.size() + 1, Args.end());
  Parsed P = parseArgs(Own, {"-q"}, {"--input", "--expected", "--timeout"});
  if (!P.Unknown.empty())
    return error("test: unknown option '" + P.Unknown + "'");
  if (P.Positional.size() != 2 || !P.Options.count("--input"))
    return error("usage: dsu test PROGRAM PATCH --input FILE [--expected FILE] "
                 "[--timeout SECONDS] [-- PROGRAM-ARGS...]");
  UpdateTestOptions Opts;
  Opts.Program = P.Positional[0];
  Opts.Patch = P.Positional[1];
  Opts.Input = P.Options["--input"];
  Opts.Expected = P.Options["--expected"];
  Opts.Args = ProgramArgs;
  if (P.Options.count("--timeout"))
    Opts.TimeoutSeconds = unsigned(std::max(1L, atol(P.Options["--timeout"].c_str())));
  for (const std::string *F : {&Opts.Program, &Opts.Patch, &Opts.Input})
    if (!sys::fs::exists(*F))
      return error(*F + ": no such file");
  bool Quiet = P.Options.count("-q");
  auto Report = runUpdateTests(Opts, [&](const UpdateTestRun &R) {
    if (!Quiet || !R.Passed)
      outs() << (R.Passed ? "PASS" : "FAIL") << " update at point "
             << R.UpdatePoint << (R.Passed ? "" : ": " + R.Difference)
             << "\n";
  });
  if (!Report)
    return error("test: " + toString(Report.takeError()));
  size_t Failed = 0;
  for (const UpdateTestRun &R : Report->Runs)
    Failed += !R.Passed;
  outs() << "dsu test: " << Report->UpdatePoints
         << " update points reached; " << (Report->Runs.size() + 1)
         << " runs in " << format("%.3f", Report->Seconds) << " s\n";
  outs() << (Report->Runs.size() - Failed) << " passed, " << Failed
         << " failed\n";
  return Failed ? 1 : 0;
}
