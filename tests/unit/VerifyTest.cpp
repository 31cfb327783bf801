//===- VerifyTest.cpp - lib/Verify: case files, forms, differences --------===//
#include "dsu/Verify/Verify.h"

#include <gtest/gtest.h>

using namespace dsu;

TEST(Verify, FormsByName) {
  EXPECT_EQ(parseVerifyForm("backward-compatible"),
            VerifyForm::BackwardCompatible);
  EXPECT_EQ(parseVerifyForm("conformable"), VerifyForm::Conformable);
  EXPECT_FALSE(parseVerifyForm("post-update"));
  EXPECT_EQ(verifyFormName(VerifyForm::Conformable), "conformable");
}

TEST(Verify, CaseRoundTrip) {
  VerifyCase C;
  C.Form = VerifyForm::Conformable;
  C.Old = "/b/old";
  C.New = "/b/new";
  C.Patch = "/b/p";
  C.ForceAt = "main.c:12";
  C.UpdateAt = 3;
  C.Where = "main.c:12";
  C.Stdin = std::string("a\n\0b\n", 5);
  C.Expected = "total 1\n";
  C.Merged = "total 1001\n";
  auto P = parseVerifyCase(formatVerifyCase(C));
  ASSERT_TRUE(bool(P)) << llvm::toString(P.takeError());
  EXPECT_EQ(P->Form, C.Form);
  EXPECT_EQ(P->Old, C.Old);
  EXPECT_EQ(P->Patch, C.Patch);
  EXPECT_EQ(P->ForceAt, C.ForceAt);
  EXPECT_EQ(P->UpdateAt, 3);
  EXPECT_EQ(P->Where, C.Where);
  EXPECT_EQ(P->Stdin, C.Stdin);
  EXPECT_EQ(P->Expected, C.Expected);
  EXPECT_EQ(P->Merged, C.Merged);
  EXPECT_TRUE(P->Error.empty());
}

TEST(Verify, CaseRejectsOtherFiles) {
  EXPECT_FALSE(bool(parseVerifyCase("# dsu symex test case\n")));
  auto E = parseVerifyCase("# dsu verify case\nold /x\n");
  EXPECT_FALSE(bool(E));
  llvm::consumeError(E.takeError());
  auto F = parseVerifyCase("# dsu verify case\nold /x\npatch /p\nstdin zz\n");
  EXPECT_FALSE(bool(F));
  llvm::consumeError(F.takeError());
}

TEST(Verify, FirstDifference) {
  EXPECT_EQ(firstDifference("a\nb\n", "a\nb\n", "x", "y"), "");
  EXPECT_EQ(firstDifference("a\nb\n", "a\nc\n", "old", "new"),
            "line 2: old 'b', new 'c'");
  EXPECT_EQ(firstDifference("a\n", "a\nb", "old", "new"),
            "line 2: old '', new 'b'");
}
