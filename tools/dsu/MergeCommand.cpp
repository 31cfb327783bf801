//===- MergeCommand.cpp - dsu merge ---------------------------------------===//
//
// Thin: parses the arguments, loads the builds, calls lib/Merge and writes.
// Three builds (v1 v2 v3) make the merged program of a chain of two updates;
// --patch2 and --transformers2 are the second's --patch and --transformers.
// Every failure to merge (builds that are not dsu-cc's, builds of two
// different programs, a patch for another pair, transformers that do not
// compile, a patch the merge cannot model) exits with status 3.
//
//===----------------------------------------------------------------------===//
#include "Commands.h"
#include "dsu/Analysis/StoredModules.h"
#include "dsu/Merge/Merge.h"
#include "dsu/Support/InstallLayout.h"
#include "dsu/Support/Process.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

using namespace dsu;
using namespace llvm;

namespace {

constexpr int MergeFailed = 3;

int fail(const Twine &Msg, int Status = MergeFailed) {
  errs() << "dsu: error: merge: " << Msg << "\n";
  return Status;
}

} // namespace

int dsu::runMergeCommand(const ArgList &Args) {
  std::vector<std::string> Positional;
  std::string Out, Exe, Patch, Transformers, Keep, StateLoss, ForceAt;
  std::string Patch2, Transformers2;
  bool Explain = false, AllowPartial = false;
  for (size_t I = 1; I < Args.size(); ++I) {
    const std::string &A = Args[I];
    auto Value = [&](std::string &To) {
      if (I + 1 >= Args.size())
        return false;
      To = Args[++I];
      return true;
    };
    if (A == "--explain")
      Explain = true;
    else if (A == "--allow-partial")
      AllowPartial = true;
    else if (A == "--force-at") {
      // As `dsu apply --force-at`: repeatable, a comma-separated list or
      // "all".
      std::string List;
      if (!Value(List))
        return fail("option '" + A + "' needs a value", 1);
      for (StringRef Point : split(StringRef(List), ',')) {
        if (Point != "all" && (!Point.contains(':') ||
                               Point.find_first_of(" \n") != StringRef::npos))
          return fail("--force-at takes FILE:LINE of an update point, "
                      "several separated by commas, or 'all'",
                      1);
        if (Point == "all" || ForceAt == "all")
          ForceAt = "all";
        else
          ForceAt += (ForceAt.empty() ? "" : ",") + Point.str();
      }
    } else if (A == "-o" || A == "--exe" || A == "--patch" ||
               A == "--transformers" || A == "--keep" ||
               A == "--allow-state-loss" || A == "--patch2" ||
               A == "--transformers2") {
      std::string &To = A == "-o"                   ? Out
                        : A == "--exe"              ? Exe
                        : A == "--patch"            ? Patch
                        : A == "--patch2"           ? Patch2
                        : A == "--transformers2"    ? Transformers2
                        : A == "--keep"             ? Keep
                        : A == "--allow-state-loss" ? StateLoss
                                                    : Transformers;
      if (!Value(To))
        return fail("option '" + A + "' needs a value", 1);
    } else if (A.size() > 1 && A[0] == '-')
      return fail("unknown option '" + A + "'", 1);
    else
      Positional.push_back(A);
  }
  bool Chain = Positional.size() == 3;
  if ((Positional.size() != 2 && !Chain) ||
      (Out.empty() && Exe.empty() && !Explain) ||
      (!Chain && (!Patch2.empty() || !Transformers2.empty())))
    return fail("usage: dsu merge OLD NEW [THIRD] [--patch PATCH] "
                "[--transformers FILE.c] [--patch2 PATCH] [--transformers2 "
                "FILE.c] [-o MERGED.bc|.ll] [--exe PROGRAM] [--explain] "
                "[--keep DIR] [--allow-partial] [--allow-state-loss "
                "NAME[,NAME...]] [--force-at FILE:LINE[,...]|all]",
                1);
  auto Start = std::chrono::steady_clock::now();
  auto Old = loadBuild(Positional[0]);
  if (!Old)
    return fail(toString(Old.takeError()));
  auto New = loadBuild(Positional[1]);
  if (!New)
    return fail(toString(New.takeError()));
  Expected<Build> Third = Build();
  if (Chain)
    Third = loadBuild(Positional[2]);
  if (!Third)
    return fail(toString(Third.takeError()));
  for (const std::string &File : {Transformers, Transformers2})
    if (!File.empty() && !sys::fs::is_regular_file(File))
      return fail(File + ": no such file");
  MergeOptions Opts;
  Opts.TransformersIn = Transformers;
  Opts.PatchFile = Patch;
  Opts.IncludeDir = includeDir();
  Opts.KeepDir = Keep;
  Opts.AllowPartial = AllowPartial;
  Opts.ForceAt = ForceAt;
  Opts.Third = Chain ? &*Third : nullptr;
  Opts.TransformersIn2 = Transformers2;
  Opts.PatchFile2 = Patch2;
  for (StringRef Name : split(StateLoss, ','))
    if (!Name.empty())
      Opts.AllowStateLoss.insert(Name.str());
  // A chain's explanation is the first update's, then the second's.
  auto ExplainAll = [&]() {
    outs() << explainMerge(*Old, *New, diffModels(Old->Model, New->Model));
    if (Chain)
      outs() << explainMerge(*New, *Third,
                             diffModels(New->Model, Third->Model));
  };
  if (Explain && Out.empty() && Exe.empty()) {
    if (Error E = checkMergeInputs(*Old, *New, Opts))
      return fail(toString(std::move(E)));
    if (Chain) {
      MergeOptions Second = Opts;
      Second.PatchFile = Patch2;
      if (Error E = checkMergeInputs(*New, *Third, Second))
        return fail(toString(std::move(E)));
    }
    ExplainAll();
    return 0;
  }
  auto Merged = mergeBuilds(*Old, *New, Opts);
  if (!Merged)
    return fail(toString(Merged.takeError()));
  if (!Out.empty())
    if (Error E = writeMergedModule(*Merged->Module, Out))
      return fail(toString(std::move(E)));
  if (!Exe.empty())
    if (Error E =
            compileMerged(*Merged->Module, (Chain ? *Third : *New).Model, Exe))
      return fail(toString(std::move(E)));
  double Seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - Start)
          .count();
  if (Explain)
    ExplainAll();
  else
    outs() << "dsu: merged " << Old->VersionId << " -> " << New->VersionId
           << (Chain ? " -> " + Third->VersionId : std::string()) << " into "
           << (Out.empty() ? Exe : Out) << " (" << Merged->Points.size()
           << " update points, " << Merged->Module->size() << " functions, "
           << format("%.2f", Seconds) << " s)\n";
  return 0;
}
