//===- DriverTest.cpp - dsuDriver: the logic behind dsu-cc ----------------===//
#include "DriverUtil.h"
#include "TestUtil.h"
#include "dsu/Driver/CompilerDriver.h"
#include "dsu/Model/TURecord.h"
#include "dsu/Support/Hash.h"
#include "dsu/Transform/Transform.h"

#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/MemoryBuffer.h"
#include "gtest/gtest.h"

#include <set>

using namespace dsu;
using namespace dsu::test;

namespace {

DriverConfig config() { return {DSU_TEST_INCLUDE_DIR, DSU_TEST_LIB_DIR}; }

std::set<std::string> objectSymbols(const std::string &Path) {
  std::set<std::string> Names;
  auto Buf = llvm::MemoryBuffer::getFile(Path);
  if (!Buf) {
    ADD_FAILURE() << Path << ": " << Buf.getError().message();
    return Names;
  }
  auto Obj = llvm::object::ObjectFile::createObjectFile(**Buf);
  if (!Obj) {
    ADD_FAILURE() << llvm::toString(Obj.takeError());
    return Names;
  }
  for (const llvm::object::SymbolRef &S : (*Obj)->symbols())
    if (auto Name = S.getName())
      Names.insert(Name->str());
    else
      llvm::consumeError(Name.takeError());
  return Names;
}

const char *UtilC = R"(static int scale = 2;
int triple(int x) { return 3 * x; }
int scaled(int x) { return scale * triple(x); }
)";

const char *MainC = R"(#include <stdio.h>
#include <dsu.h>
int scaled(int x);
static int (*op)(int) = scaled;
int main(void) {
  DSU_UPDATE_POINT();
  printf("result %d\n", op(7));
  return 0;
}
)";

} // namespace

// The library returns its errors and prints nothing itself: dsu-cc prints
// each once.
TEST(DriverTest, ErrorsAreReturnedNotPrinted) {
  std::string Log;
  llvm::raw_string_ostream LogStream(Log);
  testing::internal::CaptureStderr();
  auto Status = runCompilerDriver({"dsu-cc", "-O2"}, config(), LogStream);
  std::string Printed = testing::internal::GetCapturedStderr();
  ASSERT_FALSE(bool(Status));
  EXPECT_EQ(llvm::toString(Status.takeError()), "no input files");
  EXPECT_EQ(Printed, "");
  EXPECT_EQ(Log, "");
}

TEST(DriverTest, NoInputFiles) {
  std::string Err;
  EXPECT_EQ(runDriver({}, &Err), 1);
  EXPECT_NE(Err.find("dsu-cc: error: no input files"), std::string::npos);
  EXPECT_EQ(runDriver({"-O2", "-Wall"}, &Err), 1);
  EXPECT_NE(Err.find("no input files"), std::string::npos) << Err;
}

TEST(DriverTest, CompileOnlyStoresTheTURecord) {
  TempDir D = makeTempDir();
  std::string Src = writeSource(D, "util.c", UtilC);
  std::string Obj = D.file("util.o");
  std::string Err;
  ASSERT_EQ(runDriver({"-O2", "-c", Src, "-o", Obj}, &Err), 0) << Err;

  auto Recs = readTURecords(Obj);
  ASSERT_TRUE(bool(Recs)) << errorText(Recs);
  ASSERT_EQ(Recs->size(), 1u);
  const TUModel &M = (*Recs)[0].Model;
  EXPECT_EQ(M.TU, "util.c"); // absolute path: known by its file name
  EXPECT_EQ(M.Source, Src);
  ASSERT_EQ(M.Functions.size(), 2u);
  EXPECT_EQ(M.Functions[0].Name, "scaled");
  EXPECT_EQ(M.Functions[1].Name, "triple");
  ASSERT_EQ(M.Globals.size(), 1u);
  EXPECT_TRUE(M.Globals[0].IsStatic);

  // The stored bitcode is the module with identities but without slots.
  llvm::LLVMContext Ctx;
  auto Mod = llvm::parseBitcodeFile(
      llvm::MemoryBufferRef((*Recs)[0].Bitcode, "record"), Ctx);
  ASSERT_TRUE(bool(Mod)) << llvm::toString(Mod.takeError());
  for (const FunctionInfo &F : M.Functions) {
    llvm::Function *Fn = (*Mod)->getFunction(F.Symbol);
    ASSERT_NE(Fn, nullptr) << F.Symbol;
    EXPECT_FALSE(Fn->isDeclaration());
  }
  for (const llvm::GlobalVariable &G : (*Mod)->globals())
    EXPECT_FALSE(G.getName().starts_with("__dsu_slot")) << G.getName().str();

  // The object has trampolines, slots and plain aliases.
  auto Syms = objectSymbols(Obj);
  for (const FunctionInfo &F : M.Functions) {
    EXPECT_TRUE(Syms.count(F.Symbol)) << F.Symbol;
    EXPECT_TRUE(Syms.count("__dsu_slot." + F.Symbol)) << F.Symbol;
    EXPECT_TRUE(Syms.count(F.Name)) << F.Name;
  }
  EXPECT_TRUE(Syms.count(M.Globals[0].Symbol));
  EXPECT_FALSE(Syms.count("scale"));
}

TEST(DriverTest, TUNameOverride) {
  TempDir D = makeTempDir();
  std::string Src = writeSource(D, "util.c", UtilC);
  std::string Obj = D.file("u.o");
  std::string Err;
  ASSERT_EQ(runDriver({"-c", "-fdsu-tu-name=lib/util.c", Src, "-o", Obj}, &Err),
            0)
      << Err;
  auto Recs = readTURecords(Obj);
  ASSERT_TRUE(bool(Recs)) << errorText(Recs);
  ASSERT_EQ(Recs->size(), 1u);
  EXPECT_EQ((*Recs)[0].Model.TU, "lib/util.c");
  EXPECT_EQ((*Recs)[0].Model.TUTag, toHex(hashString("lib/util.c"), 8));
}

TEST(DriverTest, CompileOnlyWithOutputAndTwoFiles) {
  TempDir D = makeTempDir();
  std::string A = writeSource(D, "a.c", "int a(void) { return 1; }\n");
  std::string B = writeSource(D, "b.c", "int b(void) { return 2; }\n");
  std::string Err;
  EXPECT_EQ(runDriver({"-c", A, B, "-o", D.file("x.o")}, &Err), 1);
  EXPECT_NE(Err.find("cannot specify -o with -c and multiple files"),
            std::string::npos)
      << Err;
}

TEST(DriverTest, CompileErrorIsReported) {
  TempDir D = makeTempDir();
  std::string A = writeSource(D, "bad.c", "int a(void) { return x; }\n");
  std::string Err;
  EXPECT_EQ(runDriver({"-c", A, "-o", D.file("bad.o")}, &Err), 1);
  EXPECT_NE(Err.find("dsu-cc: error: " + A + ": compilation failed"),
            std::string::npos)
      << Err;
  EXPECT_FALSE(llvm::sys::fs::exists(D.file("bad.o")));
}

TEST(DriverTest, SameTUIdentityIsRefusedAtLink) {
  TempDir D = makeTempDir();
  std::string A = writeSource(D, "v1/x.c", "int a(void) { return 1; }\n");
  std::string B =
      writeSource(D, "v2/x.c", "int main(void) { return 0; }\n");
  std::string Err;
  EXPECT_EQ(runDriver({A, B, "-o", D.file("prog")}, &Err), 1);
  EXPECT_NE(Err.find("translation units '" + A + "' and '" + B +
                     "' have the same identity 'x.c'"),
            std::string::npos)
      << Err;
  EXPECT_FALSE(llvm::sys::fs::exists(D.file("prog")));
}

TEST(DriverTest, LinksAndRunsAnUpdatableProgram) {
  TempDir D = makeTempDir();
  std::string Main = writeSource(D, "main.c", MainC);
  std::string Util = writeSource(D, "util.c", UtilC);
  std::string Exe = D.file("prog");
  std::string Err;
  ASSERT_EQ(runDriver({"-O2", Main, Util, "-o", Exe}, &Err), 0) << Err;

  TempDir RunDir = makeTempDir();
  ScopedEnv E("DSU_RUNTIME_DIR", RunDir.path());
  std::string Out;
  auto Rc = runProgramCapture(Exe, {Exe}, Out);
  ASSERT_TRUE(bool(Rc)) << errorText(Rc);
  EXPECT_EQ(*Rc, 0) << Out;
  EXPECT_NE(Out.find("result 42\n"), std::string::npos) << Out;

  auto B = readBuild(Exe);
  ASSERT_TRUE(bool(B)) << errorText(B);
  ASSERT_EQ(B->Model.TUs.size(), 2u);
  EXPECT_EQ(errorText(B->Model.validate()), "");
  EXPECT_EQ(B->VersionId, B->Model.versionId());
  std::set<std::string> TUs;
  for (const TUModel &T : B->Model.TUs)
    TUs.insert(T.TU);
  EXPECT_EQ(TUs, (std::set<std::string>{"main.c", "util.c"}));
  // The update point is recorded against main's symbol.
  for (const TUModel &T : B->Model.TUs)
    if (T.TU == "main.c") {
      ASSERT_EQ(T.UpdatePoints.size(), 1u);
      EXPECT_EQ(T.UpdatePoints[0].Line, 6u);
    }

  // The version id the program carries is the model's.
  auto Syms = objectSymbols(Exe);
  EXPECT_TRUE(Syms.count("__dsu_program_version"));
}

/// The names of Path's sections.
std::set<std::string> sectionNames(const std::string &Path) {
  std::set<std::string> Names;
  auto Buf = llvm::MemoryBuffer::getFile(Path);
  if (!Buf) {
    ADD_FAILURE() << Path << ": " << Buf.getError().message();
    return Names;
  }
  auto Obj = llvm::object::ObjectFile::createObjectFile(**Buf);
  if (!Obj) {
    ADD_FAILURE() << llvm::toString(Obj.takeError());
    return Names;
  }
  for (const llvm::object::SectionRef &S : (*Obj)->sections())
    if (auto Name = S.getName())
      Names.insert(Name->str());
    else
      llvm::consumeError(Name.takeError());
  return Names;
}

TEST(DriverTest, ModelFileBesideTheProgram) {
  TempDir D = makeTempDir();
  std::string Main = writeSource(D, "main.c", MainC);
  std::string Util = writeSource(D, "util.c", UtilC);
  std::string Inside = D.file("inside"), Beside = D.file("beside");
  std::string Err;
  ASSERT_EQ(runDriver({"-O2", Main, Util, "-o", Inside}, &Err), 0) << Err;
  ASSERT_EQ(runDriver({"-O2", "-fdsu-model-file", Main, Util, "-o", Beside},
                      &Err),
            0)
      << Err;
  // The stored modules left the program for beside.dsu.
  ASSERT_TRUE(llvm::sys::fs::exists(Beside + ".dsu"));
  EXPECT_FALSE(llvm::sys::fs::exists(Inside + ".dsu"));
  EXPECT_TRUE(sectionNames(Inside).count(".dsu.tu"));
  EXPECT_FALSE(sectionNames(Beside).count(".dsu.tu"));
  EXPECT_TRUE(sectionNames(Beside).count(".dsu.version"));
  uint64_t InsideSize = 0, BesideSize = 0;
  llvm::sys::fs::file_size(Inside, InsideSize);
  llvm::sys::fs::file_size(Beside, BesideSize);
  EXPECT_LT(BesideSize, InsideSize);

  // It runs, and the tools find its model (the same as the other build's).
  TempDir RunDir = makeTempDir();
  ScopedEnv E("DSU_RUNTIME_DIR", RunDir.path());
  std::string Out;
  auto Rc = runProgramCapture(Beside, {Beside}, Out);
  ASSERT_TRUE(bool(Rc)) << errorText(Rc);
  EXPECT_NE(Out.find("result 42\n"), std::string::npos) << Out;
  auto A = readBuild(Inside);
  ASSERT_TRUE(bool(A)) << errorText(A);
  auto B = readBuild(Beside);
  ASSERT_TRUE(bool(B)) << errorText(B);
  EXPECT_EQ(B->VersionId, A->VersionId);
  ASSERT_EQ(B->Records.size(), 2u);
  EXPECT_FALSE(B->Records[0].Bitcode.empty());

  // A copy under another name finds its own NAME.dsu.
  std::string Copy = D.file("copy");
  ASSERT_FALSE(llvm::sys::fs::copy_file(Beside, Copy));
  ASSERT_FALSE(llvm::sys::fs::copy_file(Beside + ".dsu", Copy + ".dsu"));
  auto C = readBuild(Copy);
  ASSERT_TRUE(bool(C)) << errorText(C);
  EXPECT_EQ(C->VersionId, A->VersionId);

  // Another build's model file is refused, naming both.
  std::string Other = D.file("other");
  std::string Util2 =
      writeSource(D, "v2/util.c", std::string(UtilC) + "int more(void) { return 1; }\n");
  ASSERT_EQ(runDriver({"-O2", "-fdsu-model-file", Main, Util2, "-o", Other},
                      &Err),
            0)
      << Err;
  ASSERT_FALSE(llvm::sys::fs::copy_file(Other + ".dsu", Copy + ".dsu"));
  auto Wrong = readBuild(Copy);
  ASSERT_FALSE(bool(Wrong));
  EXPECT_NE(errorText(Wrong).find(Copy + ".dsu: the model file of another build"),
            std::string::npos)
      << errorText(Wrong);

  // Without its model file the program cannot be patched: the error names it.
  ASSERT_FALSE(llvm::sys::fs::remove(Beside + ".dsu"));
  auto Missing = readBuild(Beside);
  ASSERT_FALSE(bool(Missing));
  std::string Text = errorText(Missing);
  EXPECT_NE(Text.find(Beside + ": its stored modules are kept in " + Beside +
                      ".dsu"),
            std::string::npos)
      << Text;
  EXPECT_NE(Text.find("-fdsu-model-file"), std::string::npos) << Text;
}

TEST(DriverTest, EachUnitIsCompiledOnce) {
  // Objects decide their direct calls from their own unit; the link agrees
  // with both (no update point is reached through util.c's functions) and
  // compiles neither again.
  TempDir D = makeTempDir();
  std::string Main = writeSource(D, "main.c", MainC);
  std::string Util = writeSource(D, "util.c", UtilC);
  std::string MainO = D.file("main.o"), UtilO = D.file("util.o");
  std::string Err;
  ASSERT_EQ(runDriver({"-O2", "-c", Main, "-o", MainO}, &Err), 0) << Err;
  ASSERT_EQ(runDriver({"-O2", "-c", Util, "-o", UtilO}, &Err), 0) << Err;
  auto Recs = readTURecords(UtilO);
  ASSERT_TRUE(bool(Recs)) << errorText(Recs);
  ASSERT_EQ(Recs->size(), 1u);
  for (const FunctionInfo &F : (*Recs)[0].Model.Functions)
    EXPECT_TRUE(F.DirectCalls) << F.Name;
  std::string Exe = D.file("prog");
  ASSERT_EQ(runDriver({"-O2", "-fdsu-verbose", MainO, UtilO, "-o", Exe}, &Err),
            0)
      << Err;
  EXPECT_NE(Err.find("dsu-cc: link: 0 of 2 objects compiled again"),
            std::string::npos)
      << Err;
  // main() holds the update point: it calls through slots.
  auto B = readBuild(Exe);
  ASSERT_TRUE(bool(B)) << errorText(B);
  for (const TUModel &T : B->Model.TUs)
    for (const FunctionInfo &F : T.Functions)
      EXPECT_EQ(F.DirectCalls, F.Name != "main") << F.Name;
}

TEST(DriverTest, SameSourcesElsewhereGiveTheSameVersion) {
  TempDir D = makeTempDir();
  std::string Ids[2];
  for (int I = 0; I < 2; ++I) {
    std::string Dir = I ? "second/deeper" : "first";
    std::string Main = writeSource(D, Dir + "/main.c", MainC);
    std::string Util = writeSource(D, Dir + "/util.c", UtilC);
    std::string Exe = D.file(Dir + "/prog");
    std::string Err;
    ASSERT_EQ(runDriver({"-O2", Main, Util, "-o", Exe}, &Err), 0) << Err;
    auto B = readBuild(Exe);
    ASSERT_TRUE(bool(B)) << errorText(B);
    Ids[I] = B->VersionId;
  }
  // __FILE__ in DSU_UPDATE_POINT is mapped to the TU identity.
  EXPECT_EQ(Ids[0], Ids[1]);
}

TEST(DriverTest, ReadBuildOfAPlainObject) {
  TempDir D = makeTempDir();
  std::string Src = writeSource(D, "plain.c", "int f(void) { return 1; }\n");
  std::string Obj = D.file("plain.o");
  auto Rc = runProgram(clangPath(), {clangPath(), "-c", Src, "-o", Obj});
  ASSERT_TRUE(bool(Rc)) << errorText(Rc);
  ASSERT_EQ(*Rc, 0);
  auto Recs = readTURecords(Obj);
  ASSERT_TRUE(bool(Recs)) << errorText(Recs);
  EXPECT_TRUE(Recs->empty());
  auto B = readBuild(Obj);
  ASSERT_FALSE(bool(B));
  EXPECT_EQ(errorText(B), Obj + ": not built with dsu-cc (no .dsu.tu section)");
}

TEST(DriverTest, PreprocessingIsPassedThrough) {
  TempDir D = makeTempDir();
  std::string Src = writeSource(
      D, "pp.c", "#include <dsu.h>\nvoid f(void) { DSU_UPDATE_POINT(); }\n");
  std::string Out = D.file("pp.i");
  std::string Err;
  ASSERT_EQ(runDriver({"-E", Src, "-o", Out}, &Err), 0) << Err;
  auto Text = readFile(Out);
  ASSERT_TRUE(bool(Text)) << errorText(Text);
  // dsu.h was found on the include path dsu-cc adds, and expanded.
  EXPECT_NE(Text->find("__dsu_update_point(\""), std::string::npos) << *Text;
}
