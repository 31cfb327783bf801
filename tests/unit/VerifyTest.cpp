//===- VerifyTest.cpp - lib/Verify: case files, forms, differences --------===//
#include "dsu/Verify/Verify.h"

#include "llvm/AsmParser/Parser.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/Support/SourceMgr.h"

#include <gtest/gtest.h>

using namespace dsu;

TEST(Verify, FormsByName) {
  EXPECT_EQ(parseVerifyForm("backward-compatible"),
            VerifyForm::BackwardCompatible);
  EXPECT_EQ(parseVerifyForm("conformable"), VerifyForm::Conformable);
  EXPECT_EQ(parseVerifyForm("post-update"), VerifyForm::PostUpdate);
  EXPECT_FALSE(parseVerifyForm("sideways"));
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
  EXPECT_FALSE(P->Tcp);
}

TEST(Verify, TcpCaseRoundTrip) {
  // A --tcp-lines case says so: its replay goes through the socket model.
  VerifyCase C;
  C.Old = "/b/old";
  C.Patch = "/b/p";
  C.Stdin = "GET a\n";
  C.Tcp = true;
  auto P = parseVerifyCase(formatVerifyCase(C));
  ASSERT_TRUE(bool(P)) << llvm::toString(P.takeError());
  EXPECT_TRUE(P->Tcp);
  EXPECT_EQ(P->Stdin, C.Stdin);
  auto U = parseVerifyCase(
      "# dsu verify case\nold /x\npatch /p\ninput udp\nstdin 610a\n");
  ASSERT_FALSE(bool(U));
  EXPECT_EQ(llvm::toString(U.takeError()), "unknown input 'udp'");
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

TEST(Verify, PrefixRenamesIRAndAssemblyAndRedirectsHooks) {
  llvm::LLVMContext Ctx;
  llvm::SMDiagnostic Diag;
  auto M = llvm::parseAssemblyString(R"IR(
module asm "main.tramp:"
module asm "jmpq *__dsu_slot.main(%rip)"
module asm ".set main, main.tramp"
@__dsu_slot.main = internal global ptr @main.body
@count = internal global i32 0
declare void @__dsu_output(ptr, i64)
declare i32 @main(i32, ptr)
declare ptr @malloc(i64)
define weak i32 @__dsu_stdin_getc() {
  ret i32 -1
}
define i32 @main.body(i32 %0, ptr %1) {
  %p = call ptr @malloc(i64 4)
  call void @__dsu_output(ptr %p, i64 1)
  %c = call i32 @__dsu_stdin_getc()
  store i32 %c, ptr @count
  ret i32 0
}
)IR",
                                     Diag, Ctx);
  ASSERT_TRUE(M) << Diag.getMessage().str();
  prefixProgram(*M, "__dsu_v_old.",
                {{"__dsu_output", "__dsu_verify_output_old"},
                 {"__dsu_stdin_getc", "__dsu_verify_getc_old"}});
  // Definitions, IR and assembly, under the prefix.
  EXPECT_TRUE(M->getFunction("__dsu_v_old.main.body"));
  EXPECT_TRUE(M->getNamedGlobal("__dsu_v_old.count"));
  EXPECT_TRUE(M->getFunction("__dsu_v_old.main")); // defined by the asm
  std::string Asm = M->getModuleInlineAsm();
  EXPECT_NE(Asm.find("__dsu_v_old.main.tramp:"), std::string::npos) << Asm;
  EXPECT_NE(Asm.find("jmpq *__dsu_v_old.__dsu_slot.main(%rip)"),
            std::string::npos)
      << Asm;
  EXPECT_NE(Asm.find(".set __dsu_v_old.main, __dsu_v_old.main.tramp"),
            std::string::npos)
      << Asm;
  // What lies outside the program keeps its name; hooks are redirected, a
  // weak definition losing its body.
  EXPECT_TRUE(M->getFunction("malloc"));
  EXPECT_TRUE(M->getFunction("__dsu_verify_output_old"));
  llvm::Function *G = M->getFunction("__dsu_verify_getc_old");
  ASSERT_TRUE(G);
  EXPECT_TRUE(G->isDeclaration());
  EXPECT_FALSE(M->getFunction("__dsu_stdin_getc"));
}
