//===- GlobalInitsTest.cpp - old initialisers for the runtime's check -----===//
#include "dsu/Patch/GlobalInits.h"

#include "llvm/AsmParser/Parser.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/Constants.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

using namespace dsu;
using namespace llvm;

namespace {
const char *Layout = "target datalayout = \"e-m:e-i64:64-n8:16:32:64-S128\"\n";

std::unique_ptr<Module> parse(LLVMContext &Ctx, const std::string &IR) {
  SMDiagnostic Err;
  auto M = parseAssemblyString(std::string(Layout) + IR, Err, Ctx);
  EXPECT_TRUE(M) << Err.getMessage().str();
  return M;
}

PatchPlan::GlobalChange kept(const std::string &Name) {
  PatchPlan::GlobalChange G{PatchPlan::GlobalChangeKind::InitialiserChangedKept,
                            Name,
                            "t.c",
                            Name,
                            Name,
                            "",
                            ""};
  return G;
}

/// The old build of one unit holding Globals, from IR.
Build oldBuild(const std::string &IR, std::vector<std::string> Globals) {
  LLVMContext Ctx;
  auto M = parse(Ctx, IR);
  TURecord R;
  R.Model.TU = "t.c";
  for (const std::string &Name : Globals) {
    GlobalInfo G;
    G.Name = G.Symbol = Name;
    R.Model.Globals.push_back(G);
  }
  raw_string_ostream OS(R.Bitcode);
  WriteBitcodeToFile(*M, OS);
  OS.flush();
  Build B;
  B.Records.push_back(std::move(R));
  return B;
}
} // namespace

TEST(GlobalInitsTest, OldInitialiserNamesGlobalsAndStringLiterals) {
  Build Old = oldBuild(R"(
@.str = private unnamed_addr constant [6 x i8] c"hello\00"
@count = global i32 7
@table = global { ptr, ptr, i32 } { ptr getelementptr (i8, ptr @.str, i64 1), ptr @count, i32 3 }
@local = internal global i32 5
@hidden = global ptr @local
)",
                       {"table", "hidden", "count"});
  PatchPlan Plan;
  Plan.Globals = {kept("table"), kept("hidden")};
  LLVMContext Ctx;
  auto M = parse(Ctx, R"(
@.str = private unnamed_addr constant [6 x i8] c"world\00"
@count = global i32 7
@table = global { ptr, ptr, i32 } { ptr @.str, ptr @count, i32 4 }
@local = internal global i32 5
@hidden = global ptr null
)");
  captureNewInitialisers(*M, Plan);
  // As the patch builder does: the process's globals become declarations.
  for (const char *Name : {"table", "count", "hidden"})
    M->getNamedGlobal(Name)->setInitializer(nullptr);
  std::vector<std::string> Warnings;
  addGlobalInits(*M, Old, Plan, Warnings);

  GlobalVariable *Table = M->getNamedGlobal("__dsu_global_inits");
  ASSERT_TRUE(Table);
  auto *Entries = cast<ConstantArray>(Table->getInitializer());
  // table, and the terminator: `hidden` points to a static the patch cannot
  // name in the running program, so it keeps its running value.
  ASSERT_EQ(Entries->getNumOperands(), 2u);
  ASSERT_EQ(Warnings.size(), 1u);
  EXPECT_NE(Warnings[0].find("global hidden keeps its running value"),
            std::string::npos)
      << Warnings[0];
  auto *Entry = cast<ConstantStruct>(Entries->getOperand(0));
  EXPECT_EQ(Entry->getOperand(1), M->getNamedGlobal("table"));
  EXPECT_EQ(cast<ConstantInt>(Entry->getOperand(5))->getZExtValue(), 24u);
  // The old bytes: pointers left zero, the integer in place.
  auto *Bytes = cast<ConstantDataArray>(
      cast<GlobalVariable>(Entry->getOperand(2))->getInitializer());
  EXPECT_EQ(Bytes->getElementAsInteger(16), 3u);
  EXPECT_EQ(Bytes->getElementAsInteger(0), 0u);
  // The pointers: the literal by its text from the offset on, the global by
  // its symbol, then the terminator.
  auto *Pointers = cast<ConstantArray>(
      cast<GlobalVariable>(Entry->getOperand(3))->getInitializer());
  ASSERT_EQ(Pointers->getNumOperands(), 3u);
  auto *Text = cast<ConstantStruct>(Pointers->getOperand(0));
  EXPECT_EQ(cast<ConstantInt>(Text->getOperand(0))->getZExtValue(), 0u);
  EXPECT_EQ(cast<ConstantInt>(Text->getOperand(2))->getZExtValue(), 1u);
  EXPECT_EQ(cast<ConstantDataArray>(
                cast<GlobalVariable>(Text->getOperand(1))->getInitializer())
                ->getAsCString(),
            "ello");
  auto *Count = cast<ConstantStruct>(Pointers->getOperand(1));
  EXPECT_EQ(cast<ConstantInt>(Count->getOperand(0))->getZExtValue(), 8u);
  EXPECT_EQ(Count->getOperand(1), M->getNamedGlobal("count"));
  EXPECT_EQ(cast<ConstantInt>(Count->getOperand(2))->getZExtValue(), 0u);
  // The new initialiser, private to the patch.
  auto *New = cast<GlobalVariable>(Entry->getOperand(4));
  EXPECT_TRUE(New->hasPrivateLinkage());
  EXPECT_EQ(cast<ConstantInt>(New->getInitializer()->getAggregateElement(2u))
                ->getZExtValue(),
            4u);
}

TEST(GlobalInitsTest, TypeChangedGlobalHasNoNewInitialiserToCopy) {
  Build Old =
      oldBuild("@limits = global [2 x i64] [i64 1, i64 2]\n", {"limits"});
  PatchPlan Plan;
  PatchPlan::GlobalChange G{PatchPlan::GlobalChangeKind::TypeChanged,
                            "limits",
                            "t.c",
                            "limits",
                            "limits.2",
                            "",
                            ""};
  Plan.Globals = {G};
  LLVMContext Ctx;
  auto M = parse(Ctx, "@limits.2 = global [3 x i64] [i64 1, i64 2, i64 3]\n");
  captureNewInitialisers(*M, Plan);
  std::vector<std::string> Warnings;
  addGlobalInits(*M, Old, Plan, Warnings);
  GlobalVariable *Table = M->getNamedGlobal("__dsu_global_inits");
  ASSERT_TRUE(Table);
  auto *Entry = cast<ConstantStruct>(
      cast<ConstantArray>(Table->getInitializer())->getOperand(0));
  // Its new storage holds the new initialiser: the runtime skips the
  // transformer instead of copying.
  EXPECT_TRUE(Entry->getOperand(4)->isNullValue());
  EXPECT_EQ(cast<ConstantInt>(Entry->getOperand(5))->getZExtValue(), 16u);
  // The running storage is the old symbol, declared for the loader.
  EXPECT_TRUE(M->getNamedGlobal("limits")->isDeclaration());
}
