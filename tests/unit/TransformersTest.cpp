//===- TransformersTest.cpp - generated state transformers -----------------===//
#include "dsu/Patch/Diff.h"
#include "dsu/Patch/Transformers.h"

#include "gtest/gtest.h"

using namespace dsu;

namespace {
FieldInfo field(const std::string &Name, const std::string &Type,
                uint64_t Offset, uint64_t Bits) {
  FieldInfo F;
  F.Name = Name;
  F.Type = Type;
  F.TypeHash = Type;
  F.OffsetBits = Offset;
  F.SizeBits = Bits;
  return F;
}

TypeInfo type(const std::string &Name, uint64_t Size, const std::string &Hash,
              std::vector<FieldInfo> Fields, const std::string &Def) {
  TypeInfo T;
  T.Name = Name;
  T.Size = Size;
  T.Align = 8;
  T.Hash = Hash;
  T.Fields = std::move(Fields);
  T.Definition = Def;
  return T;
}

struct Versions {
  ProgramModel Old, New;
};

Versions listVersions() {
  TUModel O, N;
  O.TU = N.TU = "list.c";
  O.Types = {type("struct item", 16, "11111111aaaa",
                  {field("id", "int", 0, 32),
                   field("next", "struct item *", 64, 64)},
                  "struct item {\n    int id;\n    struct item *next;\n};")};
  N.Types = {type("struct item", 24, "22222222bbbb",
                  {field("id", "long", 0, 64), field("weight", "int", 64, 32),
                   field("next", "struct item *", 128, 64)},
                  "struct item {\n    long id;\n    int weight;\n    struct "
                  "item *next;\n};")};
  GlobalInfo Head;
  Head.Name = "head";
  Head.IsStatic = true;
  Head.Symbol = "head.tag.dsu.1";
  Head.Type = "struct item *";
  O.Globals = N.Globals = {Head};
  FunctionInfo Main;
  Main.Name = "main";
  Main.Symbol = "main.dsu.1";
  O.Functions = N.Functions = {Main};
  O.UpdatePoints = N.UpdatePoints = {{"main.dsu.1", "list.c", 9}};
  AllocSite A;
  A.Function = "add.dsu.1";
  A.Type = "struct item";
  A.Allocator = "malloc";
  O.AllocSites = N.AllocSites = {A};
  Versions V;
  V.Old.TUs = {O};
  V.New.TUs = {N};
  return V;
}
} // namespace

TEST(TransformersTest, DefaultTransformerCopiesByNameAndListsPointers) {
  Versions V = listVersions();
  PatchPlan Plan = diffModels(V.Old, V.New);
  ASSERT_TRUE(needsStateTransformation(Plan));
  auto C = generateTransformers(V.Old, V.New, Plan);
  ASSERT_TRUE(bool(C)) << toString(C.takeError());
  const std::string &S = *C;
  EXPECT_NE(S.find("struct item__old {\n    int id;\n    struct item__old "
                   "*next;\n};"),
            std::string::npos)
      << S;
  EXPECT_NE(S.find("n->id = (__typeof__(n->id))o->id;"), std::string::npos);
  EXPECT_NE(S.find("/* weight: new, zero */"), std::string::npos);
  EXPECT_NE(S.find("n->next = (__typeof__(n->next))o->next;"),
            std::string::npos);
  EXPECT_NE(S.find("{\"struct item#11111111\", \"struct item#22222222\", "
                   "sizeof(struct item__old), sizeof(struct item), "
                   "__dsu_xform_struct_item, __dsu_moves_struct_item}"),
            std::string::npos)
      << S;
  EXPECT_NE(S.find("{\"struct item#22222222\", 16, \"struct item.next\", 0}"),
            std::string::npos)
      << S;
  // id changed from int to long and next moved to another offset: a pointer
  // into the middle of an old item has no place in the new one (only a
  // pointer to its start does).
  EXPECT_NE(S.find("__dsu_moves_struct_item[] = {\n  {8, 16, 8}, /* next "
                   "*/\n  {0, 0, 0}};"),
            std::string::npos)
      << S;
  EXPECT_NE(S.find("__asm__(\"head.tag.dsu.1\")"), std::string::npos);
}

TEST(TransformersTest, VoidPointerFieldIsRefusedUnlessAnnotated) {
  Versions V = listVersions();
  TypeInfo Holder = type("struct holder", 8, "33333333",
                         {field("data", "void *", 0, 64)},
                         "struct holder {\n    void *data;\n};");
  V.Old.TUs[0].Types.push_back(Holder);
  V.New.TUs[0].Types.push_back(Holder);
  PatchPlan Plan = diffModels(V.Old, V.New);
  auto C = generateTransformers(V.Old, V.New, Plan);
  ASSERT_FALSE(bool(C));
  EXPECT_NE(toString(C.takeError())
                .find("field 'struct holder.data' is a 'void *'"),
            std::string::npos);

  V.New.TUs[0].Types.back().Fields[0].PointsTo = "struct item";
  auto D = generateTransformers(V.Old, V.New, Plan);
  ASSERT_TRUE(bool(D)) << toString(D.takeError());
  EXPECT_NE(D->find("{\"struct holder#33333333\", 0, \"struct holder.data\", 0}"),
            std::string::npos)
      << *D;
}

TEST(TransformersTest, VoidPointerGlobalIsRefusedUnlessAnnotated) {
  Versions V = listVersions();
  GlobalInfo Cur;
  Cur.Name = "current";
  Cur.Symbol = "current.dsu.9";
  Cur.Type = "void *";
  V.Old.TUs[0].Globals.push_back(Cur);
  V.New.TUs[0].Globals.push_back(Cur);
  PatchPlan Plan = diffModels(V.Old, V.New);
  auto C = generateTransformers(V.Old, V.New, Plan);
  ASSERT_FALSE(bool(C));
  EXPECT_NE(toString(C.takeError()).find("global 'current' is a 'void *'"),
            std::string::npos);
  V.New.TUs[0].Globals.back().PointsTo = "struct item";
  auto D = generateTransformers(V.Old, V.New, Plan);
  ASSERT_TRUE(bool(D)) << toString(D.takeError());
  EXPECT_NE(D->find("__asm__(\"current.dsu.9\")"), std::string::npos) << *D;
  EXPECT_NE(D->find("\"global current\", 0}"), std::string::npos) << *D;
}

TEST(TransformersTest, LiveCountNamesAnIntegerGlobal) {
  Versions V = listVersions();
  GlobalInfo Arr, Count;
  Arr.Name = "freeitems";
  Arr.Symbol = "freeitems.dsu.1";
  Arr.Type = "struct item **";
  Arr.LiveCount = "nfree";
  Count.Name = "nfree";
  Count.Symbol = "nfree.dsu.1";
  Count.Type = "int";
  Count.Size = 4;
  V.New.TUs[0].Globals.push_back(Arr);
  PatchPlan Plan = diffModels(V.Old, V.New);
  auto C = generateTransformers(V.Old, V.New, Plan);
  ASSERT_FALSE(bool(C));
  EXPECT_NE(toString(C.takeError()).find("DSU_LIVE_COUNT(nfree) on global "
                                         "'freeitems'"),
            std::string::npos);
  V.New.TUs[0].Globals.push_back(Count);
  auto D = generateTransformers(V.Old, V.New, Plan);
  ASSERT_TRUE(bool(D)) << toString(D.takeError());
  EXPECT_NE(D->find("{(void *const *)__dsu_la_0, __dsu_lc_0, 4, \"global "
                    "freeitems (its first nfree elements)\"}"),
            std::string::npos)
      << *D;
}

TEST(TransformersTest, UpdatePointWhereAnActiveFunctionUsesTheTypeIsUnsafe) {
  Versions V = listVersions();
  V.Old.TUs[0].Functions[0].TypesUsed = {"struct item"};
  V.Old.TUs[0].Functions[0].File = "src/list.c";
  V.Old.TUs[0].Functions[0].Line = 7;
  PatchPlan Plan = diffModels(V.Old, V.New);
  ASSERT_EQ(Plan.Points.size(), 1u);
  EXPECT_FALSE(Plan.Points[0].Safe);
  EXPECT_EQ(Plan.Points[0].File, "list.c");
  EXPECT_EQ(Plan.Points[0].Line, 9u);
  EXPECT_EQ(Plan.Points[0].Reason,
            "function 'main' (list.c:7), which may be active here, uses "
            "struct item, which this patch changes");
  // The patch itself can still be built; the runtime skips the point.
  EXPECT_TRUE(bool(generateTransformers(V.Old, V.New, Plan)));
  V.Old.TUs[0].Functions[0].TypesUsed.clear();
  EXPECT_TRUE(diffModels(V.Old, V.New).Points[0].Safe);
}
