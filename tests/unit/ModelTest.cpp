//===- ModelTest.cpp - dsuModel: TUModel and ProgramModel -----------------===//
#include "TestUtil.h"
#include "dsu/Model/Model.h"

#include "gtest/gtest.h"
#include <nlohmann/json.hpp>

using namespace dsu;
using namespace dsu::test;

namespace {

FunctionInfo fn(std::string Name, std::string Symbol, std::string Body,
                bool IsStatic = false, std::string Sig = "void (void)") {
  FunctionInfo F;
  F.Name = std::move(Name);
  F.Symbol = std::move(Symbol);
  F.BodyHash = std::move(Body);
  F.IsStatic = IsStatic;
  F.Signature = std::move(Sig);
  F.File = "src/a.c";
  F.Line = 1;
  return F;
}

GlobalInfo global(std::string Name, std::string Symbol, std::string TypeHash,
                  std::string Init, bool IsStatic = false,
                  bool IsConst = false) {
  GlobalInfo G;
  G.Name = std::move(Name);
  G.Symbol = std::move(Symbol);
  G.TypeHash = std::move(TypeHash);
  G.InitHash = std::move(Init);
  G.IsStatic = IsStatic;
  G.IsConst = IsConst;
  G.Type = "int";
  G.Size = 4;
  G.File = "src/a.c";
  G.Line = 2;
  return G;
}

/// A TU that uses every field of the model.
TUModel richTU() {
  TUModel TU;
  TU.Source = "/home/u/proj/src/a.c";
  TU.TU = "src/a.c";
  TU.TUTag = "0a1b2c3d";
  FunctionInfo Zeta = fn("zeta", "zeta.0a1b2c3d.dsu.1111111111", "bbbb",
                         /*IsStatic=*/true);
  Zeta.Callees = {"b", "a", "b"};
  Zeta.Globals = {"g2", "g1", "g2"};
  Zeta.Line = 30;
  FunctionInfo Alpha = fn("alpha", "alpha.dsu.2222222222", "aaaa", false,
                          "int (int, char **)");
  Alpha.Managed = false;
  TU.Functions = {Zeta, Alpha};

  GlobalInfo Limit = global("limit", "limit.dsu.4444444444", "th2", "cccc",
                            false, /*IsConst=*/true);
  Limit.Type = "const long";
  Limit.Size = 8;
  GlobalInfo Counter =
      global("counter", "counter.0a1b2c3d.dsu.3333333333", "th1", "", true);
  TU.Globals = {Limit, Counter};

  TypeInfo Item;
  Item.Name = "struct item";
  Item.Size = 16;
  Item.Align = 8;
  Item.Hash = "dddd";
  Item.File = "src/a.c";
  Item.Line = 5;
  Item.Fields.push_back({"next", "struct item *", "ph", 0, 64, false});
  Item.Fields.push_back({"flags", "unsigned int", "uh", 64, 3, true});
  TypeInfo Apple;
  Apple.Name = "struct apple";
  Apple.Size = 4;
  Apple.Align = 4;
  Apple.Hash = "eeee";
  Apple.IsUnion = false;
  TU.Types = {Item, Apple};

  TU.UpdatePoints = {{"main.dsu.5555555555", "src/a.c", 42},
                     {"loop.dsu.7777777777", "src/a.c", 7}};
  TU.AllocSites = {{"zeta.0a1b2c3d.dsu.1111111111", "src/a.c", 10, "calloc",
                    "struct item"},
                   {"alpha.dsu.2222222222", "src/a.c", 3, "malloc",
                    "struct apple"}};
  return TU;
}

TUModel smallTU(std::string Name, std::string Source) {
  TUModel TU;
  TU.Source = std::move(Source);
  TU.TU = std::move(Name);
  TU.TUTag = "ffff0000";
  return TU;
}

} // namespace

TEST(TUModelTest, JSONRoundTrip) {
  TUModel TU = richTU();
  std::string Json = TU.toJSON();
  auto Back = TUModel::fromJSON(Json);
  ASSERT_TRUE(bool(Back)) << errorText(Back);
  EXPECT_EQ(*Back, TU);
  EXPECT_EQ(Back->toJSON(), Json);
  // Field names are stable keys of the serialised form.
  auto J = nlohmann::json::parse(Json);
  EXPECT_EQ(J["TU"], "src/a.c");
  EXPECT_EQ(J["Functions"][0]["Symbol"], "zeta.0a1b2c3d.dsu.1111111111");
  EXPECT_EQ(J["Types"][0]["Fields"][1]["IsBitField"], true);
}

TEST(TUModelTest, FromJSONDefaultsMissingFields) {
  auto TU = TUModel::fromJSON(
      R"({"TU":"x.c","Functions":[{"Name":"f","Symbol":"f.dsu.1"}]})");
  ASSERT_TRUE(bool(TU)) << errorText(TU);
  EXPECT_EQ(TU->TU, "x.c");
  ASSERT_EQ(TU->Functions.size(), 1u);
  EXPECT_EQ(TU->Functions[0].Name, "f");
  EXPECT_TRUE(TU->Functions[0].Managed); // the default
  EXPECT_TRUE(TU->Globals.empty());
}

TEST(TUModelTest, FromJSONRejectsGarbage) {
  for (const char *Bad : {"", "{", "[1,2]", "{\"Functions\": 3}", "nul"}) {
    auto TU = TUModel::fromJSON(Bad);
    ASSERT_FALSE(bool(TU)) << "accepted: " << Bad;
    EXPECT_EQ(errorText(TU).rfind("corrupt program model: ", 0), 0u)
        << errorText(TU);
  }
}

TEST(TUModelTest, CanonicalizeSortsAndDeduplicates) {
  TUModel TU = richTU();
  TU.canonicalize();
  ASSERT_EQ(TU.Functions.size(), 2u);
  EXPECT_EQ(TU.Functions[0].Name, "alpha");
  EXPECT_EQ(TU.Functions[1].Name, "zeta");
  EXPECT_EQ(TU.Functions[1].Callees, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(TU.Functions[1].Globals, (std::vector<std::string>{"g1", "g2"}));
  ASSERT_EQ(TU.Globals.size(), 2u);
  EXPECT_EQ(TU.Globals[0].Name, "counter");
  EXPECT_EQ(TU.Globals[1].Name, "limit");
  ASSERT_EQ(TU.Types.size(), 2u);
  EXPECT_EQ(TU.Types[0].Name, "struct apple");
  EXPECT_EQ(TU.Types[1].Name, "struct item");
  // Fields keep declaration order: it is the layout.
  EXPECT_EQ(TU.Types[1].Fields[0].Name, "next");
  ASSERT_EQ(TU.UpdatePoints.size(), 2u);
  EXPECT_EQ(TU.UpdatePoints[0].Line, 7u);
  EXPECT_EQ(TU.UpdatePoints[1].Line, 42u);
  ASSERT_EQ(TU.AllocSites.size(), 2u);
  EXPECT_EQ(TU.AllocSites[0].Line, 3u);
  EXPECT_EQ(TU.AllocSites[1].Line, 10u);

  // Idempotent, and independent of the input order.
  TUModel Again = TU;
  Again.canonicalize();
  EXPECT_EQ(Again, TU);
  TUModel Shuffled = richTU();
  std::reverse(Shuffled.Functions.begin(), Shuffled.Functions.end());
  std::reverse(Shuffled.Types.begin(), Shuffled.Types.end());
  std::reverse(Shuffled.AllocSites.begin(), Shuffled.AllocSites.end());
  Shuffled.canonicalize();
  EXPECT_EQ(Shuffled, TU);
}

TEST(ProgramModelTest, DumpIsExactAndSorted) {
  ProgramModel P;
  P.TUs.push_back(richTU());
  TUModel B = smallTU("lib/b.c", "lib/b.c");
  B.Functions.push_back(
      fn("helper", "helper.dsu.6666666666", "9999", false, "void (int)"));
  P.TUs.push_back(B);
  std::string Expected =
      "version " + P.versionId() + "\n" +
      "tu lib/b.c tag=ffff0000\n"
      "  function helper sym=helper.dsu.6666666666 sig=\"void (int)\" "
      "body=9999\n"
      "tu src/a.c tag=0a1b2c3d\n"
      "  function alpha unmanaged sym=alpha.dsu.2222222222 "
      "sig=\"int (int, char **)\" body=aaaa\n"
      "  function zeta static sym=zeta.0a1b2c3d.dsu.1111111111 "
      "sig=\"void (void)\" body=bbbb\n"
      "    calls a\n"
      "    calls b\n"
      "    uses g1\n"
      "    uses g2\n"
      "  global counter static sym=counter.0a1b2c3d.dsu.3333333333 "
      "type=\"int\" size=4 init=-\n"
      "  global limit const sym=limit.dsu.4444444444 type=\"const long\" "
      "size=8 init=cccc\n"
      "  type struct apple size=4 align=4 hash=eeee\n"
      "  type struct item size=16 align=8 hash=dddd\n"
      "    field next \"struct item *\" @0 size=8\n"
      "    field flags \"unsigned int\" @8 bits size=3\n"
      "  update-point loop.dsu.7777777777 src/a.c:7\n"
      "  update-point main.dsu.5555555555 src/a.c:42\n"
      "  alloc malloc \"struct apple\" in alpha.dsu.2222222222 src/a.c:3\n"
      "  alloc calloc \"struct item\" in zeta.0a1b2c3d.dsu.1111111111 "
      "src/a.c:10\n";
  EXPECT_EQ(P.dump(), Expected);
  // dump() does not reorder the model itself.
  EXPECT_EQ(P.TUs[0].Functions[0].Name, "zeta");
}

TEST(ProgramModelTest, VersionIdIgnoresPlacesAndOrder) {
  ProgramModel P;
  P.TUs.push_back(richTU());
  P.TUs.push_back(smallTU("lib/b.c", "lib/b.c"));
  P.TUs[1].Functions.push_back(fn("helper", "helper.dsu.6", "9999"));
  std::string Id = P.versionId();
  EXPECT_EQ(Id.size(), 16u);
  EXPECT_EQ(Id.find_first_not_of("0123456789abcdef"), std::string::npos);

  ProgramModel Q = P;
  Q.TUs[0].Functions[0].File = "/elsewhere/a.c";
  Q.TUs[0].Functions[0].Line = 999;
  Q.TUs[0].Globals[0].File = "/elsewhere/a.c";
  Q.TUs[0].Globals[0].Line = 77;
  Q.TUs[0].Types[0].File = "/elsewhere/a.h";
  Q.TUs[0].Types[0].Line = 12;
  Q.TUs[0].Source = "/elsewhere/src/a.c";
  Q.TUs[0].UpdatePoints[0].Line = 1000;
  EXPECT_EQ(Q.versionId(), Id);
  std::reverse(Q.TUs.begin(), Q.TUs.end());
  std::reverse(Q.TUs[1].Functions.begin(), Q.TUs[1].Functions.end());
  EXPECT_EQ(Q.versionId(), Id);
}

TEST(ProgramModelTest, VersionIdFollowsContent) {
  ProgramModel P;
  P.TUs.push_back(richTU());
  std::string Id = P.versionId();
  auto Changed = [&](auto Mutate) {
    ProgramModel Q = P;
    Mutate(Q.TUs[0]);
    return Q.versionId() != Id;
  };
  EXPECT_TRUE(Changed([](TUModel &T) { T.Functions[0].BodyHash = "b2"; }));
  EXPECT_TRUE(Changed([](TUModel &T) { T.Functions[0].Symbol += "x"; }));
  EXPECT_TRUE(Changed([](TUModel &T) { T.Globals[0].Symbol += "x"; }));
  EXPECT_TRUE(Changed([](TUModel &T) { T.Globals[0].TypeHash = "other"; }));
  EXPECT_TRUE(Changed([](TUModel &T) { T.Globals[1].InitHash = "other"; }));
  EXPECT_TRUE(Changed([](TUModel &T) { T.Types[0].Hash = "other"; }));
  EXPECT_TRUE(Changed([](TUModel &T) { T.Types[0].Name = "struct other"; }));
  // Annotations change a patch's pointer tables: a transformers file made
  // before one was added must not match the new build.
  EXPECT_TRUE(Changed([](TUModel &T) { T.Globals[0].LiveCount = "count"; }));
  EXPECT_TRUE(Changed([](TUModel &T) { T.Globals[0].PointsTo = "struct x"; }));
  EXPECT_TRUE(Changed([](TUModel &T) {
    ASSERT_FALSE(T.Types[0].Fields.empty());
    T.Types[0].Fields[0].PointsTo = "struct x";
  }));
  EXPECT_TRUE(Changed([](TUModel &T) { T.Functions.pop_back(); }));
  EXPECT_TRUE(Changed([](TUModel &T) {
    T.Functions.push_back(fn("new_fn", "new_fn.dsu.1", "1"));
  }));
}

TEST(ProgramModelTest, ValidateAcceptsDistinctTUs) {
  ProgramModel P;
  P.TUs.push_back(richTU());
  TUModel B = smallTU("lib/b.c", "lib/b.c");
  // A static function with the same C name in another TU is fine: its
  // symbol carries the other TU's tag.
  B.Functions.push_back(fn("zeta", "zeta.ffff0000.dsu.1111111111", "x", true));
  P.TUs.push_back(B);
  EXPECT_EQ(errorText(P.validate()), "");
}

TEST(ProgramModelTest, ValidateRejectsDuplicateTUIdentity) {
  ProgramModel P;
  P.TUs.push_back(smallTU("main.c", "v1/main.c"));
  P.TUs.push_back(smallTU("util.c", "util.c"));
  P.TUs.push_back(smallTU("main.c", "v2/main.c"));
  EXPECT_EQ(errorText(P.validate()),
            "translation units 'v1/main.c' and 'v2/main.c' have the same "
            "identity 'main.c'; build with -fdsu-tu-root=DIR (the source "
            "root) so that units are named by their path below it, or give "
            "one of them another name with -fdsu-tu-name=NAME");
}

TEST(ProgramModelTest, ValidateRejectsDuplicateFunctionSymbol) {
  ProgramModel P;
  TUModel A = smallTU("a.c", "src/a.c");
  A.Functions.push_back(fn("run", "run.dsu.0123456789", "1"));
  TUModel B = smallTU("b.c", "src/b.c");
  B.Functions.push_back(fn("other", "other.dsu.1", "2"));
  B.Functions.push_back(fn("run", "run.dsu.0123456789", "3"));
  P.TUs = {A, B};
  EXPECT_EQ(errorText(P.validate()),
            "function 'run' is defined in both 'src/a.c' and 'src/b.c'");
}

TEST(ProgramModelTest, ExternalSymbols) {
  ProgramModel P;
  P.TUs.push_back(richTU());
  TUModel B = smallTU("lib/b.c", "lib/b.c");
  B.Functions.push_back(fn("helper", "helper.dsu.6666666666", "9"));
  B.Globals.push_back(global("table", "table.dsu.8888888888", "t", "i"));
  P.TUs.push_back(B);
  std::map<std::string, std::string> Expected = {
      {"helper", "helper.dsu.6666666666"},
      {"limit", "limit.dsu.4444444444"},
      {"table", "table.dsu.8888888888"}};
  // Not: zeta and counter (static), alpha (unmanaged).
  EXPECT_EQ(P.externalSymbols(), Expected);
}

TEST(ProgramModelTest, Lookups) {
  ProgramModel P;
  P.TUs.push_back(richTU());
  TUModel B = smallTU("lib/b.c", "lib/b.c");
  TypeInfo Item2;
  Item2.Name = "struct item";
  Item2.Hash = "second";
  B.Types.push_back(Item2);
  P.TUs.push_back(B);
  auto Fns = P.functionsBySymbol();
  ASSERT_EQ(Fns.size(), 2u);
  EXPECT_EQ(Fns.at("zeta.0a1b2c3d.dsu.1111111111")->Name, "zeta");
  auto Gs = P.globalsBySymbol();
  ASSERT_EQ(Gs.size(), 2u);
  EXPECT_EQ(Gs.at("limit.dsu.4444444444")->Type, "const long");
  auto Ts = P.typesByName();
  ASSERT_EQ(Ts.size(), 2u);
  EXPECT_EQ(Ts.at("struct item")->Hash, "dddd"); // first definition seen
}

TEST(ProgramModelTest, ContinuationsDumpSortedByPointAndVersionIdIgnoresThem) {
  ProgramModel P;
  P.TUs.push_back(TUModel());
  P.TUs[0].TU = "main.c";
  std::string Id = P.versionId();
  P.Continuations = {
      {{"b.dsu.1", "main.c", 20},
       {{"b.dsu.1", {20}, {{"g.dsu.1", true, "global", "main.c", 21}}, {}}}},
      {{"a.dsu.1", "main.c", 10},
       {{"a.dsu.1",
         {10},
         {{"struct item", false, "field", "main.c", 11}},
         {"show.dsu.1"}},
        {"main.dsu.1", {30, 31}, {}, {}}}}};
  EXPECT_EQ(P.versionId(), Id);
  std::string Dump = P.dump();
  EXPECT_NE(Dump.find("continuations at main.c:10 in a.dsu.1\n"
                      "  frame a.dsu.1 suspended at 10\n"
                      "    type struct item (field) at main.c:11\n"
                      "    calls show.dsu.1\n"
                      "  frame main.dsu.1 suspended at 30 31\n"
                      "continuations at main.c:20 in b.dsu.1\n"
                      "  frame b.dsu.1 suspended at 20\n"
                      "    global g.dsu.1 (global) at main.c:21\n"),
            std::string::npos)
      << Dump;
}
