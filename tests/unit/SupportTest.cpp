//===- SupportTest.cpp - dsuSupport: hashes, processes, installation ------===//
#include "TestUtil.h"
#include "dsu/Support/Hash.h"
#include "dsu/Support/InstallLayout.h"
#include "dsu/Support/Process.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "gtest/gtest.h"

using namespace dsu;
using namespace dsu::test;

TEST(StableHasherTest, FieldsAreFramedByLength) {
  uint64_t AB_C = StableHasher().add("ab").add("c").finish();
  uint64_t A_BC = StableHasher().add("a").add("bc").finish();
  uint64_t ABC = StableHasher().add("abc").finish();
  EXPECT_NE(AB_C, A_BC);
  EXPECT_NE(AB_C, ABC);
  EXPECT_NE(A_BC, ABC);
  // An empty field still counts as a field.
  EXPECT_NE(StableHasher().add("x").finish(),
            StableHasher().add("x").add("").finish());
}

TEST(StableHasherTest, DeterministicAndOrderSensitive) {
  EXPECT_EQ(StableHasher().add("f").add(uint64_t(7)).finish(),
            StableHasher().add("f").add(uint64_t(7)).finish());
  EXPECT_NE(StableHasher().add("a").add("b").finish(),
            StableHasher().add("b").add("a").finish());
  EXPECT_NE(StableHasher().add(uint64_t(1)).finish(),
            StableHasher().add(uint64_t(2)).finish());
  // A number and its decimal spelling are different inputs.
  EXPECT_NE(StableHasher().add(uint64_t(1)).finish(),
            StableHasher().add("1").finish());
  // Nothing added: the documented seed.
  EXPECT_EQ(StableHasher().finish(), 0x9e3779b97f4a7c15ULL);
}

TEST(StableHasherTest, HexIsTheLowDigitsOfFinish) {
  StableHasher H;
  H.add("hello");
  EXPECT_EQ(H.hex(), toHex(H.finish(), 16));
  EXPECT_EQ(H.hex(8), toHex(H.finish(), 8));
  EXPECT_EQ(H.hex().substr(8), H.hex(8));
}

TEST(ToHexTest, Widths) {
  EXPECT_EQ(toHex(0), "0000000000000000");
  EXPECT_EQ(toHex(0xabc, 4), "0abc");
  EXPECT_EQ(toHex(0x123456789abcdef0ULL, 8), "9abcdef0");
  EXPECT_EQ(toHex(0x123456789abcdef0ULL, 16), "123456789abcdef0");
  EXPECT_EQ(toHex(0xffffffffffffffffULL, 10), "ffffffffff");
  EXPECT_EQ(toHex(0xDEADBEEF, 8), "deadbeef"); // lowercase
  EXPECT_EQ(toHex(5, 1), "5");
  EXPECT_EQ(toHex(5, 0), "");
}

TEST(HashStringTest, ContentOnly) {
  std::string A = "same bytes";
  std::string B = "same bytes";
  EXPECT_EQ(hashString(A), hashString(B));
  EXPECT_NE(hashString("a"), hashString("b"));
  EXPECT_NE(hashString(llvm::StringRef("a\0b", 3)), hashString("a"));
}

TEST(ProcessTest, TempDirFilesAndCleanup) {
  std::string Path;
  {
    TempDir D = makeTempDir();
    Path = D.path();
    EXPECT_TRUE(llvm::sys::fs::is_directory(Path));
    std::string F = D.file("x.txt");
    EXPECT_EQ(F, Path + "/x.txt");
    ASSERT_FALSE(errorText(writeFile(F, std::string("a\0b", 3))).size());
    auto Back = readFile(F);
    ASSERT_TRUE(bool(Back)) << errorText(Back);
    EXPECT_EQ(*Back, std::string("a\0b", 3));
    // A moved-from TempDir does not remove the directory.
    TempDir Moved(std::move(D));
    EXPECT_EQ(Moved.path(), Path);
  }
  EXPECT_FALSE(llvm::sys::fs::exists(Path));
}

TEST(ProcessTest, ReadMissingFileNamesThePath) {
  auto R = readFile("/nonexistent/dsu-unit/file");
  ASSERT_FALSE(bool(R));
  EXPECT_NE(errorText(R).find("/nonexistent/dsu-unit/file"),
            std::string::npos);
}

TEST(ProcessTest, RunProgramCaptureAndExitCode) {
  std::string Out;
  auto Rc = runProgramCapture("/bin/sh", {"sh", "-c", "echo out; echo err >&2; exit 3"},
                              Out);
  ASSERT_TRUE(bool(Rc)) << errorText(Rc);
  EXPECT_EQ(*Rc, 3);
  EXPECT_NE(Out.find("out\n"), std::string::npos);
  EXPECT_NE(Out.find("err\n"), std::string::npos);

  auto Missing = runProgram("/nonexistent/program", {"program"});
  ASSERT_FALSE(bool(Missing));
  EXPECT_NE(errorText(Missing).find("cannot run /nonexistent/program"),
            std::string::npos);
}

TEST(ProcessTest, ClangPathHonoursEnvironment) {
  {
    ScopedEnv E("DSU_CLANG", "/opt/custom/clang");
    EXPECT_EQ(clangPath(), "/opt/custom/clang");
  }
  if (!getenv("DSU_CLANG")) {
    EXPECT_EQ(clangPath(), DSU_CLANG_PATH);
  }
}

TEST(InstallLayoutTest, DsuHomeWins) {
  ScopedEnv E("DSU_HOME", "/opt/dsu");
  InstallLayout L = findInstallLayout("dsu", (void *)&findInstallLayout);
  EXPECT_EQ(L.Root, "/opt/dsu");
  EXPECT_EQ(L.IncludeDir, "/opt/dsu/include");
  EXPECT_EQ(L.LibDir, "/opt/dsu/lib");
}

TEST(InstallLayoutTest, OtherwiseTheParentOfTheToolsDirectory) {
  if (getenv("DSU_HOME"))
    GTEST_SKIP() << "DSU_HOME is set";
  // This test runs as BUILD/bin/dsu-unit-support: its installation is BUILD.
  std::string Self = llvm::sys::fs::getMainExecutable(
      "dsu-unit-support", (void *)&findInstallLayout);
  std::string Build =
      llvm::sys::path::parent_path(llvm::sys::path::parent_path(Self)).str();
  InstallLayout L =
      findInstallLayout("dsu-unit-support", (void *)&findInstallLayout);
  EXPECT_EQ(L.Root, Build);
  EXPECT_EQ(L.IncludeDir, Build + "/include");
  EXPECT_EQ(L.LibDir, Build + "/lib");
  EXPECT_TRUE(llvm::sys::fs::exists(L.IncludeDir + "/dsu.h"));
}
