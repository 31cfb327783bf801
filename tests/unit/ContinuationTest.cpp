//===- ContinuationTest.cpp - what active frames use after an update ------===//
#include "CompileUtil.h"
#include "dsu/Analysis/Continuations.h"
#include "dsu/Transform/Transform.h"

#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/Support/raw_ostream.h"
#include "gtest/gtest.h"

using namespace dsu;
using namespace dsu::test;

namespace {

/// Compiles Code as dsu-cc does up to the stored module (loop extraction,
/// identities) and computes the continuation facts of the one-TU program.
std::optional<Build> analyse(const std::string &Code) {
  TempDir D = makeTempDir();
  auto TU = compileSnippet(D, "main.c", Code);
  if (!TU)
    return std::nullopt;
  extractUpdateLoops(TU->module());
  auto Model =
      assignIdentities(TU->module(), TU->facts(), D.file("main.c"), "main.c");
  if (!Model) {
    ADD_FAILURE() << llvm::toString(Model.takeError());
    return std::nullopt;
  }
  Build B;
  TURecord R;
  R.Model = *Model;
  llvm::raw_string_ostream OS(R.Bitcode);
  llvm::WriteBitcodeToFile(TU->module(), OS);
  OS.flush();
  B.Records.push_back(R);
  B.Model.TUs.push_back(*Model);
  if (llvm::Error E = computeContinuations(B)) {
    ADD_FAILURE() << llvm::toString(std::move(E));
    return std::nullopt;
  }
  return B;
}

/// The frame of function Name (by C name prefix) at the point on Line.
const FrameContinuation *frameAt(const Build &B, unsigned Line,
                                 const std::string &Name) {
  for (const PointContinuations &PC : B.Model.Continuations)
    if (PC.Point.Line == Line)
      for (const FrameContinuation &F : PC.Frames)
        if (F.Function.rfind(Name + ".", 0) == 0)
          return &F;
  return nullptr;
}

/// The kind of the first use of type T in the frame, or "" if none.
std::string useOf(const FrameContinuation *F, const std::string &T) {
  if (!F)
    return "no frame";
  for (const ContinuationUse &U : F->Uses)
    if (U.What == T)
      return U.Kind;
  return "";
}

const char *Prelude = R"(#include <dsu.h>
#include <stdlib.h>
#include <string.h>
struct item { int n; struct item *next; };
struct item *current;
struct item table[4];
void show(struct item *it);
)";

} // namespace

TEST(ContinuationTest, OnlyUsesAfterThePointCount) {
  auto B = analyse(std::string(Prelude) + R"(
void before(void) {
  DSU_UPDATE_POINT();         /* line 10 */
  current->n++;
}
void after(void) {
  current->n++;
  DSU_UPDATE_POINT();         /* line 15 */
  show(current);
}
)");
  ASSERT_TRUE(B);
  EXPECT_EQ(useOf(frameAt(*B, 10, "before"), "struct item"), "field");
  EXPECT_EQ(useOf(frameAt(*B, 15, "after"), "struct item"), "");
  // The pointer passed along is a fresh load of a global, recorded as such.
  const FrameContinuation *F = frameAt(*B, 15, "after");
  ASSERT_TRUE(F);
  ASSERT_FALSE(F->Uses.empty());
  EXPECT_TRUE(F->Uses[0].IsGlobal);
  EXPECT_EQ(F->Uses[0].Line, 16u);
  // show is not defined here: a library call, not a call through a slot.
  EXPECT_TRUE(F->SlotCallees.empty());
}

TEST(ContinuationTest, MainInitialisingBeforeItsLoopUsesNothingAfter) {
  auto B = analyse(std::string(Prelude) + R"(
int main(void) {
  struct item *it = malloc(sizeof(struct item));
  it->n = 0;
  current = it;
  for (;;) {
    DSU_UPDATE_POINT();       /* line 14 */
    show(current);
  }
}
)");
  ASSERT_TRUE(B);
  // The loop body is extracted: its continuation is one iteration, and
  // main's own frame only runs the loop's header from then on.
  EXPECT_EQ(useOf(frameAt(*B, 14, "main.loop0"), "struct item"), "");
  EXPECT_EQ(useOf(frameAt(*B, 14, "main"), "struct item"), "");
}

TEST(ContinuationTest, RepresentationUsesOfEachKind) {
  auto B = analyse(std::string(Prelude) + R"(
void size(void) {
  DSU_UPDATE_POINT();         /* line 10 */
  memset(current, 0, sizeof *current);
}
void copy(struct item *out) {
  DSU_UPDATE_POINT();         /* line 14 */
  *out = *current;
}
void arith(void) {
  DSU_UPDATE_POINT();         /* line 18 */
  show(current + 1);
}
void held(void) {
  struct item *mine = current;
  DSU_UPDATE_POINT();         /* line 23 */
  show(mine);
}
void global(void) {
  DSU_UPDATE_POINT();         /* line 27 */
  show(&table[0]);
}
)");
  ASSERT_TRUE(B);
  EXPECT_EQ(useOf(frameAt(*B, 10, "size"), "struct item"), "size");
  EXPECT_EQ(useOf(frameAt(*B, 14, "copy"), "struct item"), "copy");
  EXPECT_EQ(useOf(frameAt(*B, 18, "arith"), "struct item"), "arith");
  EXPECT_EQ(useOf(frameAt(*B, 23, "held"), "struct item"), "frame");
  const FrameContinuation *G = frameAt(*B, 27, "global");
  ASSERT_TRUE(G);
  bool Table = false;
  for (const ContinuationUse &U : G->Uses)
    Table |= U.IsGlobal && U.What.rfind("table.", 0) == 0;
  EXPECT_TRUE(Table);
}

TEST(ContinuationTest, CallersResumeAfterTheirCall) {
  auto B = analyse(std::string(Prelude) + R"(
void serve(void) {
  DSU_UPDATE_POINT();         /* line 10 */
}
void run(struct item *it) {
  it->n = 1;
  serve();                    /* line 14 */
  it->n = 2;
}
void idle(struct item *it) {
  it->n = 1;
  serve();                    /* line 19 */
}
)");
  ASSERT_TRUE(B);
  const FrameContinuation *Run = frameAt(*B, 10, "run");
  ASSERT_TRUE(Run);
  EXPECT_EQ(Run->Lines, std::vector<unsigned>{14});
  EXPECT_EQ(useOf(Run, "struct item"), "field"); // it->n = 2
  EXPECT_EQ(useOf(frameAt(*B, 10, "idle"), "struct item"), "");
}
