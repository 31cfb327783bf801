//===- FrontendTest.cpp - dsuFrontend: clang-19 to IR and AST facts -------===//
#include "CompileUtil.h"
#include "dsu/Frontend/ClangFrontend.h"

#include "llvm/IR/InstrTypes.h"
#include "llvm/IR/Module.h"
#include "gtest/gtest.h"

using namespace dsu;
using namespace dsu::test;

namespace {
const TypeInfo *findType(const ASTFacts &F, const std::string &Name) {
  for (const TypeInfo &T : F.Types)
    if (T.Name == Name)
      return &T;
  return nullptr;
}
} // namespace

TEST(FrontendTest, ProducesUnoptimisedModule) {
  TempDir D = makeTempDir();
  auto TU = compileSnippet(D, "m.c", R"(
static int sq(int x) { return x * x; }
int api(int y) { return sq(y) + 1; }
)");
  ASSERT_TRUE(TU);
  llvm::Module &M = TU->module();
  // -O2 was given, but the module is not optimised yet: sq is not inlined.
  llvm::Function *Sq = M.getFunction("sq");
  ASSERT_NE(Sq, nullptr);
  EXPECT_TRUE(Sq->hasInternalLinkage());
  EXPECT_FALSE(Sq->isDeclaration());
  llvm::Function *Api = M.getFunction("api");
  ASSERT_NE(Api, nullptr);
  bool CallsSq = false;
  for (auto &BB : *Api)
    for (auto &I : BB)
      if (auto *CB = llvm::dyn_cast<llvm::CallBase>(&I))
        CallsSq |= CB->getCalledFunction() == Sq;
  EXPECT_TRUE(CallsSq);
}

TEST(FrontendTest, CanonicalSignaturesAndGlobals) {
  TempDir D = makeTempDir();
  auto TU = compileSnippet(D, "sig.c", R"(
typedef unsigned long size_type;
typedef const char *str;
size_type len(str s, size_type n) { return n + (s != 0); }
int counter(void) {
  static int calls;
  return ++calls;
}
const double pi = 3.14;
int table[4] = {1, 2, 3, 4};
extern int declared_only;
)");
  ASSERT_TRUE(TU);
  const ASTFacts &F = TU->facts();
  ASSERT_TRUE(F.Functions.count("len"));
  EXPECT_EQ(F.Functions.at("len").Signature,
            "unsigned long (const char *, unsigned long)");
  EXPECT_EQ(F.Functions.at("len").Line, 4u);
  EXPECT_EQ(F.Functions.at("counter").Signature, "int (void)");

  ASSERT_TRUE(F.Globals.count("counter.calls"));
  EXPECT_EQ(F.Globals.at("counter.calls").Type, "int");
  EXPECT_FALSE(F.Globals.at("counter.calls").IsConst);
  ASSERT_TRUE(F.Globals.count("pi"));
  EXPECT_TRUE(F.Globals.at("pi").IsConst);
  EXPECT_EQ(F.Globals.at("pi").Type, "const double");
  ASSERT_TRUE(F.Globals.count("table"));
  EXPECT_EQ(F.Globals.at("table").Type, "int[4]");
  EXPECT_EQ(F.Globals.count("declared_only"), 0u);
  // IR names agree with the facts' names.
  EXPECT_NE(TU->module().getNamedGlobal("counter.calls"), nullptr);
}

TEST(FrontendTest, TypesWithLayout) {
  TempDir D = makeTempDir();
  auto TU = compileSnippet(D, "types.c", R"(
#include <stdio.h>
struct item {
  struct item *next;
  unsigned flags : 3;
  unsigned mode : 5;
  char name[12];
  double weight;
};
union num { int i; double d; };
typedef struct { long hits, misses; } kv_stats_t;
struct list { struct item first; int n; };
struct holder { struct item *p; };
int use(FILE *f, kv_stats_t *s) { return f != 0 && s != 0; }
)");
  ASSERT_TRUE(TU);
  const ASTFacts &F = TU->facts();
  const TypeInfo *Item = findType(F, "struct item");
  ASSERT_NE(Item, nullptr);
  EXPECT_FALSE(Item->IsUnion);
  EXPECT_EQ(Item->Size, 32u);
  EXPECT_EQ(Item->Align, 8u);
  EXPECT_EQ(Item->Line, 3u);
  ASSERT_EQ(Item->Fields.size(), 5u);
  EXPECT_EQ(Item->Fields[0].Name, "next");
  EXPECT_EQ(Item->Fields[0].Type, "struct item *");
  EXPECT_EQ(Item->Fields[0].OffsetBits, 0u);
  EXPECT_EQ(Item->Fields[0].SizeBits, 64u);
  EXPECT_TRUE(Item->Fields[1].IsBitField);
  EXPECT_EQ(Item->Fields[1].OffsetBits, 64u);
  EXPECT_EQ(Item->Fields[1].SizeBits, 3u);
  EXPECT_TRUE(Item->Fields[2].IsBitField);
  EXPECT_EQ(Item->Fields[2].OffsetBits, 67u);
  EXPECT_EQ(Item->Fields[2].SizeBits, 5u);
  EXPECT_EQ(Item->Fields[3].Type, "char[12]");
  EXPECT_EQ(Item->Fields[3].OffsetBits, 72u);
  EXPECT_EQ(Item->Fields[3].SizeBits, 96u);
  EXPECT_EQ(Item->Fields[4].OffsetBits, 192u);

  const TypeInfo *Num = findType(F, "union num");
  ASSERT_NE(Num, nullptr);
  EXPECT_TRUE(Num->IsUnion);
  EXPECT_EQ(Num->Size, 8u);
  EXPECT_EQ(Num->Fields[1].OffsetBits, 0u);

  const TypeInfo *Stats = findType(F, "kv_stats_t");
  ASSERT_NE(Stats, nullptr);
  EXPECT_EQ(Stats->Size, 16u);

  // Types from system headers are not part of the program.
  EXPECT_EQ(findType(F, "struct _IO_FILE"), nullptr);
  for (const TypeInfo &T : F.Types)
    EXPECT_EQ(T.File.find("/usr/"), std::string::npos) << T.Name;

  // Hashes: value fields recurse, pointers do not; all distinct here.
  const TypeInfo *List = findType(F, "struct list");
  const TypeInfo *Holder = findType(F, "struct holder");
  ASSERT_TRUE(List && Holder);
  EXPECT_EQ(Item->Hash.size(), 16u);
  EXPECT_NE(List->Hash, Holder->Hash);
  EXPECT_NE(List->Fields[0].TypeHash, Holder->Fields[0].TypeHash);
  EXPECT_EQ(List->Fields[0].TypeHash, Item->Hash);
}

TEST(FrontendTest, TypeHashFollowsValuesNotPointers) {
  TempDir D = makeTempDir();
  const char *V1 = R"(
struct item { int key; int val; };
struct list { struct item first; };
struct holder { struct item *p; };
struct arr { struct item items[2]; };
)";
  const char *V2 = R"(
struct item { int key; int val; long extra; };
struct list { struct item first; };
struct holder { struct item *p; };
struct arr { struct item items[2]; };
)";
  auto A = compileSnippet(D, "v1/t.c", V1);
  auto B = compileSnippet(D, "v2/t.c", V2);
  ASSERT_TRUE(A && B);
  auto Hash = [](const CompiledTU &TU, const char *Name) {
    const TypeInfo *T = findType(TU.facts(), Name);
    return T ? T->Hash : std::string("<missing>");
  };
  EXPECT_NE(Hash(*A, "struct item"), Hash(*B, "struct item"));
  EXPECT_NE(Hash(*A, "struct list"), Hash(*B, "struct list"));
  EXPECT_NE(Hash(*A, "struct arr"), Hash(*B, "struct arr"));
  EXPECT_EQ(Hash(*A, "struct holder"), Hash(*B, "struct holder"));
}

TEST(FrontendTest, AllocationSites) {
  TempDir D = makeTempDir();
  auto TU = compileSnippet(D, "alloc.c", R"(#include <stdlib.h>
struct x { int a; long b; };
typedef struct x x_t;
void *xmalloc(unsigned long n);
struct x *one(void) { return malloc(sizeof(struct x)); }
struct x *two(void) { struct x *p = malloc(sizeof *p); return p; }
struct x *many(unsigned long n) { return calloc(n, sizeof(struct x)); }
struct x *grow(struct x *p, unsigned long n) { return realloc(p, n * sizeof *p); }
void *raw(unsigned long n) { return malloc(n); }
x_t *wrapped(void) { return xmalloc(sizeof(x_t)); }
long *ints(void) { return malloc(8 * sizeof(long)); }
void *header(unsigned long n) { return malloc(n + sizeof(unsigned long)); }
struct x **ptrs(unsigned long n) { return malloc(n * sizeof(struct x *)); }
struct x *tail(unsigned long n) { return malloc(sizeof(struct x) + n); }
struct f { int n; char text[]; };
struct f *flex(unsigned long n) { return malloc(n + sizeof(struct f)); }
struct x **table(unsigned long n) { struct x **t = malloc(n); return t; }
struct x **vtable(unsigned long n) { return (struct x **)calloc(n, sizeof(void *)); }
struct f *pooled(unsigned long n) { struct f *p = xmalloc(n); return p; }
struct x *unknown(unsigned long n) { struct x *p = malloc(n); return p; }
char **strings(unsigned long n) { return malloc(n); }
struct z { int n; void *end[0]; };
struct z *zero(unsigned long n) { struct z *p = malloc(n); return p; }
)",
                           {"xmalloc"});
  ASSERT_TRUE(TU);
  // Scalar sizeofs (a buffer of longs, an allocator's size header) are not
  // typed sites: only records and pointers are worth tracking.
  const auto &Sites = TU->facts().AllocSites;
  // A size with no type (or void *) is read from the result's type where
  // that says the shape: a table of struct pointers, a flexible struct.
  ASSERT_EQ(Sites.size(), 12u);
  std::vector<std::tuple<std::string, std::string, std::string, unsigned>>
      Got;
  for (const AllocSite &A : Sites)
    Got.emplace_back(A.Function, A.Allocator, A.Type, A.Line);
  std::sort(Got.begin(), Got.end());
  decltype(Got) Want = {{"grow", "realloc", "struct x", 8},
                        {"many", "calloc", "struct x", 7},
                        {"one", "malloc", "struct x", 5},
                        {"ptrs", "malloc", "struct x *", 13},
                        {"flex", "malloc", "struct f", 16},
                        {"tail", "malloc", "struct x", 14},
                        {"two", "malloc", "struct x", 6},
                        {"wrapped", "xmalloc", "struct x", 10},
                        {"table", "malloc", "struct x *", 17},
                        {"vtable", "calloc", "struct x *", 18},
                        {"pooled", "xmalloc", "struct f", 19},
                        {"zero", "malloc", "struct z", 23}};
  std::sort(Want.begin(), Want.end());
  EXPECT_EQ(Got, Want);
  // Room for data after one object: not an array of them.
  for (const AllocSite &A : Sites)
    EXPECT_EQ(A.Trailing, A.Function == "tail" || A.Function == "flex" ||
                              A.Function == "pooled" || A.Function == "zero")
        << A.Function;
  for (const AllocSite &A : Sites)
    EXPECT_EQ(A.File, D.file("alloc.c"));
}

TEST(FrontendTest, WrapperIsAnAllocatorOnlyWhenNamed) {
  TempDir D = makeTempDir();
  auto TU = compileSnippet(D, "w.c", R"(
struct x { int a; };
void *xmalloc(unsigned long n);
struct x *wrapped(void) { return xmalloc(sizeof(struct x)); }
)");
  ASSERT_TRUE(TU);
  EXPECT_TRUE(TU->facts().AllocSites.empty());
}

TEST(FrontendTest, UpdatePoints) {
  TempDir D = makeTempDir();
  auto TU = compileSnippet(D, "loop.c", R"(#include <dsu.h>
int work(void);
int serve(void) {
  for (;;) {
    DSU_UPDATE_POINT();
    if (work())
      break;
  }
  DSU_UPDATE_POINT();
  return 0;
}
)");
  ASSERT_TRUE(TU);
  const auto &U = TU->facts().UpdatePoints;
  ASSERT_EQ(U.size(), 2u);
  EXPECT_EQ(U[0].Function, "serve");
  EXPECT_EQ(U[0].Line, 5u);
  EXPECT_EQ(U[1].Line, 9u);
  EXPECT_EQ(U[0].File, D.file("loop.c"));
}

TEST(FrontendTest, CompileErrors) {
  TempDir D = makeTempDir();
  testing::internal::CaptureStderr();
  std::string Path = writeSource(D, "bad.c", "int f(void) { return nope; }\n");
  auto TU = compileToIR({clangPath(), "-c", Path, "-o", Path + ".o"}, {},
                        llvm::errs());
  std::string Diag = testing::internal::GetCapturedStderr();
  ASSERT_FALSE(bool(TU));
  EXPECT_EQ(errorText(TU), "compilation failed");
  EXPECT_NE(Diag.find("bad.c:1"), std::string::npos) << Diag;
  EXPECT_NE(Diag.find("nope"), std::string::npos) << Diag;

  testing::internal::CaptureStderr();
  auto Missing =
      compileToIR({clangPath(), "-c", D.file("missing.c"), "-o", D.file("m.o")},
                  {}, llvm::errs());
  testing::internal::GetCapturedStderr();
  ASSERT_FALSE(bool(Missing));
  EXPECT_FALSE(errorText(Missing).empty());
}

TEST(FrontendTest, ZeroLengthAndFlexibleArraysAreOneLayout) {
  TempDir D = makeTempDir();
  auto A = compileSnippet(D, "v1/f.c", "struct s { int n; void *end[0]; };\n");
  auto B = compileSnippet(D, "v2/f.c", "struct s { int n; void *end[]; };\n");
  ASSERT_TRUE(A && B);
  const TypeInfo *TA = findType(A->facts(), "struct s");
  const TypeInfo *TB = findType(B->facts(), "struct s");
  ASSERT_TRUE(TA && TB);
  EXPECT_EQ(TA->Hash, TB->Hash);
  EXPECT_EQ(TA->Fields.back().Type, "void *[]");
  EXPECT_EQ(TA->Fields.back().Type, TB->Fields.back().Type);
}

TEST(FrontendTest, TypedefNamesAreAliasesOfTheirRecord) {
  TempDir D = makeTempDir();
  auto A = compileSnippet(D, "a.c", R"(
typedef struct conn { int fd; } conn;
typedef struct conn conn_t;
typedef struct { int x; } anon_t;
)");
  ASSERT_TRUE(A);
  const TypeInfo *Conn = findType(A->facts(), "struct conn");
  ASSERT_TRUE(Conn);
  EXPECT_EQ(Conn->Aliases, (std::vector<std::string>{"conn", "conn_t"}));
  const TypeInfo *Anon = findType(A->facts(), "anon_t");
  ASSERT_TRUE(Anon);
  EXPECT_TRUE(Anon->Aliases.empty());
}

TEST(FrontendTest, UntypedStoresAndCasts) {
  TempDir D = makeTempDir();
  auto TU = compileSnippet(D, "u.c", R"(#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
struct conn { int fd; struct sockaddr addr; };
struct holder { void *data; void *slots[2]; void *tail[]; };
typedef struct { void *ctx; } loop_t;
void *current;
void keep(void *p);
void fill(struct holder *h, struct conn *c, char *buf, void *arg, int n) {
  h->data = c;                     /* 10: a conn */
  h->slots[n] = buf;               /* 11: chars */
  h->data = arg;                   /* 12: untyped */
  h->data = malloc(n);             /* 13: fresh memory */
  h->data = malloc(sizeof *c);     /* 14: a typed allocation */
  h->data = (void *)(long)n;       /* 15: a number, and a cast of one */
  h->data = 0;                     /* 16: null: nothing */
  void *local = buf;
  if (n) local = arg;
  current = local;                 /* 19: chars or untyped */
  keep(c);                         /* 20: a conn's address loses its type */
  free(c);                         /* 21: not a cast that matters */
  if ((void *)c == arg) {}         /* 22: a comparison: nothing */
  keep(&c->addr);                  /* 23: an address inside a conn */
  memset(h->tail, 0, 8);           /* 24: trailing data: no place */
  loop_t l = {c};                  /* 25: an initialiser */
  struct msghdr m;
  m.msg_name = &c->addr;           /* 27: into a system struct */
  char *b = buf;
  if (b == ((void *)-1)) {}        /* 29: MAP_FAILED compared: nothing */
  memcpy(&h->data, &c, sizeof c);  /* 30: bytes of a conn * copied in */
}
)");
  ASSERT_TRUE(TU);
  std::vector<std::tuple<std::string, std::string, unsigned>> Stores, Casts;
  for (const UntypedStore &S : TU->facts().UntypedStores)
    Stores.emplace_back(S.Target, S.Source, S.Line);
  for (const UntypedCast &C : TU->facts().UntypedCasts)
    Casts.emplace_back(C.Type, C.Callee, C.Line);
  std::sort(Stores.begin(), Stores.end());
  std::sort(Casts.begin(), Casts.end());
  decltype(Stores) WantStores = {{"current", "", 19},
                                 {"current", "char", 19},
                                 {"loop_t.ctx", "struct conn", 25},
                                 {"struct holder.data", "", 12},
                                 {"struct holder.data", "address taken", 30},
                                 {"struct holder.data", "fresh memory", 13},
                                 {"struct holder.data", "integer", 15},
                                 {"struct holder.data", "struct conn", 10},
                                 {"struct holder.data", "struct conn", 14},
                                 {"struct holder.slots", "char", 11},
                                 {"struct msghdr.msg_name", "struct conn", 27}};
  EXPECT_EQ(Stores, WantStores);
  decltype(Casts) WantCasts = {
      {"integer", "", 15},         {"struct conn", "", 10},
      {"struct conn", "", 25},     {"struct conn", "", 27},
      {"struct conn", "keep", 20}, {"struct conn", "keep", 23}};
  EXPECT_EQ(Casts, WantCasts);
  // struct msghdr comes from a system header; it is recorded (for the
  // pointer tables) because the program stores into its untyped field.
  const TypeInfo *Msg = findType(TU->facts(), "struct msghdr");
  ASSERT_NE(Msg, nullptr);
  EXPECT_TRUE(Msg->IsSystem);
  EXPECT_EQ(findType(TU->facts(), "struct sockaddr"), nullptr);
}
