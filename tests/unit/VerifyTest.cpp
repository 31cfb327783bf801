//===- VerifyTest.cpp - lib/Verify: case files, forms, native specs -------===//
#include "dsu/Verify/Verify.h"
#include "dsu/Support/Process.h"

#include "llvm/AsmParser/Parser.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/Support/FileSystem.h"
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

TEST(Verify, SpecCaseRoundTrip) {
  // A case from a spec names the spec's file: replay runs it natively.
  VerifyCase C;
  C.Form = VerifyForm::PostUpdate;
  C.Old = "/b/old";
  C.Patch = "/b/p";
  C.Stdin = "p\n";
  C.Spec = "after the update, p counts";
  C.SpecFile = "/specs/my spec.c";
  auto P = parseVerifyCase(formatVerifyCase(C));
  ASSERT_TRUE(bool(P)) << llvm::toString(P.takeError());
  EXPECT_EQ(P->Spec, C.Spec);
  EXPECT_EQ(P->SpecFile, C.SpecFile);
}

namespace {

/// A program that needs no dsu-cc: a shell script that greets, answers
/// each line, and stops at q (dash and bash read a pipe a byte at a time).
/// Its replies show where the native spec run cut them.
struct ShellSession {
  std::unique_ptr<dsu::TempDir> Dir;
  std::string Program, Spec;
  ShellSession() {
    auto T = dsu::TempDir::create("dsu-unit-specrun");
    EXPECT_TRUE(bool(T));
    Dir = std::make_unique<dsu::TempDir>(std::move(*T));
    Program = Dir->file("prog.sh");
    Spec = Dir->file("spec.c");
    EXPECT_FALSE(bool(dsu::writeFile(Program, "#!/bin/sh\n"
                                              "echo hello\n"
                                              "while read l; do\n"
                                              "  case \"$l\" in\n"
                                              "  q) echo bye; exit 0 ;;\n"
                                              "  esac\n"
                                              "  echo \"got $l\"\n"
                                              "done\n")));
    llvm::sys::fs::setPermissions(Program, llvm::sys::fs::owner_all);
  }
  llvm::Expected<SpecRunResult> run(llvm::StringRef SpecText) {
    if (llvm::Error E = dsu::writeFile(Spec, SpecText))
      return std::move(E);
    SpecRunOptions O;
    O.SpecFile = Spec;
    O.IncludeDir = DSU_TEST_SOURCE_DIR "/include";
    O.Old = Program;
    O.Requests = "a\nb\nq\nc\n";
    return runSpecOnRealSession(O);
  }
};

const char *const ShellSpec = R"C(#include <dsu/spec.h>
#include <string.h>
static int is(int i, const char *want) {
  int n;
  const char *r = dsu_spec_reply(i, &n);
  return n == (int)strlen(want) && memcmp(r, want, (size_t)n) == 0;
}
void dsu_spec(void) {
  dsu_spec_assert(dsu_spec_requests() == 4, "four requests");
  dsu_spec_assert(is(-1, "hello\n"), "the greeting comes before any request");
  dsu_spec_assert(is(0, "got a\n"), "a");
  dsu_spec_assert(is(1, B), "b");
  dsu_spec_assert(is(2, "bye\n"), "q");
  dsu_spec_assert(is(3, ""), "c is never read");
  dsu_spec_assert(!dsu_spec_updated() && !dsu_spec_after_update(3), "no update");
}
)C";

std::string shellSpec(llvm::StringRef B) {
  return "#define B " + B.str() + "\n" + ShellSpec;
}

} // namespace

TEST(Verify, NativeSpecCutsRepliesWhereTheProcessReads) {
  ShellSession S;
  auto R = S.run(shellSpec("\"got b\\n\""));
  ASSERT_TRUE(bool(R)) << llvm::toString(R.takeError());
  EXPECT_TRUE(R->Holds) << R->Place << ": " << R->Assertion << "\n"
                        << R->Report;
  EXPECT_EQ(R->Updated, "hello\ngot a\ngot b\nbye\n");
  EXPECT_EQ(R->OldAlone, R->Updated);
  EXPECT_EQ(R->CommittedBefore, -1);
}

TEST(Verify, NativeSpecNamesTheFailedAssertion) {
  ShellSession S;
  auto R = S.run(shellSpec("\"got a\\n\""));
  ASSERT_TRUE(bool(R)) << llvm::toString(R.takeError());
  EXPECT_FALSE(R->Holds);
  EXPECT_EQ(R->Assertion, "b");
  EXPECT_EQ(R->Place, S.Spec + ":13"); // the #define shifts ShellSpec by one
}

TEST(Verify, NativeSpecThatDoesNotCompile) {
  ShellSession S;
  auto R = S.run("#include <dsu/spec.h>\nvoid dsu_spec(void) { nope(); }\n");
  ASSERT_FALSE(bool(R));
  std::string Msg = llvm::toString(R.takeError());
  EXPECT_NE(Msg.find(S.Spec + ":2:"), std::string::npos) << Msg;
  EXPECT_NE(Msg.find("error:"), std::string::npos) << Msg;
}
