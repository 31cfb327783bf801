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
                   "__dsu_xform_struct_item, __dsu_moves_struct_item, "
                   "sizeof(struct item__old), sizeof(struct item), "
                   "\"struct item#22222222+\", 0, 0}"),
            std::string::npos)
      << S;
  // The entry gives the type's size, so that arrays of it are read whole.
  EXPECT_NE(
      S.find(
          "{\"struct item#22222222\", 16, \"struct item.next\", 0, 24, 0, 0}"),
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

/// A plan's refusals as one text, for finding messages in.
std::string refusals(const PatchPlan &Plan) {
  std::string S;
  for (const std::string &R : Plan.Refusals)
    S += R + "\n";
  return S;
}

TEST(TransformersTest, VoidPointerFieldIsRefusedWithoutFactsUnlessAnnotated) {
  // Models made by a dsu-cc that did not record what is stored into untyped
  // places: any of them may hold anything.
  Versions V = listVersions();
  TypeInfo Holder = type("struct holder", 8, "33333333",
                         {field("data", "void *", 0, 64)},
                         "struct holder {\n    void *data;\n};");
  V.Old.TUs[0].Types.push_back(Holder);
  V.New.TUs[0].Types.push_back(Holder);
  PatchPlan Plan = diffModels(V.Old, V.New);
  EXPECT_NE(refusals(Plan).find("the 'void *' field 'struct holder.data' may "
                                "point into struct item"),
            std::string::npos)
      << refusals(Plan);
  EXPECT_NE(refusals(Plan).find("DSU_POINTS_TO"), std::string::npos);

  V.Old.TUs[0].Types.back().Fields[0].PointsTo = "struct item";
  V.New.TUs[0].Types.back().Fields[0].PointsTo = "struct item";
  Plan = diffModels(V.Old, V.New);
  EXPECT_TRUE(Plan.Refusals.empty()) << refusals(Plan);
  auto D = generateTransformers(V.Old, V.New, Plan);
  ASSERT_TRUE(bool(D)) << toString(D.takeError());
  EXPECT_NE(D->find("{\"struct holder#33333333\", 0, \"struct holder.data\", "
                    "0, 8, 0, 0}"),
            std::string::npos)
      << *D;
}

/// listVersions with `struct holder { void *data; void *spare[2]; }` and
/// the facts of a dsu-cc that records untyped stores and casts.
Versions holderVersions(std::vector<UntypedStore> Stores,
                        std::vector<UntypedCast> Casts = {}) {
  Versions V = listVersions();
  TypeInfo Holder = type(
      "struct holder", 24, "33333333",
      {field("data", "void *", 0, 64), field("spare", "void *[2]", 64, 128)},
      "struct holder {\n    void *data;\n    void *spare[2];\n};");
  for (ProgramModel *P : {&V.Old, &V.New}) {
    P->TUs[0].Types.push_back(Holder);
    P->TUs[0].HasUntypedFacts = true;
  }
  V.Old.TUs[0].UntypedStores = std::move(Stores);
  V.Old.TUs[0].UntypedCasts = std::move(Casts);
  return V;
}

TEST(TransformersTest, VoidPointerHoldingAMovedTypeIsRedirected) {
  Versions V =
      holderVersions({{"struct holder.data", "struct item", "h.c", 7},
                      {"struct holder.spare", "struct item", "h.c", 9}});
  PatchPlan Plan = diffModels(V.Old, V.New);
  EXPECT_TRUE(Plan.Refusals.empty()) << refusals(Plan);
  ASSERT_EQ(Plan.UntypedSlots.size(), 2u);
  EXPECT_EQ(Plan.UntypedSlots[0].Place, "struct holder.data");
  EXPECT_EQ(Plan.UntypedSlots[0].Why,
            "may point into struct item (stored at h.c:7)");
  EXPECT_NE(Plan.dump().find("untyped struct holder.data: may point into "
                             "struct item (stored at h.c:7); what it holds "
                             "there is redirected"),
            std::string::npos)
      << Plan.dump();
  auto D = generateTransformers(V.Old, V.New, Plan);
  ASSERT_TRUE(bool(D)) << toString(D.takeError());
  // Inner slots (1): redirected when they point into a moved object, left
  // alone otherwise; the array is one range of 2 slots 8 bytes apart.
  for (const char *Slot : {"0, \"struct holder.data\", 1, 24, 0, 0}",
                           "8, \"struct holder.spare[]\", 1, 24, 2, 8}"})
    EXPECT_NE(D->find(std::string("{\"struct holder#33333333\", ") + Slot),
              std::string::npos)
        << Slot << "\n"
        << *D;
}

TEST(TransformersTest, VoidPointerThatCannotHoldAMovedTypeIsLeftAlone) {
  // A buffer and fresh memory, and items never lose their type: nothing in
  // the field can point into an item.
  Versions V = holderVersions(
      {{"struct holder.data", "char", "h.c", 7},
       {"struct holder.data", "", "h.c", 8},
       {"struct holder.data", "fresh memory", "h.c", 9}},
      {{"struct other", "", "h.c", 3}, {"struct item", "free", "h.c", 4}});
  PatchPlan Plan = diffModels(V.Old, V.New);
  EXPECT_TRUE(Plan.Refusals.empty()) << refusals(Plan);
  EXPECT_TRUE(Plan.UntypedSlots.empty()) << Plan.dump();
}

TEST(TransformersTest, VoidPointerOfUntypedValuesFollowsLaunderedTypes) {
  // An item's address becomes a void * at h.c:3 (handed to a function of
  // the program), so a field fed by untyped values may hold one.
  FunctionInfo Keep;
  Keep.Name = "keep";
  Keep.Symbol = "keep.dsu.1";
  std::vector<UntypedStore> Stores = {{"struct holder.data", "", "h.c", 8}};
  Versions V = holderVersions(Stores, {{"struct item", "keep", "h.c", 3}});
  V.Old.TUs[0].Functions.push_back(Keep);
  PatchPlan Plan = diffModels(V.Old, V.New);
  EXPECT_TRUE(Plan.Refusals.empty()) << refusals(Plan);
  ASSERT_EQ(Plan.UntypedSlots.size(), 1u) << Plan.dump();
  EXPECT_EQ(Plan.UntypedSlots[0].Why,
            "may point into struct item: it holds values the code does not "
            "type (stored at h.c:8), and struct item's address loses its type "
            "at h.c:3");

  // If the program also makes pointers of numbers, an untyped value may be
  // one, which must not be rewritten: refused, naming the field.
  V = holderVersions(
      Stores, {{"struct item", "keep", "h.c", 3}, {"integer", "", "h.c", 5}});
  V.Old.TUs[0].Functions.push_back(Keep);
  Plan = diffModels(V.Old, V.New);
  EXPECT_NE(refusals(Plan).find("the 'void *' field 'struct holder.data' may "
                                "point into struct item"),
            std::string::npos)
      << refusals(Plan);
  EXPECT_NE(refusals(Plan).find("the program makes pointers out of numbers"),
            std::string::npos);
}

TEST(TransformersTest, VoidPointerWhoseAddressIsTakenMayHoldAnything) {
  // memcpy(&h->data, &it, sizeof it) copies an item's address in without a
  // cast: the field may hold any moved type although items never lose
  // their type anywhere.
  Versions V =
      holderVersions({{"struct holder.data", "address taken", "h.c", 7}});
  PatchPlan Plan = diffModels(V.Old, V.New);
  EXPECT_TRUE(Plan.Refusals.empty()) << refusals(Plan);
  ASSERT_EQ(Plan.UntypedSlots.size(), 1u) << Plan.dump();
  EXPECT_EQ(Plan.UntypedSlots[0].Place, "struct holder.data");
}

TEST(TransformersTest, VoidPointerHoldingItemsAndNumbersIsRefusedAllAtOnce) {
  Versions V = holderVersions({{"struct holder.data", "struct item", "h.c", 7},
                               {"struct holder.data", "integer", "h.c", 8},
                               {"struct holder.spare", "struct item", "h.c", 9},
                               {"struct holder.spare", "integer", "h.c", 10}});
  PatchPlan Plan = diffModels(V.Old, V.New);
  ASSERT_EQ(Plan.Refusals.size(), 2u) << refusals(Plan);
  EXPECT_NE(refusals(Plan).find(
                "the 'void *' field 'struct holder.data' may point into "
                "struct item (stored at h.c:7), and numbers (stored at "
                "h.c:8): dsu cannot tell a pointer to redirect from a number "
                "to keep"),
            std::string::npos)
      << refusals(Plan);
  EXPECT_NE(refusals(Plan).find("field 'struct holder.spare'"),
            std::string::npos);
}

TEST(TransformersTest, VoidPointerGlobalIsRefusedWithoutFactsUnlessAnnotated) {
  Versions V = listVersions();
  GlobalInfo Cur;
  Cur.Name = "current";
  Cur.Symbol = "current.dsu.9";
  Cur.Type = "void *";
  V.Old.TUs[0].Globals.push_back(Cur);
  V.New.TUs[0].Globals.push_back(Cur);
  PatchPlan Plan = diffModels(V.Old, V.New);
  EXPECT_NE(refusals(Plan).find("the 'void *' global 'current' may point "
                                "into struct item"),
            std::string::npos)
      << refusals(Plan);
  V.Old.TUs[0].Globals.back().PointsTo = "struct item";
  V.New.TUs[0].Globals.back().PointsTo = "struct item";
  Plan = diffModels(V.Old, V.New);
  EXPECT_TRUE(Plan.Refusals.empty()) << refusals(Plan);
  auto D = generateTransformers(V.Old, V.New, Plan);
  ASSERT_TRUE(bool(D)) << toString(D.takeError());
  EXPECT_NE(D->find("__asm__(\"current.dsu.9\")"), std::string::npos) << *D;
  EXPECT_NE(D->find("\"global current\", 0, 0, 0}"), std::string::npos) << *D;
}

TEST(TransformersTest, VoidPointerGlobalHoldingAMovedTypeIsRedirected) {
  Versions V = holderVersions({{"current", "struct item", "h.c", 7}});
  GlobalInfo Cur;
  Cur.Name = "current";
  Cur.Symbol = "current.dsu.9";
  Cur.Type = "void *";
  V.Old.TUs[0].Globals.push_back(Cur);
  V.New.TUs[0].Globals.push_back(Cur);
  PatchPlan Plan = diffModels(V.Old, V.New);
  EXPECT_TRUE(Plan.Refusals.empty()) << refusals(Plan);
  auto D = generateTransformers(V.Old, V.New, Plan);
  ASSERT_TRUE(bool(D)) << toString(D.takeError());
  EXPECT_NE(D->find("\"global current\", 1, 0, 0}"), std::string::npos) << *D;
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

TEST(TransformersTest, TablesOfPointersToAChangedTypeAreChecked) {
  Versions V = listVersions();
  GlobalInfo Table;
  Table.Name = "table";
  Table.Symbol = "table.dsu.2";
  Table.Type = "struct item **";
  V.Old.TUs[0].Globals.push_back(Table);
  V.New.TUs[0].Globals.push_back(Table);
  PatchPlan Plan = diffModels(V.Old, V.New);
  auto D = generateTransformers(V.Old, V.New, Plan);
  ASSERT_TRUE(bool(D)) << toString(D.takeError());
  // Kind 2: it must lead where dsu reads the pointers it holds.
  EXPECT_NE(D->find("\"global table\", 2, 0, 0}"), std::string::npos) << *D;
  EXPECT_NE(D->find("\"global head\", 0, 0, 0}"), std::string::npos) << *D;
}

TEST(TransformersTest, PooledObjectsMoveThroughTheProgramsAllocator) {
  Versions V = listVersions();
  // struct item grows; its objects come from pool_get and go back to
  // pool_put (-fdsu-allocator=pool_get:pool_put).
  AllocSite A;
  A.Function = "add.dsu.1";
  A.Type = "struct item";
  A.Allocator = "pool_get";
  A.Deallocator = "pool_put";
  A.File = "list.c";
  A.Line = 12;
  V.Old.TUs[0].AllocSites.push_back(A);
  auto Fn = [](const char *Name, const char *Symbol, const char *Signature) {
    FunctionInfo F;
    F.Name = Name;
    F.Symbol = Symbol;
    F.Signature = Signature;
    return F;
  };
  V.New.TUs[0].Functions.push_back(
      Fn("pool_get", "pool_get.dsu.7", "void *(unsigned long)"));
  V.New.TUs[0].Functions.push_back(
      Fn("pool_put", "pool_put.dsu.8", "void (void *, unsigned long)"));
  PatchPlan Plan = diffModels(V.Old, V.New);
  auto D = generateTransformers(V.Old, V.New, Plan);
  ASSERT_TRUE(bool(D)) << toString(D.takeError());
  // The new build's functions, by identity symbol, called as the program
  // declares them (the deallocator takes the size too).
  EXPECT_NE(D->find("extern char __dsu_alloc_fn_struct_item[] "
                    "__asm__(\"pool_get.dsu.7\");"),
            std::string::npos)
      << *D;
  EXPECT_NE(D->find("((void (*)(void *, size_t))(void "
                    "*)__dsu_free_fn_struct_item)(object, size);"),
            std::string::npos)
      << *D;
  EXPECT_NE(D->find("__dsu_alloc_struct_item, __dsu_free_struct_item}"),
            std::string::npos)
      << *D;

  // A free that takes the object alone.
  V.New.TUs[0].Functions.back().Signature = "void (void *)";
  D = generateTransformers(V.Old, V.New, Plan);
  ASSERT_TRUE(bool(D)) << toString(D.takeError());
  EXPECT_NE(D->find("((void (*)(void *))(void "
                    "*)__dsu_free_fn_struct_item)(object);"),
            std::string::npos)
      << *D;

  // Objects from two pools: the runtime could not tell which made an
  // object, so none moves through either (in place, or refused).
  A.Allocator = "arena_get";
  A.Deallocator = "arena_put";
  V.Old.TUs[0].AllocSites.push_back(A);
  Plan = diffModels(V.Old, V.New);
  D = generateTransformers(V.Old, V.New, Plan);
  ASSERT_TRUE(bool(D)) << toString(D.takeError());
  EXPECT_EQ(D->find("__dsu_alloc_struct_item"), std::string::npos) << *D;
}

TEST(TransformersTest, TrailingDataMovesUnlessItsTypeChanges) {
  Versions V = listVersions();
  auto Msg = [](const char *Hash, const char *Data) {
    return type("struct msg", 4, Hash,
                {field("len", "int", 0, 32), field("data", Data, 32, 0)},
                "struct msg {\n    int len;\n    char data[];\n};");
  };
  V.Old.TUs[0].Types.push_back(Msg("44444444", "char[]"));
  V.New.TUs[0].Types.push_back(Msg("55555555", "char[]"));
  V.New.TUs[0].Types.back().Fields.insert(
      V.New.TUs[0].Types.back().Fields.begin(), field("id", "int", 0, 32));
  AllocSite A;
  A.Function = "add.dsu.1";
  A.Type = "struct msg";
  A.Allocator = "malloc";
  A.File = "m.c";
  A.Line = 12;
  A.Trailing = true;
  V.Old.TUs[0].AllocSites.push_back(A);
  PatchPlan Plan = diffModels(V.Old, V.New);
  EXPECT_TRUE(Plan.Refusals.empty()) << refusals(Plan);
  auto D = generateTransformers(V.Old, V.New, Plan);
  ASSERT_TRUE(bool(D)) << toString(D.takeError());
  // The data after an object starts at the flexible array member.
  EXPECT_NE(D->find("offsetof(struct msg__old, data), offsetof(struct msg, "
                    "data), \"struct msg#55555555+\", 0, 0}"),
            std::string::npos)
      << *D;

  V.New.TUs[0].Types.back().Fields.back().Type = "int[]";
  Plan = diffModels(V.Old, V.New);
  EXPECT_NE(refusals(Plan).find("objects of struct msg are allocated with "
                                "data after them (m.c:12), and the patch "
                                "changes that data's type ('char[]' -> "
                                "'int[]')"),
            std::string::npos)
      << refusals(Plan);
  // GNU C's zero-length array is the same member: `char data[0]` that
  // becomes `int data[]` changes the data too, and `void *end[0]` that
  // becomes `void *end[]` (memcached 1.2.3) does not.
  V.Old.TUs[0].Types.back().Fields.back().Type = "char[0]";
  Plan = diffModels(V.Old, V.New);
  EXPECT_NE(refusals(Plan).find("changes that data's type ('char[0]' -> "
                                "'int[]')"),
            std::string::npos)
      << refusals(Plan);
  V.New.TUs[0].Types.back().Fields.back().Type = "char[]";
  EXPECT_TRUE(diffModels(V.Old, V.New).Refusals.empty());
}

TEST(TransformersTest, PooledTypesAreListedWithTheirAllocators) {
  Versions V = listVersions();
  AllocSite A;
  A.Function = "add.dsu.1";
  A.Type = "struct item";
  A.Allocator = "zmalloc";
  A.Deallocator = "zfree";
  V.Old.TUs[0].AllocSites.push_back(A);
  PatchPlan Plan = diffModels(V.Old, V.New);
  EXPECT_NE(Plan.dump().find(
                "pooled struct item: objects from zmalloc() are rewritten in "
                "place where the new layout fits, and move through the new "
                "build's zmalloc() and zfree() where it does not\n"),
            std::string::npos)
      << Plan.dump();
  A.Allocator = "pool_get";
  A.Deallocator = "pool_put";
  V.Old.TUs[0].AllocSites.push_back(A);
  Plan = diffModels(V.Old, V.New);
  EXPECT_NE(Plan.dump().find("pooled struct item: objects from "
                             "pool_get()/pool_put(), zmalloc()/zfree() are "
                             "rewritten in place where the new layout fits; "
                             "one that does not makes the update fail"),
            std::string::npos)
      << Plan.dump();
}

TEST(TransformersTest, LargeArraysAreRangesInThePointerTables) {
  // A 10,240-element global array of structs pointing to a changed type is
  // one entry per pointer of its element, not one per element.
  Versions V = listVersions();
  TypeInfo Bucket = type("struct bucket", 16, "66666666",
                         {field("first", "struct item *", 0, 64),
                          field("last", "struct item *", 64, 64)},
                         "struct bucket {\n    struct item *first;\n    "
                         "struct item *last;\n};");
  GlobalInfo Table;
  Table.Name = "table";
  Table.Symbol = "table.dsu.7";
  Table.Type = "struct bucket[10240]";
  for (ProgramModel *P : {&V.Old, &V.New}) {
    P->TUs[0].Types.push_back(Bucket);
    P->TUs[0].Globals.push_back(Table);
  }
  PatchPlan Plan = diffModels(V.Old, V.New);
  auto D = generateTransformers(V.Old, V.New, Plan);
  ASSERT_TRUE(bool(D)) << toString(D.takeError());
  EXPECT_NE(D->find("\"global table[].first\", 0, 10240, 16}"),
            std::string::npos)
      << *D;
  EXPECT_NE(D->find("+ 8, \"global table[].last\", 0, 10240, 16}"),
            std::string::npos);
  EXPECT_EQ(D->find("table[1]"), std::string::npos);
  EXPECT_LT(D->size(), 20000u);
}
