//===- MergeTest.cpp - dsuMerge: merged programs --------------------------===//
#include "dsu/Merge/Merge.h"
#include "DriverUtil.h"
#include "TestUtil.h"
#include "dsu/Analysis/StoredModules.h"
#include "dsu/Driver/CompilerDriver.h"
#include "dsu/Model/TURecord.h"

#include "llvm/IR/Module.h"
#include "gtest/gtest.h"

#include <sys/wait.h>

using namespace dsu;
using namespace dsu::test;

namespace {

PatchPlan::PointSafety point(std::string File, unsigned Line, bool Safe,
                             std::string Blocking = "") {
  PatchPlan::PointSafety P;
  P.File = std::move(File);
  P.Line = Line;
  P.Safe = Safe;
  P.Reason = Safe ? "" : "it is not";
  P.BlockingCall = std::move(Blocking);
  return P;
}

Build modelBuild(std::string Path, std::vector<std::string> Functions) {
  Build B;
  B.Path = std::move(Path);
  TUModel TU;
  TU.TU = TU.Source = "main.c";
  for (std::string &Name : Functions) {
    FunctionInfo F;
    F.Name = Name;
    F.Symbol = Name + ".dsu.1";
    F.Managed = true;
    TU.Functions.push_back(F);
  }
  B.Model.TUs.push_back(TU);
  B.VersionId = B.Model.versionId();
  return B;
}

/// Builds a program with dsu-cc (in-process) and reads and analyses it.
std::optional<Build> buildProgram(const TempDir &D, const std::string &Name,
                                  const std::string &Code) {
  std::string Src = writeSource(D, Name + "/main.c", Code);
  std::string Exe = D.file(Name + "/prog");
  std::string Err;
  int Rc = runDriver({"-O2", Src, "-o", Exe}, &Err);
  if (Rc != 0) {
    ADD_FAILURE() << "dsu-cc " << Name << ": " << Err;
    return std::nullopt;
  }
  auto B = readBuild(Exe);
  if (!B) {
    ADD_FAILURE() << llvm::toString(B.takeError());
    return std::nullopt;
  }
  if (llvm::Error E = analyseBuild(*B)) {
    ADD_FAILURE() << llvm::toString(std::move(E));
    return std::nullopt;
  }
  return std::move(*B);
}

/// Runs Exe with stdin from Input and DSU_MERGE_UPDATE_AT=K; its stdout.
std::string runMerged(const TempDir &D, const std::string &Exe,
                      const std::string &Input, int K) {
  std::string In = writeSource(D, "input", Input);
  std::string Out = D.file("output");
  std::string Cmd = "DSU_MERGE_UPDATE_AT=" + std::to_string(K) + " " + Exe +
                    " < " + In + " > " + Out + " 2>/dev/null";
  EXPECT_EQ(std::system(Cmd.c_str()), 0) << Cmd;
  auto Text = readFile(Out);
  return Text ? *Text : llvm::toString(Text.takeError());
}

const char *V1 = R"(#include <stdio.h>
#include <stdlib.h>
#include <dsu.h>
static const char *label(void) { return "v1"; }
int main(void) {
  char line[64];
  while (fgets(line, sizeof line, stdin)) {
    DSU_UPDATE_POINT();
    printf("%s %d\n", label(), atoi(line));
  }
  return 0;
}
)";

} // namespace

TEST(Merge, UpdatePointsAreSortedWithoutBlockingCalls) {
  PatchPlan Plan;
  Plan.Points = {point("b.c", 3, true), point("a.c", 9, false),
                 point("a.c", 2, true), point("a.c", 9, true),
                 point("a.c", 5, true, "read")};
  auto Points = mergeUpdatePoints(Plan);
  ASSERT_EQ(Points.size(), 3u);
  EXPECT_EQ(Points[0].File + ":" + std::to_string(Points[0].Line), "a.c:2");
  EXPECT_EQ(Points[1].File + ":" + std::to_string(Points[1].Line), "a.c:9");
  EXPECT_FALSE(Points[1].Safe); // the first entry of a place is kept
  EXPECT_EQ(Points[2].File, "b.c");
}

TEST(Merge, TwoDifferentProgramsAreRefused) {
  Build A = modelBuild("a", {"main", "parse", "eval", "print"});
  Build B = modelBuild("b", {"main", "connect", "serve", "print"});
  Build A2 = modelBuild("a2", {"main", "parse", "eval", "print", "extra"});
  MergeOptions Opts;
  std::string Why = errorText(checkMergeInputs(A, B, Opts));
  EXPECT_NE(Why.find("two different programs"), std::string::npos) << Why;
  EXPECT_NE(Why.find("only 1 of the old build's 3 functions"),
            std::string::npos)
      << Why;
  EXPECT_EQ(errorText(checkMergeInputs(A, A2, Opts)), "");
}

TEST(Merge, ExplainIsStableAndSorted) {
  TempDir D = makeTempDir();
  auto Old = buildProgram(D, "v1", V1);
  std::string V2 = V1;
  V2.replace(V2.find("\"v1\""), 4, "\"v2\"");
  auto New = buildProgram(D, "v2", V2);
  ASSERT_TRUE(Old && New);
  PatchPlan Plan = diffModels(Old->Model, New->Model);
  std::string Text = explainMerge(*Old, *New, Plan);
  EXPECT_EQ(Text, explainMerge(*Old, *New, Plan));
  EXPECT_NE(Text.find("function label (static in main.c): changed: slot "),
            std::string::npos)
      << Text;
  EXPECT_NE(Text.find("point 0 main.c:8: update allowed"), std::string::npos)
      << Text;
}

TEST(Merge, MergedProgramUpdatesAtTheChosenVisit) {
  TempDir D = makeTempDir();
  auto Old = buildProgram(D, "v1", V1);
  std::string V2 = V1;
  V2.replace(V2.find("\"v1\""), 4, "\"v2\"");
  auto New = buildProgram(D, "v2", V2);
  ASSERT_TRUE(Old && New);
  MergeOptions Opts;
  Opts.IncludeDir = DSU_TEST_SOURCE_DIR "/include";
  auto Merged = mergeBuilds(*Old, *New, Opts);
  ASSERT_TRUE(bool(Merged)) << errorText(Merged);
  EXPECT_EQ(Merged->Points.size(), 1u);
  std::string Exe = D.file("merged");
  ASSERT_EQ(errorText(compileMerged(*Merged->Module, New->Model, Exe)), "");
  EXPECT_EQ(runMerged(D, Exe, "1\n2\n3\n", 0), "v1 1\nv1 2\nv1 3\n");
  EXPECT_EQ(runMerged(D, Exe, "1\n2\n3\n", 1), "v2 1\nv2 2\nv2 3\n");
  EXPECT_EQ(runMerged(D, Exe, "1\n2\n3\n", 3), "v1 1\nv1 2\nv2 3\n");
  EXPECT_EQ(runMerged(D, Exe, "1\n2\n3\n", 4), "v1 1\nv1 2\nv1 3\n");
}

TEST(Merge, TransformersThatDoNotCompileAreNamed) {
  TempDir D = makeTempDir();
  auto Old = buildProgram(D, "v1", V1);
  std::string V2 = V1;
  V2.replace(V2.find("\"v1\""), 4, "\"v2\"");
  auto New = buildProgram(D, "v2", V2);
  ASSERT_TRUE(Old && New);
  MergeOptions Opts;
  Opts.IncludeDir = DSU_TEST_SOURCE_DIR "/include";
  Opts.TransformersIn = writeSource(D, "bad.c", "int f(void) { return x; }\n");
  auto Merged = mergeBuilds(*Old, *New, Opts);
  std::string Why = errorText(Merged);
  EXPECT_NE(Why.find("the transformers file " + Opts.TransformersIn +
                     " does not compile"),
            std::string::npos)
      << Why;
}

TEST(Merge, OldCodeUsingAChangedTypeAfterTheUpdateIsAnError) {
  TempDir D = makeTempDir();
  const char *Old = R"(#include <stdio.h>
#include <stdlib.h>
#include <dsu.h>
struct item { int n; };
static struct item *current;
static void step(void) {
  DSU_UPDATE_POINT();
  current->n++;
  printf("n %d\n", current->n);
}
int main(void) {
  char line[64];
  current = malloc(sizeof(struct item));
  current->n = 0;
  while (fgets(line, sizeof line, stdin))
    step();
  return 0;
}
)";
  std::string New = Old;
  New.replace(New.find("struct item { int n; };"), 23,
              "struct item { long n; int extra; };");
  New.replace(New.find("n %d"), 4, "n %ld");
  auto OldB = buildProgram(D, "v1", Old);
  auto NewB = buildProgram(D, "v2", New);
  ASSERT_TRUE(OldB && NewB);
  MergeOptions Opts;
  Opts.IncludeDir = DSU_TEST_SOURCE_DIR "/include";
  auto Merged = mergeBuilds(*OldB, *NewB, Opts);
  ASSERT_TRUE(bool(Merged)) << errorText(Merged);
  std::string Exe = D.file("merged");
  ASSERT_EQ(errorText(compileMerged(*Merged->Module, NewB->Model, Exe)), "");
  // step() is active at its point with a field access ahead: unsafe, so the
  // update waits for a point that is not there and never happens.
  EXPECT_EQ(runMerged(D, Exe, "a\nb\n", 1), "n 1\nn 2\n");
  // Forced there, the old body of step() touches the transformed object.
  std::string In = writeSource(D, "forced.in", "a\nb\n");
  std::string Err = D.file("forced.err");
  std::string Cmd = "DSU_MERGE_FORCE=1 DSU_MERGE_UPDATE_AT=2 " + Exe + " < " +
                    In + " > /dev/null 2> " + Err;
  int Status = std::system(Cmd.c_str());
  EXPECT_TRUE(WIFEXITED(Status) && WEXITSTATUS(Status) == 95) << Status;
  auto Text = readFile(Err);
  ASSERT_TRUE(bool(Text));
  EXPECT_NE(Text->find("old code of function 'step' uses struct item, which "
                       "the update changed"),
            std::string::npos)
      << *Text;

  // `dsu merge --force-at all` builds the same force into the program.
  Opts.ForceAt = "all";
  auto Forced = mergeBuilds(*OldB, *NewB, Opts);
  ASSERT_TRUE(bool(Forced)) << errorText(Forced);
  std::string ForcedExe = D.file("forced");
  ASSERT_EQ(errorText(compileMerged(*Forced->Module, NewB->Model, ForcedExe)),
            "");
  Cmd = "DSU_MERGE_UPDATE_AT=2 " + ForcedExe + " < " + In +
        " > /dev/null 2> /dev/null";
  Status = std::system(Cmd.c_str());
  EXPECT_TRUE(WIFEXITED(Status) && WEXITSTATUS(Status) == 95) << Status;
  // A point the old version does not have is refused.
  Opts.ForceAt = "main.c:1";
  auto Nowhere = mergeBuilds(*OldB, *NewB, Opts);
  ASSERT_FALSE(bool(Nowhere));
  std::string Why = errorText(Nowhere);
  EXPECT_NE(Why.find("--force-at main.c:1: the old version has no update "
                     "point"),
            std::string::npos)
      << Why;
}
