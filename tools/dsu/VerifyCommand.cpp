//===- VerifyCommand.cpp - dsu verify, replay of its cases, spec-run -----===//
//
// Thin: parses the arguments, loads the builds and calls lib/Verify.
// Exit status: 0 holds, 1 counterexample, 2 unknown, 3 tool failure (bad
// usage, a file that is not a dsu-cc build, a merge or harness that cannot
// be built, transformers or a spec that do not compile). dsu spec-run: 0
// the spec holds on the session, 1 an assertion fails, 3 tool failure.
//
//===----------------------------------------------------------------------===//
#include "VerifyCommand.h"
#include "Commands.h"
#include "dsu/Support/InstallLayout.h"
#include "dsu/Support/Process.h"
#include "dsu/Verify/Verify.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/raw_ostream.h"

using namespace dsu;
using namespace llvm;

namespace {

constexpr int ToolFailure = 3;

const char *const VerifyUsage =
    "usage: dsu verify OLD NEW --form backward-compatible|conformable|"
    "post-update [--spec F.c] [--patch P | --transformers F.c] "
    "[--old-error PATTERN] --stdin-lines N|--tcp-lines N "
    "--line-max L|--request-forms 'FORM|...' [--alphabet CHARS] [--force-at "
    "FILE:LINE[,...]|all] "
    "[--allow-partial] [--allow-state-loss NAME[,...]] [--max-time S] "
    "[--case FILE] [--keep DIR] [--baseline] [--quiet]";

int usage(const Twine &Msg) {
  errs() << "dsu verify: error: " << Msg << "\n" << VerifyUsage << "\n";
  return ToolFailure;
}

bool parseUnsigned(StringRef S, unsigned &To) {
  return !S.getAsInteger(10, To);
}

} // namespace

int dsu::runVerifyCommand(const ArgList &Args) {
  std::vector<std::string> Positional;
  VerifyOptions O;
  O.CaseFile = "verify-out/counterexample.case";
  std::string Form, Lines, TcpLines, LineMax, RequestForms, MaxTime, StateLoss;
  bool Quiet = false;
  for (size_t I = 1; I < Args.size(); ++I) {
    const std::string &A = Args[I];
    std::string *To = A == "--form"               ? &Form
                      : A == "--patch"            ? &O.PatchFile
                      : A == "--transformers"     ? &O.TransformersIn
                      : A == "--old-error"        ? &O.OldError
                      : A == "--spec"             ? &O.SpecFile
                      : A == "--stdin-lines"      ? &Lines
                      : A == "--tcp-lines"        ? &TcpLines
                      : A == "--line-max"         ? &LineMax
                      : A == "--alphabet"         ? &O.Alphabet
                      : A == "--request-forms"    ? &RequestForms
                      : A == "--force-at"         ? &O.ForceAt
                      : A == "--allow-state-loss" ? &StateLoss
                      : A == "--max-time"         ? &MaxTime
                      : A == "--case"             ? &O.CaseFile
                      : A == "--keep"             ? &O.KeepDir
                                                  : nullptr;
    if (To) {
      if (I + 1 >= Args.size())
        return usage("option '" + A + "' needs a value");
      *To = Args[++I];
    } else if (A == "--quiet" || A == "-q")
      Quiet = true;
    else if (A == "--allow-partial")
      O.AllowPartial = true;
    else if (A == "--baseline")
      O.Baseline = true;
    else if (A.size() > 1 && A[0] == '-')
      return usage("unknown option '" + A + "'");
    else
      Positional.push_back(A);
  }
  if (Positional.size() != 2)
    return usage("give the OLD and NEW builds");
  auto F = parseVerifyForm(Form);
  if (!F)
    return usage(
        Form.empty()
            ? "give --form"
            : "unknown form '" + Form +
                  "' (backward-compatible, conformable or post-update)");
  O.Form = *F;
  if (!Lines.empty() && !TcpLines.empty())
    return usage("give one input model: --stdin-lines or --tcp-lines");
  O.Tcp = !TcpLines.empty();
  if (O.Tcp)
    Lines = TcpLines;
  if (!RequestForms.empty()) {
    if (!LineMax.empty())
      return usage("give --line-max or --request-forms, not both");
    for (StringRef F : split(RequestForms, '|'))
      O.RequestForms.push_back(F.str());
    LineMax = "1"; // unused: the forms bound the requests
  }
  if (Lines.empty() || LineMax.empty())
    return usage("give the input model: --stdin-lines N (or --tcp-lines N) "
                 "--line-max L (or --request-forms 'FORM|...')");
  if (!parseUnsigned(Lines, O.Lines) || !parseUnsigned(LineMax, O.LineMax))
    return usage(std::string(O.Tcp ? "--tcp-lines" : "--stdin-lines") +
                 " and --line-max take numbers");
  if (!MaxTime.empty() && !to_float(MaxTime, O.MaxTime))
    return usage("--max-time takes seconds");
  if (!O.SpecFile.empty() && !sys::fs::is_regular_file(O.SpecFile))
    return usage(O.SpecFile + ": no such file");
  if (O.Form == VerifyForm::PostUpdate && O.SpecFile.empty())
    return usage("the post-update form needs --spec FILE.c");
  if (!O.PatchFile.empty() && !sys::fs::is_regular_file(O.PatchFile))
    return usage(O.PatchFile + ": no such file");
  if (!O.TransformersIn.empty() && !sys::fs::is_regular_file(O.TransformersIn))
    return usage(O.TransformersIn + ": no such file");
  for (StringRef Name : split(StateLoss, ','))
    if (!Name.empty())
      O.AllowStateLoss.insert(Name.str());
  O.IncludeDir = includeDir();
  if (!Quiet)
    O.Progress = &errs();

  // "PATH: why" from the libraries becomes "PATH: error: why".
  auto Report = [](const std::string &Path, std::string Msg) {
    if (StringRef(Msg).starts_with(Path + ": ")) {
      StringRef Why = StringRef(Msg).drop_front(Path.size() + 2);
      Why.consume_front("error: ");
      errs() << Path << ": error: " << Why << "\n";
    } else
      errs() << "dsu verify: error: " << Msg << "\n";
    return ToolFailure;
  };
  auto Old = loadBuild(Positional[0]);
  if (!Old)
    return Report(Positional[0], toString(Old.takeError()));
  auto New = loadBuild(Positional[1]);
  if (!New)
    return Report(Positional[1], toString(New.takeError()));
  StringRef CaseDir = sys::path::parent_path(O.CaseFile);
  if (!CaseDir.empty())
    sys::fs::create_directories(CaseDir);
  auto R = verifyUpdate(*Old, *New, O);
  if (!R) {
    std::string Msg = toString(R.takeError());
    // clang's diagnostics name the merge's copy of the transformers file.
    if (!O.TransformersIn.empty()) {
      static const Regex Copy("/[^ :]*/dsu-merge-[^/ :]*/transformers\\.c");
      while (Copy.match(Msg))
        Msg = Copy.sub(O.TransformersIn, Msg);
    }
    for (const std::string &File : {O.PatchFile, O.TransformersIn, O.SpecFile,
                                    Positional[0], Positional[1]})
      if (!File.empty() && StringRef(Msg).starts_with(File + ": "))
        return Report(File, Msg);
    errs() << "dsu verify: error: " << Msg << "\n";
    return ToolFailure;
  }
  if (!Quiet)
    errs() << format("dsu verify: %llu paths, %llu with the update, %.2f s "
                     "(exploration %.2f s)\n",
                     (unsigned long long)R->Paths,
                     (unsigned long long)R->UpdatedPaths, R->Seconds,
                     R->ExploreSeconds);
  if (!Quiet)
    errs() << format("dsu verify: %llu instructions, %llu forks, %llu solver "
                     "queries (%llu by enumeration, %llu to Z3, %.2f s)\n",
                     (unsigned long long)R->Instructions,
                     (unsigned long long)R->Forks,
                     (unsigned long long)R->Queries,
                     (unsigned long long)R->EnumerationAnswers,
                     (unsigned long long)R->Z3Queries, R->SolverSeconds);
  for (const std::string &F : R->OldFailures)
    outs() << "note: not judged: the old version alone fails: " << F << "\n";
  switch (R->V) {
  case VerifyResult::Holds:
    outs() << "bounds: " << R->Bounds << "\n";
    outs() << "verdict: holds\n";
    return 0;
  case VerifyResult::Counterexample:
    outs() << R->Report;
    outs() << "verdict: counterexample\n";
    return 1;
  case VerifyResult::Unknown:
    outs() << "verdict: unknown (" << R->Reason << ")\n";
    return 2;
  }
  return ToolFailure;
}

bool dsu::isVerifyCase(StringRef Path) {
  auto Text = readFile(Path);
  if (!Text) {
    consumeError(Text.takeError());
    return false;
  }
  return StringRef(*Text).starts_with("# dsu verify case\n");
}

int dsu::runVerifyReplay(StringRef Path) {
  auto Text = readFile(Path);
  if (!Text) {
    errs() << Path << ": error: " << toString(Text.takeError()) << "\n";
    return ToolFailure;
  }
  auto C = parseVerifyCase(*Text);
  if (!C) {
    errs() << Path << ":1: error: " << toString(C.takeError()) << "\n";
    return ToolFailure;
  }
  auto RC = replayVerifyCase(*C, outs(), includeDir());
  if (!RC) {
    std::string Msg = toString(RC.takeError());
    // A spec that does not compile: clang's diagnostics name its lines.
    if (!C->SpecFile.empty() && StringRef(Msg).starts_with(C->SpecFile + ":"))
      errs() << Msg << "\n";
    else
      errs() << "dsu replay: error: " << Msg << "\n";
    return ToolFailure;
  }
  return *RC;
}

namespace {

const char *const SpecRunUsage =
    "usage: dsu spec-run OLD --spec F.c --requests FILE [--patch P "
    "--update-at K [--force-at FILE:LINE[,...]|all]] [--tcp] [--timeout S]";

int specRunUsage(const Twine &Msg) {
  errs() << "dsu spec-run: error: " << Msg << "\n" << SpecRunUsage << "\n";
  return ToolFailure;
}

} // namespace

int dsu::runSpecRunCommand(const ArgList &Args) {
  SpecRunOptions O;
  std::vector<std::string> Positional;
  std::string RequestsFile, UpdateAt, Timeout;
  for (size_t I = 1; I < Args.size(); ++I) {
    const std::string &A = Args[I];
    std::string *To = A == "--spec"        ? &O.SpecFile
                      : A == "--requests"  ? &RequestsFile
                      : A == "--patch"     ? &O.Patch
                      : A == "--update-at" ? &UpdateAt
                      : A == "--force-at"  ? &O.ForceAt
                      : A == "--timeout"   ? &Timeout
                                           : nullptr;
    if (To) {
      if (I + 1 >= Args.size())
        return specRunUsage("option '" + A + "' needs a value");
      *To = Args[++I];
    } else if (A == "--tcp")
      O.Tcp = true;
    else if (A.size() > 1 && A[0] == '-')
      return specRunUsage("unknown option '" + A + "'");
    else
      Positional.push_back(A);
  }
  if (Positional.size() != 1)
    return specRunUsage("give the OLD build");
  O.Old = Positional[0];
  if (O.SpecFile.empty() || RequestsFile.empty())
    return specRunUsage("give --spec F.c and --requests FILE");
  if (!O.Patch.empty() && UpdateAt.empty())
    return specRunUsage("--patch needs --update-at K (the update-point visit "
                        "to request the update at, from 1)");
  if (O.Patch.empty() && (!UpdateAt.empty() || !O.ForceAt.empty()))
    return specRunUsage("--update-at and --force-at need --patch");
  if (!UpdateAt.empty() &&
      (StringRef(UpdateAt).getAsInteger(10, O.UpdateAt) || O.UpdateAt < 1))
    return specRunUsage("--update-at takes a visit number from 1");
  if (!Timeout.empty() && (!to_float(Timeout, O.Timeout) || O.Timeout <= 0))
    return specRunUsage("--timeout takes seconds");
  for (const std::string *F : {&O.Old, &O.SpecFile, &RequestsFile, &O.Patch})
    if (!F->empty() && !sys::fs::is_regular_file(*F))
      return specRunUsage(*F + ": no such file");
  auto Old = loadBuild(O.Old);
  if (!Old) {
    std::string Msg = toString(Old.takeError());
    StringRef Why = Msg;
    Why.consume_front(O.Old + ": ");
    errs() << O.Old << ": error: " << Why << "\n";
    return ToolFailure;
  }
  auto Requests = readFile(RequestsFile);
  if (!Requests) {
    errs() << RequestsFile << ": error: " << toString(Requests.takeError())
           << "\n";
    return ToolFailure;
  }
  O.Requests = *Requests;
  // Requests are lines, as under dsu verify: a last one without its newline
  // gets one.
  if (!O.Requests.empty() && O.Requests.back() != '\n')
    O.Requests += '\n';
  for (std::string *F : {&O.Old, &O.Patch}) {
    if (F->empty())
      continue;
    SmallString<256> Abs(*F);
    sys::fs::make_absolute(Abs);
    *F = Abs.str().str();
  }
  O.IncludeDir = includeDir();
  auto R = runSpecOnRealSession(O);
  if (!R) {
    std::string Msg = toString(R.takeError());
    if (StringRef(Msg).starts_with(O.SpecFile + ":"))
      errs() << Msg << "\n";
    else
      errs() << "dsu spec-run: error: " << Msg << "\n";
    return ToolFailure;
  }
  outs() << "spec-run: " << O.Old;
  if (!O.Patch.empty())
    outs() << " with " << O.Patch;
  outs() << ", requests from " << RequestsFile
         << (O.Tcp ? " on one TCP connection (the socket model, preloaded)"
                   : "")
         << "\n"
         << R->Report;
  if (!R->Unjudged.empty()) {
    outs() << "spec-run: not judged: " << R->Unjudged << "\n";
    return 2;
  }
  if (R->Holds) {
    outs() << "spec-run: the spec holds on this session\n";
    return 0;
  }
  outs() << R->Place << ": the spec's assertion '" << R->Assertion
         << "' fails\n";
  return 1;
}
