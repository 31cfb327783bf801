//===- DiffTest.cpp - dsuPatch: classifying the changes between builds ----===//
#include "dsu/Patch/Diff.h"
#include "TestUtil.h"
#include "dsu/Patch/LoopMigration.h"

#include "gtest/gtest.h"
#include <nlohmann/json.hpp>

using namespace dsu;
using namespace dsu::test;
using FK = PatchPlan::FunctionChangeKind;
using GK = PatchPlan::GlobalChangeKind;

namespace {

FunctionInfo fn(std::string Name, std::string Symbol, std::string Body,
                std::string Sig = "void (void)", bool IsStatic = false) {
  FunctionInfo F;
  F.Name = std::move(Name);
  F.Symbol = std::move(Symbol);
  F.BodyHash = std::move(Body);
  F.Signature = std::move(Sig);
  F.IsStatic = IsStatic;
  return F;
}

GlobalInfo gv(std::string Name, std::string Symbol, std::string Type,
              std::string Init, bool IsConst = false, bool IsStatic = false) {
  GlobalInfo G;
  G.Name = std::move(Name);
  G.Symbol = std::move(Symbol);
  G.Type = std::move(Type);
  G.TypeHash = "th-" + G.Type;
  G.InitHash = std::move(Init);
  G.IsConst = IsConst;
  G.IsStatic = IsStatic;
  return G;
}

TUModel tu(std::string Name) {
  TUModel T;
  T.TU = Name;
  T.Source = Name;
  T.TUTag = "tag-" + Name;
  return T;
}

TypeInfo type(std::string Name, uint64_t Size, std::string Hash,
              std::vector<FieldInfo> Fields) {
  TypeInfo T;
  T.Name = std::move(Name);
  T.Size = Size;
  T.Align = 4;
  T.Hash = std::move(Hash);
  T.Fields = std::move(Fields);
  return T;
}

FieldInfo field(std::string Name, std::string Type, uint64_t Offset,
                uint64_t Size, std::string Hash = "") {
  return {std::move(Name), Type, Hash.empty() ? "h-" + Type : Hash, Offset,
          Size, false};
}

/// Old and new builds exercising every function and global kind that does
/// not need a state change.
std::pair<ProgramModel, ProgramModel> codeOnlyChange() {
  TUModel OldMain = tu("main.c"), OldUtil = tu("util.c");
  OldMain.Functions = {
      fn("run", "run.dsu.1", "body-run-1"),
      fn("parse", "parse.dsu.1", "body-parse", "int (char *)"),
      fn("gone", "gone.dsu.1", "body-gone"),
      fn("same", "same.dsu.1", "body-same"),
      fn("helper", "helper.tag-main.c.dsu.1", "body-helper-main", "void (void)",
         true)};
  FunctionInfo Inl = fn("inl", "inl", "body-inl");
  Inl.Managed = false;
  OldMain.Functions.push_back(Inl);
  OldUtil.Functions = {fn("helper", "helper.tag-util.c.dsu.1",
                          "body-helper-util-1", "void (void)", true)};
  OldMain.Globals = {gv("limit", "limit.dsu.1", "const int", "i10", true),
                     gv("count", "count.dsu.1", "int", "i0"),
                     gv("oldg", "oldg.dsu.1", "int", ""),
                     gv("keep", "keep.dsu.1", "int", "i1")};

  TUModel NewMain = tu("main.c"), NewUtil = tu("util.c");
  NewMain.Functions = {
      fn("run", "run.dsu.1", "body-run-2"),
      fn("parse", "parse.dsu.2", "body-parse", "int (const char *)"),
      fn("same", "same.dsu.1", "body-same"),
      fn("fresh", "fresh.dsu.1", "body-fresh"),
      fn("helper", "helper.tag-main.c.dsu.1", "body-helper-main", "void (void)",
         true)};
  NewUtil.Functions = {fn("helper", "helper.tag-util.c.dsu.1",
                          "body-helper-util-2", "void (void)", true)};
  NewMain.Globals = {gv("limit", "limit.dsu.2", "const int", "i20", true),
                     gv("count", "count.dsu.1", "int", "i5"),
                     gv("newg", "newg.dsu.1", "long", "i7"),
                     gv("keep", "keep.dsu.1", "int", "i1")};
  ProgramModel Old, New;
  Old.TUs = {OldMain, OldUtil};
  New.TUs = {NewUtil, NewMain};
  return {Old, New};
}

} // namespace

TEST(DiffTest, IdenticalBuildsHaveNoChanges) {
  auto [Old, New] = codeOnlyChange();
  PatchPlan P = diffModels(Old, Old);
  EXPECT_TRUE(P.empty());
  EXPECT_TRUE(P.Refusals.empty());
  EXPECT_EQ(P.BaseVersion, P.TargetVersion);
  EXPECT_EQ(P.dump(), "patch " + Old.versionId() + " -> " + Old.versionId() +
                          "\nno changes\n");
}

TEST(DiffTest, ClassifiesCodeChanges) {
  auto [Old, New] = codeOnlyChange();
  PatchPlan P = diffModels(Old, New);
  EXPECT_EQ(P.BaseVersion, Old.versionId());
  EXPECT_EQ(P.TargetVersion, New.versionId());
  EXPECT_TRUE(P.Refusals.empty());
  EXPECT_TRUE(P.Types.empty());

  ASSERT_EQ(P.Functions.size(), 5u);
  const auto &F = P.Functions;
  EXPECT_EQ(F[0].Name, "fresh");
  EXPECT_EQ(F[0].Kind, FK::Added);
  EXPECT_EQ(F[0].OldSymbol, "");
  EXPECT_EQ(F[0].NewSymbol, "fresh.dsu.1");
  EXPECT_EQ(F[1].Name, "gone");
  EXPECT_EQ(F[1].Kind, FK::Removed);
  EXPECT_EQ(F[1].OldSymbol, "gone.dsu.1");
  EXPECT_EQ(F[1].NewSymbol, "");
  // Statics are matched within their TU: only util.c's helper changed.
  EXPECT_EQ(F[2].Name, "helper");
  EXPECT_EQ(F[2].Kind, FK::Changed);
  EXPECT_EQ(F[2].TU, "util.c");
  EXPECT_EQ(F[2].OldSymbol, "helper.tag-util.c.dsu.1");
  EXPECT_EQ(F[2].NewSymbol, "helper.tag-util.c.dsu.1");
  EXPECT_EQ(F[3].Name, "parse");
  EXPECT_EQ(F[3].Kind, FK::SignatureChanged);
  EXPECT_EQ(F[3].OldSymbol, "parse.dsu.1");
  EXPECT_EQ(F[3].NewSymbol, "parse.dsu.2");
  EXPECT_EQ(F[3].OldSignature, "int (char *)");
  EXPECT_EQ(F[3].NewSignature, "int (const char *)");
  EXPECT_EQ(F[4].Name, "run");
  EXPECT_EQ(F[4].Kind, FK::Changed);
  EXPECT_EQ(F[4].TU, "");

  ASSERT_EQ(P.Globals.size(), 4u);
  const auto &G = P.Globals;
  EXPECT_EQ(G[0].Name, "count");
  EXPECT_EQ(G[0].Kind, GK::InitialiserChangedKept);
  EXPECT_EQ(G[1].Name, "limit");
  EXPECT_EQ(G[1].Kind, GK::ConstReplaced);
  EXPECT_EQ(G[1].OldSymbol, "limit.dsu.1");
  EXPECT_EQ(G[1].NewSymbol, "limit.dsu.2");
  EXPECT_EQ(G[2].Name, "newg");
  EXPECT_EQ(G[2].Kind, GK::Added);
  EXPECT_EQ(G[3].Name, "oldg");
  EXPECT_EQ(G[3].Kind, GK::Removed);
}

TEST(DiffTest, DumpIsExact) {
  auto [Old, New] = codeOnlyChange();
  PatchPlan P = diffModels(Old, New);
  EXPECT_EQ(P.dump(),
            "patch " + Old.versionId() + " -> " + New.versionId() + "\n" +
                "summary: 3 functions changed, 1 function added, 1 function "
                "removed, 4 globals changed\n"
                "function added fresh\n"
                "function removed gone\n"
                "function changed helper (static in util.c)\n"
                "function signature-changed parse: 'int (char *)' -> "
                "'int (const char *)'\n"
                "function changed run\n"
                "global initialiser-changed-value-kept count: the running "
                "value is kept; if its running bytes are still the old "
                "initialiser at the update it takes the new one\n"
                "global const-replaced limit: the new value replaces the old\n"
                "global added newg\n"
                "global removed oldg\n");
}

TEST(DiffTest, JSONParses) {
  auto [Old, New] = codeOnlyChange();
  PatchPlan P = diffModels(Old, New);
  auto J = nlohmann::json::parse(P.toJSON());
  EXPECT_EQ(J["base"], Old.versionId());
  EXPECT_EQ(J["target"], New.versionId());
  ASSERT_EQ(J["functions"].size(), 5u);
  EXPECT_EQ(J["functions"][3]["kind"], "signature-changed");
  EXPECT_EQ(J["functions"][3]["name"], "parse");
  EXPECT_EQ(J["functions"][3]["old_symbol"], "parse.dsu.1");
  EXPECT_EQ(J["functions"][3]["new_signature"], "int (const char *)");
  EXPECT_EQ(J["functions"][2]["tu"], "util.c");
  ASSERT_EQ(J["globals"].size(), 4u);
  EXPECT_EQ(J["globals"][0]["kind"], "initialiser-changed-value-kept");
  EXPECT_EQ(J["globals"][1]["kind"], "const-replaced");
  EXPECT_TRUE(J["types"].is_array());
  EXPECT_TRUE(J["types"].empty());
  EXPECT_TRUE(J["refusals"].is_array());
  EXPECT_TRUE(J["refusals"].empty());
}

TEST(DiffTest, StaticFunctionMovedBetweenTUs) {
  TUModel A = tu("a.c"), B = tu("b.c");
  A.Functions = {fn("aux", "aux.tag-a.c.dsu.1", "x", "void (void)", true)};
  ProgramModel Old, New;
  Old.TUs = {A, B};
  TUModel A2 = tu("a.c"), B2 = tu("b.c");
  B2.Functions = {fn("aux", "aux.tag-b.c.dsu.1", "x", "void (void)", true)};
  New.TUs = {A2, B2};
  PatchPlan P = diffModels(Old, New);
  ASSERT_EQ(P.Functions.size(), 2u);
  EXPECT_EQ(P.Functions[0].Kind, FK::Removed);
  EXPECT_EQ(P.Functions[0].TU, "a.c");
  EXPECT_EQ(P.Functions[1].Kind, FK::Added);
  EXPECT_EQ(P.Functions[1].TU, "b.c");
}

TEST(DiffTest, MutableGlobalTypeChangeGetsNewStorage) {
  TUModel O = tu("store.c"), N = tu("store.c");
  O.Globals = {gv("table", "table.dsu.1", "int[16]", "z"),
               gv("cache", "cache.tag.dsu.1", "short", "z", false, true)};
  N.Globals = {gv("table", "table.dsu.2", "int[32]", "z"),
               gv("cache", "cache.tag.dsu.2", "long", "z", false, true)};
  ProgramModel Old, New;
  Old.TUs = {O};
  New.TUs = {N};
  PatchPlan P = diffModels(Old, New);
  ASSERT_EQ(P.Globals.size(), 2u);
  EXPECT_EQ(P.Globals[0].Kind, GK::TypeChanged);
  EXPECT_EQ(P.Globals[1].Kind, GK::TypeChanged);
  // State changes are accepted: the transformers carry the values over.
  EXPECT_TRUE(P.Refusals.empty());
  std::string Dump = P.dump();
  const std::string Rule = "; if its running bytes are still the old "
                           "initialiser at the update it takes the new one, "
                           "else its transformer converts them\n";
  EXPECT_NE(Dump.find("global type-changed cache (static in store.c): "
                      "'short' -> 'long'" +
                      Rule),
            std::string::npos)
      << Dump;
  EXPECT_NE(
      Dump.find("global type-changed table: 'int[16]' -> 'int[32]'" + Rule),
      std::string::npos)
      << Dump;
}

TEST(DiffTest, ConstToMutableIsATypeChange) {
  TUModel O = tu("m.c"), N = tu("m.c");
  O.Globals = {gv("flag", "flag.dsu.1", "const int", "i1", true)};
  N.Globals = {gv("flag", "flag.dsu.2", "int", "i1", false)};
  ProgramModel Old, New;
  Old.TUs = {O};
  New.TUs = {N};
  PatchPlan P = diffModels(Old, New);
  ASSERT_EQ(P.Globals.size(), 1u);
  EXPECT_EQ(P.Globals[0].Kind, GK::TypeChanged);
  EXPECT_TRUE(P.Refusals.empty());
}

TEST(DiffTest, StructChangeNamesTypeAndField) {
  TUModel O = tu("kv.c"), N = tu("kv.c");
  O.Types = {type("struct item", 8, "h1",
                  {field("key", "int", 0, 32), field("val", "int", 32, 32)}),
             type("struct stable", 4, "hs", {field("x", "int", 0, 32)})};
  N.Types = {type("struct item", 24, "h2",
                  {field("key", "int", 0, 32), field("val", "long", 64, 64),
                   field("extra", "int", 128, 32)}),
             type("struct stable", 4, "hs", {field("x", "int", 0, 32)}),
             type("struct brand_new", 4, "hn", {field("y", "int", 0, 32)})};
  ProgramModel Old, New;
  Old.TUs = {O};
  New.TUs = {N};
  PatchPlan P = diffModels(Old, New);
  ASSERT_EQ(P.Types.size(), 1u);
  EXPECT_EQ(P.Types[0].Name, "struct item");
  EXPECT_EQ(P.Types[0].Detail, "field 'extra' added, field 'val' changed from "
                               "'int' to 'long', size 8 -> 24");
  EXPECT_TRUE(P.Refusals.empty());
  EXPECT_FALSE(P.empty());
  EXPECT_NE(P.dump().find("type changed struct item: field 'extra' added"),
            std::string::npos);
}

TEST(DiffTest, StructChangeDetails) {
  auto Detail = [](TypeInfo O, TypeInfo N) {
    ProgramModel Old, New;
    Old.TUs = {tu("t.c")};
    New.TUs = {tu("t.c")};
    Old.TUs[0].Types = {O};
    New.TUs[0].Types = {N};
    PatchPlan P = diffModels(Old, New);
    return P.Types.size() == 1 ? P.Types[0].Detail : std::string("<none>");
  };
  EXPECT_EQ(Detail(type("struct s", 8, "a",
                        {field("a", "int", 0, 32), field("b", "int", 32, 32)}),
                   type("struct s", 4, "b", {field("b", "int", 0, 32)})),
            "field 'a' removed, field 'b' moved, size 8 -> 4");
  // A nested struct held by value changed: same spelling, other hash.
  EXPECT_EQ(Detail(type("struct outer", 8, "a",
                        {field("in", "struct inner", 0, 64, "ih1")}),
                   type("struct outer", 8, "b",
                        {field("in", "struct inner", 0, 64, "ih2")})),
            "field 'in' has a changed type");
  EXPECT_EQ(Detail(type("struct s", 8, "a", {field("a", "int", 0, 32)}),
                   type("struct s", 8, "b", {field("a", "int", 0, 32)})),
            "layout changed");
  EXPECT_EQ(Detail(type("struct s", 8, "same", {field("a", "int", 0, 32)}),
                   type("struct s", 8, "same", {field("z", "long", 0, 64)})),
            "<none>"); // matched by hash only
}

TEST(DiffTest, UnmanagedFunctionsAreIgnored) {
  TUModel O = tu("m.c"), N = tu("m.c");
  FunctionInfo W = fn("weakfn", "weakfn", "w1");
  W.Managed = false;
  O.Functions = {W};
  W.BodyHash = "w2";
  N.Functions = {W};
  FunctionInfo W2 = fn("other", "other", "o");
  W2.Managed = false;
  N.Functions.push_back(W2);
  ProgramModel Old, New;
  Old.TUs = {O};
  New.TUs = {N};
  PatchPlan P = diffModels(Old, New);
  EXPECT_TRUE(P.Functions.empty());
}

TEST(DiffTest, KindNames) {
  EXPECT_STREQ(kindName(FK::Changed), "changed");
  EXPECT_STREQ(kindName(FK::SignatureChanged), "signature-changed");
  EXPECT_STREQ(kindName(FK::Added), "added");
  EXPECT_STREQ(kindName(FK::Removed), "removed");
  EXPECT_STREQ(kindName(GK::Added), "added");
  EXPECT_STREQ(kindName(GK::Removed), "removed");
  EXPECT_STREQ(kindName(GK::ConstReplaced), "const-replaced");
  EXPECT_STREQ(kindName(GK::InitialiserChangedKept),
               "initialiser-changed-value-kept");
  EXPECT_STREQ(kindName(GK::TypeChanged), "type-changed");
}

TEST(DiffTest, TypeMatchedThroughItsTypedefName) {
  // typedef struct {...} conn;  ->  typedef struct conn {...} conn;
  TUModel O = tu("conn.c"), N = tu("conn.c");
  O.Types = {type("conn", 8, "h1",
                  {field("fd", "int", 0, 32), field("state", "int", 32, 32)})};
  TypeInfo Tagged = type("struct conn", 16, "h2",
                         {field("fd", "int", 0, 32),
                          field("state", "int", 32, 32),
                          field("next", "struct conn *", 64, 64)});
  Tagged.Aliases = {"conn"};
  // An unrelated type that shares no name stays new.
  N.Types = {Tagged, type("struct other", 4, "h3", {field("x", "int", 0, 32)})};
  ProgramModel Old, New;
  Old.TUs = {O};
  New.TUs = {N};
  PatchPlan P = diffModels(Old, New);
  ASSERT_EQ(P.Types.size(), 1u);
  EXPECT_EQ(P.Types[0].Name, "struct conn");
  EXPECT_EQ(P.Types[0].oldName(), "conn");
  EXPECT_EQ(P.Types[0].Detail, "was conn (the same typedef name), field "
                               "'next' added, size 8 -> 16");
}

TEST(DiffTest, MutableStaticUnderAnotherUnitIsAStateLoss) {
  TUModel A = tu("store.c"), Main = tu("main.c");
  A.Globals = {gv("table", "table.tag-store.c.dsu.1", "int [4]", "i0", false, true)};
  TUModel B = tu("kvstore.c"), Main2 = tu("main.c");
  B.Globals = {gv("table", "table.tag-kvstore.c.dsu.1", "int [4]", "i0", false,
                 true)};
  ProgramModel Old, New;
  Old.TUs = {A, Main};
  New.TUs = {B, Main2};
  PatchPlan P = diffModels(Old, New);
  ASSERT_EQ(P.StateLosses.size(), 1u);
  EXPECT_EQ(P.StateLosses[0].Name, "table");
  EXPECT_EQ(P.StateLosses[0].OldTU, "store.c");
  EXPECT_EQ(P.StateLosses[0].NewTU, "kvstore.c");
  EXPECT_NE(P.dump().find("state-lost 'table' (static in store.c)"),
            std::string::npos);
}

TEST(DiffTest, RenamedTypeMatchedThroughThePlacesThatHoldIt) {
  // struct item -> struct record: the global head and the type's own next
  // field hold one where the other build holds the other.
  TUModel O = tu("list.c"), N = tu("list.c");
  O.Types = {type("struct item", 16, "h1",
                  {field("id", "int", 0, 32),
                   field("next", "struct item *", 64, 64)})};
  N.Types = {type("struct record", 24, "h2",
                  {field("id", "long", 0, 64),
                   field("next", "struct record *", 64, 64),
                   field("weight", "int", 128, 32)}),
             type("struct unrelated", 4, "h3", {field("x", "int", 0, 32)})};
  O.Globals = {gv("head", "head.tag.dsu.1", "struct item *", "i0")};
  N.Globals = {gv("head", "head.tag.dsu.2", "struct record *", "i0")};
  ProgramModel Old, New;
  Old.TUs = {O};
  New.TUs = {N};
  PatchPlan P = diffModels(Old, New);
  ASSERT_EQ(P.Types.size(), 1u);
  EXPECT_EQ(P.Types[0].Name, "struct record");
  EXPECT_EQ(P.Types[0].oldName(), "struct item");
  EXPECT_NE(P.Types[0].Detail.find("was struct item (renamed: the same places "
                                   "hold it)"),
            std::string::npos)
      << P.Types[0].Detail;
}

TEST(DiffTest, UnrelatedNewAndRemovedTypesAreNotARename) {
  TUModel O = tu("a.c"), N = tu("a.c");
  O.Types = {type("struct gone", 4, "h1", {field("x", "int", 0, 32)})};
  N.Types = {type("struct fresh", 4, "h2", {field("x", "int", 0, 32)})};
  ProgramModel Old, New;
  Old.TUs = {O};
  New.TUs = {N};
  EXPECT_TRUE(diffModels(Old, New).Types.empty());
}

namespace {
/// Old and new builds where struct item grows, with continuation facts for
/// the old build's one update point in `serve`.
std::pair<ProgramModel, ProgramModel>
itemGrows(std::vector<FrameContinuation> Frames) {
  TUModel Old = tu("main.c"), New = tu("main.c");
  FunctionInfo Serve = fn("serve", "serve.dsu.1", "b1");
  Serve.File = "/src/main.c";
  Serve.Line = 10;
  Serve.TypesUsed = {"struct item"};
  FunctionInfo Main = fn("main", "main.dsu.1", "b2", "int (void)");
  Main.File = "/src/main.c";
  Main.Line = 30;
  Main.TypesUsed = {"struct item"};
  FunctionInfo Show = fn("show", "show.dsu.1", "b3", "void (struct item *)");
  Show.TypesUsed = {"struct item"};
  Old.Functions = {Serve, Main, Show};
  FunctionInfo NewShow =
      fn("show", "show.dsu.2", "b4", "void (struct item *, int)");
  New.Functions = {Serve, Main, NewShow};
  Old.Types = {type("struct item", 4, "h1", {field("n", "int", 0, 32)})};
  New.Types = {type("struct item", 8, "h2", {field("n", "long", 0, 64)})};
  UpdatePointInfo U{"serve.dsu.1", "/src/main.c", 12};
  Old.UpdatePoints = {U};
  New.UpdatePoints = {U};
  ProgramModel O, N;
  O.TUs = {Old};
  N.TUs = {New};
  O.Continuations = {{U, std::move(Frames)}};
  return {O, N};
}
} // namespace

TEST(DiffTest, UnsafeOnlyWhereAContinuationUsesTheChangedType) {
  // main mentions struct item (it initialises one) but its continuation
  // does not use it: the point is safe, where the old check refused it.
  auto [Old, New] = itemGrows({{"serve.dsu.1", {12}, {}, {}},
                               {"main.dsu.1", {40}, {}, {}}});
  PatchPlan Plan = diffModels(Old, New);
  ASSERT_EQ(Plan.Points.size(), 1u);
  EXPECT_TRUE(Plan.Points[0].Safe) << Plan.Points[0].Reason;

  // A field access after the point in main's frame makes it unsafe, and the
  // reason names the frame, the use's place and the type.
  auto [Old2, New2] = itemGrows(
      {{"serve.dsu.1", {12}, {}, {}},
       {"main.dsu.1",
        {40},
        {{"struct item", false, "field", "/src/main.c", 41}},
        {}}});
  Plan = diffModels(Old2, New2);
  ASSERT_FALSE(Plan.Points[0].Safe);
  EXPECT_EQ(Plan.Points[0].Reason,
            "function 'main' (main.c:30), which may be active here, uses "
            "struct item at main.c:41 after the update (a field access), "
            "which this patch changes");
  EXPECT_EQ(Plan.Points[0].Frame, "main");
  EXPECT_EQ(Plan.Points[0].UseLine, 41u);
}

TEST(DiffTest, OldBodyOfACalleeWithANewSignatureCounts) {
  // serve's continuation calls show through its slot; the patch gives show
  // a new signature, so the old frame goes on calling the old show, which
  // uses struct item.
  auto [Old, New] =
      itemGrows({{"serve.dsu.1", {12}, {}, {"show.dsu.1"}}});
  PatchPlan Plan = diffModels(Old, New);
  ASSERT_FALSE(Plan.Points[0].Safe);
  EXPECT_NE(Plan.Points[0].Reason.find("goes on calling the old body of "
                                       "'show'"),
            std::string::npos)
      << Plan.Points[0].Reason;
}

namespace {
/// An extracted loop body as LoopExtraction.cpp describes it.
FunctionInfo loopBody(std::string Symbol, std::vector<LoopArg> Args,
                      std::vector<std::string> Exits = {
                          "0=after", "1=return:store 2 retval;br;",
                          "default=continue"}) {
  FunctionInfo F = fn("main.loop0", std::move(Symbol), "b", "i1 (ptr)", true);
  F.LoopArgs = std::move(Args);
  F.LoopExits = std::move(Exits);
  return F;
}
LoopArg local(std::string Name, std::string CType, std::string Layout,
              bool UsedAfter = false, std::string Init = "") {
  LoopArg A;
  A.Name = std::move(Name);
  A.CType = std::move(CType);
  A.Layout = std::move(Layout);
  A.UsedAfter = UsedAfter;
  A.Init = std::move(Init);
  return A;
}
std::optional<PatchPlan::LoopMigration>
plan(const FunctionInfo &Old, const FunctionInfo &New, std::string &Why,
     std::set<std::string> Changed = {}) {
  return planLoopMigration(Old, New, Changed, Why);
}
} // namespace

TEST(LoopMigrationTest, KeptConvertedAndNewLocals) {
  FunctionInfo Old =
      loopBody("main.loop0.a", {local("served", "long", "i64", true),
                                local("total", "int", "i32")});
  FunctionInfo New =
      loopBody("main.loop0.b", {local("peak", "long", "i64", false, "-1"),
                                local("served", "long", "i64", true),
                                local("total", "long long", "i64")});
  std::string Why;
  auto M = plan(Old, New, Why);
  ASSERT_TRUE(M) << Why;
  EXPECT_EQ(M->OldSymbol, "main.loop0.a");
  EXPECT_EQ(M->NewSymbol, "main.loop0.b");
  EXPECT_EQ(M->OldArgs, 2u);
  EXPECT_EQ(M->Continue, "default");
  // The block is freed only when the loop returns from its function.
  EXPECT_EQ(M->ReturnValues, std::vector<unsigned>{1});
  ASSERT_EQ(M->Args.size(), 3u);
  // A new local moves to the block with its initialiser.
  EXPECT_TRUE(M->Args[0].Moved);
  EXPECT_EQ(M->Args[0].OldArg, -1);
  EXPECT_EQ(M->Args[0].Init, "-1");
  // One that kept its layout stays in the old frame, even if main reads it.
  EXPECT_FALSE(M->Args[1].Moved);
  EXPECT_EQ(M->Args[1].OldArg, 0);
  // One whose layout changed moves, converted from the old frame's.
  EXPECT_TRUE(M->Args[2].Moved);
  EXPECT_EQ(M->Args[2].OldArg, 1);
  EXPECT_EQ(M->Args[2].OldType, "int");
  EXPECT_EQ(M->Args[2].NewType, "long long");
}

TEST(LoopMigrationTest, ALocalWithTheSameLayoutButAnotherTypeMoves) {
  // int * -> long * (same size), and a struct the patch changes without
  // changing its size (two fields swapped): neither may be passed on as
  // it is.
  FunctionInfo Old = loopBody("a", {local("counts", "int *", "ptr"),
                                    local("st", "struct stats", "{i32,i32,}")});
  FunctionInfo New = loopBody("b", {local("counts", "long *", "ptr"),
                                    local("st", "struct stats", "{i32,i32,}")});
  std::string Why;
  auto M = plan(Old, New, Why, {"struct stats"});
  ASSERT_TRUE(M) << Why;
  EXPECT_TRUE(M->Args[0].Moved);
  EXPECT_TRUE(M->Args[1].Moved);
}

TEST(LoopMigrationTest, ALocalTheOldFunctionReadsAfterTheLoopCannotMove) {
  FunctionInfo Old =
      loopBody("a", {local("sess", "struct session", "{i32,}", true)});
  FunctionInfo New =
      loopBody("b", {local("sess", "struct session", "{i64,i32,}", true)});
  std::string Why;
  EXPECT_FALSE(plan(Old, New, Why));
  EXPECT_NE(Why.find("the old main uses the local 'sess' ('struct session') "
                     "outside its loop body, and the new body keeps it in "
                     "another form ('struct session')"),
            std::string::npos)
      << Why;
  // Nor one the new body no longer receives (renamed).
  FunctionInfo Old2 = loopBody("a", {local("cnt", "int", "i32", true)});
  FunctionInfo New2 = loopBody("b", {local("count", "int", "i32", true)});
  EXPECT_FALSE(plan(Old2, New2, Why));
  EXPECT_NE(Why.find("'cnt' outside its loop body, and the new body does not "
                     "keep it"),
            std::string::npos)
      << Why;
}

TEST(LoopMigrationTest, EscapesUnknownNamesAndNewCodeAroundTheLoopRefuse) {
  std::string Why;
  // Its address may be kept: the old copy would go on being used.
  LoopArg Kept = local("count", "int", "i32");
  Kept.Escapes = true;
  EXPECT_FALSE(plan(loopBody("a", {Kept}),
                    loopBody("b", {local("count", "long", "i64")}), Why));
  EXPECT_NE(Why.find("may be kept by the old code"), std::string::npos) << Why;
  // A name that is not a variable's (clang renamed a shadowed "n" to "n1").
  EXPECT_FALSE(plan(loopBody("a", {local("n1", "", "i32")}),
                    loopBody("b", {local("n", "int", "i32")}), Why));
  EXPECT_NE(Why.find("'n1' is not a variable dsu can match by name"),
            std::string::npos)
      << Why;
  // The new main sets a new local again around the loop (each round of an
  // outer loop): the old main would not.
  EXPECT_FALSE(plan(loopBody("a", {local("n", "int", "i32")}),
                    loopBody("b", {local("n", "int", "i32"),
                                   local("budget", "int", "i32", true, "10")}),
                    Why));
  EXPECT_NE(Why.find("the new main sets or reads the new local 'budget'"),
            std::string::npos)
      << Why;
}

TEST(LoopMigrationTest, ClangsTemporariesTakeFreshStorage) {
  // v2 adds a second update point: clang's temporary for its atomic load
  // is one more local, written before it is read.
  FunctionInfo Old = loopBody(
      "a", {local("atomic-temp", "", "i32"), local("n", "int", "i32")});
  FunctionInfo New =
      loopBody("b", {local("atomic-temp", "", "i32"), local("n", "int", "i32"),
                     local("atomic-temp2", "", "i32")});
  std::string Why;
  auto M = plan(Old, New, Why);
  ASSERT_TRUE(M) << Why;
  EXPECT_FALSE(M->Args[0].Moved);
  EXPECT_TRUE(M->Args[2].Moved);
  EXPECT_EQ(M->Args[2].OldArg, -1);
  // And back: a body that loses one.
  EXPECT_TRUE(plan(New, Old, Why)) << Why;
  // Not when the enclosing function uses it around the loop.
  FunctionInfo Used = New;
  Used.LoopArgs[2].UsedAfter = true;
  EXPECT_FALSE(plan(Old, Used, Why));
}

TEST(LoopMigrationTest, OtherExitsOrUnknownTypesKeepTheUpdatePartial) {
  FunctionInfo Old = loopBody("a", {local("n", "int", "i32")});
  std::string Why;
  // A value that meant "return 2" now leaves the loop: the old function
  // could not tell how the new body left the loop.
  FunctionInfo Swapped =
      loopBody("b", {local("n", "long", "i64")},
               {"0=return:store 2 retval;br;", "1=after", "default=continue"});
  EXPECT_FALSE(plan(Old, Swapped, Why));
  EXPECT_NE(Why.find("exits differ"), std::string::npos) << Why;
  FunctionInfo NewExit =
      loopBody("b", {local("n", "long", "i64")},
               {"0=after", "1=return:store 2 retval;br;",
                "2=return:store 3 retval;br;", "default=continue"});
  EXPECT_FALSE(plan(Old, NewExit, Why));
  // A new local whose C type is not known cannot be declared in the block.
  FunctionInfo Unknown =
      loopBody("b", {local("n", "int", "i32"), local("tmp", "", "i32")});
  EXPECT_FALSE(plan(Old, Unknown, Why));
  EXPECT_NE(Why.find("the C type of the new local 'tmp' is not known"),
            std::string::npos)
      << Why;
  // A build made before loop bodies were described: nothing to match.
  FunctionInfo Undescribed = Old;
  Undescribed.LoopArgs.clear();
  Undescribed.LoopExits.clear();
  EXPECT_FALSE(plan(Undescribed, Old, Why));
}

TEST(LoopMigrationTest, DiffPlansAMigrationInsteadOfAPartial) {
  ProgramModel Old, New;
  Old.TUs.push_back(tu("main.c"));
  New.TUs.push_back(tu("main.c"));
  Old.TUs[0].Functions.push_back(
      loopBody("main.loop0.a", {local("total", "int", "i32")}));
  Old.TUs[0].Functions.push_back(fn("main", "main", "m1"));
  New.TUs[0].Functions.push_back(
      loopBody("main.loop0.b", {local("total", "long", "i64")}));
  // The frame is part of an extracted body's signature (Identities.cpp).
  Old.TUs[0].Functions[0].Signature += " frame(local i32;)";
  New.TUs[0].Functions[0].Signature += " frame(local i64;)";
  Old.TUs[0].UpdatePoints.push_back({"main.loop0.a", "main.c", 7});
  PatchPlan Plan = diffModels(Old, New);
  EXPECT_TRUE(Plan.Partials.empty());
  ASSERT_EQ(Plan.Migrations.size(), 1u);
  EXPECT_EQ(Plan.Migrations[0].Line, 7u);
  EXPECT_EQ(Plan.Migrations[0].EnclosingSymbol, "main");
  EXPECT_NE(Plan.dump().find("migrated main.c:7: the running loop main.loop0 "
                             "goes on with the new body; its locals total "
                             "('int' -> 'long') move to a block"),
            std::string::npos)
      << Plan.dump();
}
