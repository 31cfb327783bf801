//===- TransformTest.cpp - dsuTransform: identities, hashes and slots -----===//
#include "CompileUtil.h"
#include "dsu/Support/Hash.h"
#include "dsu/Transform/Transform.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalAlias.h"
#include "llvm/IR/InstrTypes.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Support/raw_ostream.h"
#include "gtest/gtest.h"

using namespace dsu;
using namespace dsu::test;

namespace {

struct Snippet {
  CompiledTU TU;
  TUModel Model;
};

std::optional<Snippet> build(const TempDir &D, const std::string &Rel,
                             const std::string &Code, std::string TUName = "") {
  auto TU = compileSnippet(D, Rel, Code);
  if (!TU)
    return std::nullopt;
  if (TUName.empty())
    TUName = Rel;
  auto Model =
      assignIdentities(TU->module(), TU->facts(), D.file(Rel), TUName);
  if (!Model) {
    ADD_FAILURE() << llvm::toString(Model.takeError());
    return std::nullopt;
  }
  return Snippet{std::move(*TU), std::move(*Model)};
}

const FunctionInfo *fnNamed(const TUModel &M, const std::string &Name) {
  for (const FunctionInfo &F : M.Functions)
    if (F.Name == Name)
      return &F;
  ADD_FAILURE() << "no function " << Name;
  static FunctionInfo None;
  return &None;
}

const GlobalInfo *globalNamed(const TUModel &M, const std::string &Name) {
  for (const GlobalInfo &G : M.Globals)
    if (G.Name == Name)
      return &G;
  ADD_FAILURE() << "no global " << Name;
  static GlobalInfo None;
  return &None;
}

const TypeInfo *typeNamed(const TUModel &M, const std::string &Name) {
  for (const TypeInfo &T : M.Types)
    if (T.Name == Name)
      return &T;
  ADD_FAILURE() << "no type " << Name;
  static TypeInfo None;
  return &None;
}

std::string sigHash(const std::string &Signature) {
  return toHex(hashString(Signature), 10);
}

std::string verify(llvm::Module &M) {
  std::string Out;
  llvm::raw_string_ostream OS(Out);
  if (llvm::verifyModule(M, &OS))
    return Out.empty() ? "broken module" : Out;
  return "";
}

} // namespace

TEST(TUIdentityTest, Rules) {
  EXPECT_EQ(tuIdentity("src/util.c", ""), "util.c");
  EXPECT_EQ(tuIdentity("v1/store.c", ""), tuIdentity("v2/store.c", ""));
  EXPECT_EQ(tuIdentity("v1/src/util.c", "", "v1"), "src/util.c");
  EXPECT_EQ(tuIdentity("./v2/./src/util.c", "", "v2/"), "src/util.c");
  EXPECT_EQ(tuIdentity("other/util.c", "", "v1"), "util.c");
  EXPECT_EQ(tuIdentity("main.c", ""), "main.c");
  EXPECT_EQ(tuIdentity("/abs/v1/main.c", ""), "main.c");
  EXPECT_EQ(tuIdentity("../v2/main.c", ""), "main.c");
  EXPECT_EQ(tuIdentity("src/../../up.c", ""), "up.c");
  EXPECT_EQ(tuIdentity("/abs/v1/main.c", "server"), "server");
  EXPECT_EQ(tuIdentity("src/util.c", "custom/name"), "custom/name");
}

TEST(IdentitiesTest, SymbolsAndLinkage) {
  TempDir D = makeTempDir();
  auto S = build(D, "src/t.c", R"(
static int helper(int x) { return x + 1; }
static int counter;
int api(int y) {
  static int calls;
  calls++;
  counter++;
  return helper(y);
}
const int limit = 10;
)");
  ASSERT_TRUE(S);
  const TUModel &M = S->Model;
  std::string Tag = toHex(hashString("src/t.c"), 8);
  EXPECT_EQ(M.TU, "src/t.c");
  EXPECT_EQ(M.TUTag, Tag);
  EXPECT_EQ(M.Source, D.file("src/t.c"));

  const FunctionInfo *Helper = fnNamed(M, "helper");
  EXPECT_TRUE(Helper->IsStatic);
  EXPECT_TRUE(Helper->Managed);
  EXPECT_EQ(Helper->Signature, "int (int)");
  EXPECT_EQ(Helper->Symbol, "helper." + Tag + ".dsu." + sigHash("int (int)"));
  const FunctionInfo *Api = fnNamed(M, "api");
  EXPECT_FALSE(Api->IsStatic);
  EXPECT_EQ(Api->Symbol, "api.dsu." + sigHash("int (int)"));
  EXPECT_EQ(Api->Line, 4u);
  EXPECT_EQ(Api->BodyHash.size(), 16u);

  std::string IntTypeHash = toHex(hashString("int"));
  const GlobalInfo *Counter = globalNamed(M, "counter");
  EXPECT_TRUE(Counter->IsStatic);
  EXPECT_FALSE(Counter->IsConst);
  EXPECT_EQ(Counter->TypeHash, IntTypeHash);
  EXPECT_EQ(Counter->Size, 4u);
  EXPECT_EQ(Counter->Symbol,
            "counter." + Tag + ".dsu." + toHex(hashString(IntTypeHash), 10));
  const GlobalInfo *Calls = globalNamed(M, "api.calls");
  EXPECT_TRUE(Calls->IsStatic);
  EXPECT_EQ(Calls->Symbol,
            "api.calls." + Tag + ".dsu." + toHex(hashString(IntTypeHash), 10));
  const GlobalInfo *Limit = globalNamed(M, "limit");
  EXPECT_TRUE(Limit->IsConst);
  EXPECT_FALSE(Limit->InitHash.empty());
  EXPECT_EQ(Limit->Symbol,
            "limit.dsu." +
                toHex(hashString(Limit->TypeHash + "/" + Limit->InitHash), 10));

  // The module uses the symbols, all with external linkage.
  llvm::Module &Mod = S->TU.module();
  for (const FunctionInfo &F : M.Functions) {
    llvm::Function *Fn = Mod.getFunction(F.Symbol);
    ASSERT_NE(Fn, nullptr) << F.Symbol;
    EXPECT_TRUE(Fn->hasExternalLinkage()) << F.Symbol;
    EXPECT_EQ(Fn->getVisibility(), llvm::GlobalValue::DefaultVisibility);
  }
  for (const GlobalInfo &G : M.Globals) {
    llvm::GlobalVariable *GV = Mod.getNamedGlobal(G.Symbol);
    ASSERT_NE(GV, nullptr) << G.Symbol;
    EXPECT_TRUE(GV->hasExternalLinkage()) << G.Symbol;
  }
  EXPECT_EQ(Mod.getFunction("helper"), nullptr);
  EXPECT_EQ(Mod.getNamedGlobal("counter"), nullptr);

  // Call graph and global uses are recorded by symbol.
  EXPECT_EQ(Api->Callees, std::vector<std::string>{Helper->Symbol});
  std::vector<std::string> Uses = {Calls->Symbol, Counter->Symbol};
  std::sort(Uses.begin(), Uses.end());
  EXPECT_EQ(Api->Globals, Uses);
  EXPECT_EQ(verify(Mod), "");
}

TEST(IdentitiesTest, SameSourceInTwoDirectories) {
  TempDir D = makeTempDir();
  const char *Code = R"(
#include <string.h>
struct item { int key; char name[8]; };
static struct item items[4];
static const char *greeting = "hello";
static int find(const char *name) {
  for (int i = 0; i < 4; i++)
    if (strcmp(items[i].name, name) == 0)
      return items[i].key;
  return -1;
}
int lookup(const char *name) { return find(name) + (int)strlen(greeting); }
)";
  auto A = build(D, "v1/store.c", Code, "store.c");
  auto B = build(D, "v2/nested/store.c", Code, "store.c");
  ASSERT_TRUE(A && B);
  ASSERT_EQ(A->Model.Functions.size(), B->Model.Functions.size());
  for (size_t I = 0; I < A->Model.Functions.size(); ++I) {
    EXPECT_EQ(A->Model.Functions[I].Symbol, B->Model.Functions[I].Symbol);
    EXPECT_EQ(A->Model.Functions[I].BodyHash, B->Model.Functions[I].BodyHash);
    EXPECT_EQ(A->Model.Functions[I].Callees, B->Model.Functions[I].Callees);
  }
  ASSERT_EQ(A->Model.Globals.size(), B->Model.Globals.size());
  for (size_t I = 0; I < A->Model.Globals.size(); ++I) {
    EXPECT_EQ(A->Model.Globals[I].Symbol, B->Model.Globals[I].Symbol);
    EXPECT_EQ(A->Model.Globals[I].InitHash, B->Model.Globals[I].InitHash);
  }
  ASSERT_EQ(A->Model.Types.size(), 1u);
  EXPECT_EQ(A->Model.Types[0].Hash, B->Model.Types[0].Hash);
  ProgramModel PA, PB;
  PA.TUs = {A->Model};
  PB.TUs = {B->Model};
  EXPECT_EQ(PA.versionId(), PB.versionId());
  EXPECT_NE(A->Model.Source, B->Model.Source);
}

TEST(IdentitiesTest, CommentsAndBlankLinesChangeNoHash) {
  TempDir D = makeTempDir();
  auto A = build(D, "v1/m.c", R"(int g(int x) { return x * 3; }
int f(int y) { return g(y) + 1; }
static int s = 4;
int h(void) { return s; }
)",
                 "m.c");
  auto B = build(D, "v2/m.c", R"(/* A long comment
   spanning lines. */

int g(int x) {
  // times three
  return x * 3;
}


int f(int y) { return g(y) /* plus */ + 1; }

static int s = 4; // four
int h(void) {

  return s;
}
)",
                 "m.c");
  ASSERT_TRUE(A && B);
  for (const char *Name : {"f", "g", "h"}) {
    EXPECT_EQ(fnNamed(A->Model, Name)->BodyHash,
              fnNamed(B->Model, Name)->BodyHash)
        << Name;
    EXPECT_EQ(fnNamed(A->Model, Name)->Symbol, fnNamed(B->Model, Name)->Symbol);
    EXPECT_NE(fnNamed(A->Model, Name)->Line, fnNamed(B->Model, Name)->Line);
  }
  ProgramModel PA, PB;
  PA.TUs = {A->Model};
  PB.TUs = {B->Model};
  EXPECT_EQ(PA.versionId(), PB.versionId());
}

TEST(IdentitiesTest, AnnotatedFieldMovedDownALineChangesNoHash) {
  TempDir D = makeTempDir();
  const char *Code = R"(struct slot {
  int id;%s
  void *data __attribute__((annotate("dsu_points_to:struct slot")));
};
void *get(struct slot *s) { return s->data; }
void put(struct slot *s, void *p) { s->data = p; }
)";
  char V1[512], V2[512];
  snprintf(V1, sizeof V1, Code, "");
  snprintf(V2, sizeof V2, Code, "\n");
  auto A = build(D, "v1/a.c", V1, "a.c");
  auto B = build(D, "v2/a.c", V2, "a.c");
  ASSERT_TRUE(A && B);
  for (const char *Name : {"get", "put"})
    EXPECT_EQ(fnNamed(A->Model, Name)->BodyHash,
              fnNamed(B->Model, Name)->BodyHash)
        << Name;
}

TEST(IdentitiesTest, ConstantChangeChangesOnlyThatBody) {
  TempDir D = makeTempDir();
  const char *V1 = R"(int g(int x) { return x * 3; }
int f(int y) { return g(y) + 1; }
int h(void) { return 7; }
)";
  const char *V2 = R"(int g(int x) { return x * 4; }
int f(int y) { return g(y) + 1; }
int h(void) { return 7; }
)";
  auto A = build(D, "v1/m.c", V1, "m.c");
  auto B = build(D, "v2/m.c", V2, "m.c");
  ASSERT_TRUE(A && B);
  EXPECT_NE(fnNamed(A->Model, "g")->BodyHash, fnNamed(B->Model, "g")->BodyHash);
  EXPECT_EQ(fnNamed(A->Model, "g")->Symbol, fnNamed(B->Model, "g")->Symbol);
  // The caller depends on g's interface (its symbol), not on its body.
  EXPECT_EQ(fnNamed(A->Model, "f")->BodyHash, fnNamed(B->Model, "f")->BodyHash);
  EXPECT_EQ(fnNamed(A->Model, "h")->BodyHash, fnNamed(B->Model, "h")->BodyHash);
}

TEST(IdentitiesTest, CalleeSignatureChangeReachesCaller) {
  TempDir D = makeTempDir();
  auto A = build(D, "v1/m.c", R"(int g(int x) { return x * 3; }
int f(int y) { return (int)g(y) + 1; }
int other(void) { return 1; }
)",
                 "m.c");
  auto B = build(D, "v2/m.c", R"(long g(int x) { return x * 3; }
int f(int y) { return (int)g(y) + 1; }
int other(void) { return 1; }
)",
                 "m.c");
  ASSERT_TRUE(A && B);
  EXPECT_NE(fnNamed(A->Model, "g")->Symbol, fnNamed(B->Model, "g")->Symbol);
  EXPECT_EQ(fnNamed(B->Model, "g")->Signature, "long (int)");
  EXPECT_NE(fnNamed(A->Model, "f")->BodyHash, fnNamed(B->Model, "f")->BodyHash);
  EXPECT_EQ(fnNamed(A->Model, "f")->Symbol, fnNamed(B->Model, "f")->Symbol);
  EXPECT_EQ(fnNamed(A->Model, "other")->BodyHash,
            fnNamed(B->Model, "other")->BodyHash);
}

TEST(IdentitiesTest, ConstAndMutableInitialisers) {
  TempDir D = makeTempDir();
  const char *V1 = "const int limit = 10;\nint counter = 1;\n"
                   "int get(void) { return limit + counter; }\n";
  const char *V2 = "const int limit = 20;\nint counter = 2;\n"
                   "int get(void) { return limit + counter; }\n";
  auto A = build(D, "v1/g.c", V1, "g.c");
  auto B = build(D, "v2/g.c", V2, "g.c");
  ASSERT_TRUE(A && B);
  const GlobalInfo *L1 = globalNamed(A->Model, "limit");
  const GlobalInfo *L2 = globalNamed(B->Model, "limit");
  EXPECT_TRUE(L1->IsConst);
  EXPECT_NE(L1->InitHash, L2->InitHash);
  EXPECT_NE(L1->Symbol, L2->Symbol);
  const GlobalInfo *C1 = globalNamed(A->Model, "counter");
  const GlobalInfo *C2 = globalNamed(B->Model, "counter");
  EXPECT_FALSE(C1->IsConst);
  EXPECT_NE(C1->InitHash, C2->InitHash);
  EXPECT_EQ(C1->Symbol, C2->Symbol);
  // get() reads the const through its new symbol: its body changed.
  EXPECT_NE(fnNamed(A->Model, "get")->BodyHash,
            fnNamed(B->Model, "get")->BodyHash);
}

TEST(IdentitiesTest, StructFieldAdded) {
  TempDir D = makeTempDir();
  const char *Rest = R"(
struct list { struct item first; };
struct holder { struct item *p; };
struct item byval;
struct item *byptr;
struct list alist;
int sum(void) { return byval.key + (byptr ? byptr->val : 0); }
int unrelated(int x) { return x; }
)";
  auto A = build(D, "v1/s.c",
                 std::string("struct item { int key; int val; };") + Rest,
                 "s.c");
  auto B = build(D, "v2/s.c",
                 std::string("struct item { int key; int val; long extra; };") +
                     Rest,
                 "s.c");
  ASSERT_TRUE(A && B);
  EXPECT_NE(typeNamed(A->Model, "struct item")->Hash,
            typeNamed(B->Model, "struct item")->Hash);
  EXPECT_EQ(typeNamed(B->Model, "struct item")->Size, 16u);
  EXPECT_NE(typeNamed(A->Model, "struct list")->Hash,
            typeNamed(B->Model, "struct list")->Hash);
  EXPECT_EQ(typeNamed(A->Model, "struct holder")->Hash,
            typeNamed(B->Model, "struct holder")->Hash);
  EXPECT_NE(globalNamed(A->Model, "byval")->Symbol,
            globalNamed(B->Model, "byval")->Symbol);
  EXPECT_NE(globalNamed(A->Model, "alist")->Symbol,
            globalNamed(B->Model, "alist")->Symbol);
  EXPECT_EQ(globalNamed(A->Model, "byptr")->Symbol,
            globalNamed(B->Model, "byptr")->Symbol);
  EXPECT_EQ(fnNamed(A->Model, "unrelated")->BodyHash,
            fnNamed(B->Model, "unrelated")->BodyHash);
  EXPECT_NE(fnNamed(A->Model, "sum")->BodyHash,
            fnNamed(B->Model, "sum")->BodyHash);
}

TEST(IdentitiesTest, PoolSitesNameTheirDeallocatorAndDropItsBookkeeping) {
  TempDir D = makeTempDir();
  auto TU = compileSnippet(D, "pool.c", R"(#include <stdlib.h>
struct item { struct item *next; char data[]; };
static void **pages;
static unsigned npages;
static void **table;
static int grow(void) {
  void **p = realloc(pages, (npages + 1) * sizeof(void *));
  if (!p)
    return 0;
  pages = p;
  return 1;
}
void *pool_get(unsigned long n) {
  if (!grow())
    return 0;
  return pages[npages++] = malloc(n);
}
void pool_put(void *p, unsigned long n) { (void)p; (void)n; }
struct item *make(unsigned long n) { struct item *it = pool_get(n); return it; }
void init(void) { table = calloc(16, sizeof(void *)); }
)",
                           {"pool_get"});
  ASSERT_TRUE(TU);
  auto M =
      assignIdentities(TU->module(), TU->facts(), D.file("pool.c"), "pool.c");
  ASSERT_TRUE(bool(M)) << llvm::toString(M.takeError());
  ASSERT_EQ(M->AllocSites.size(), 3u);
  assignDeallocators(*M, {{"pool_get", "pool_put"}});
  // The item site is the pool's; the pool's own page list is gone; the
  // program's untyped table stays (scanned for pointers it cannot type).
  ASSERT_EQ(M->AllocSites.size(), 2u);
  EXPECT_EQ(M->AllocSites[0].Function, fnNamed(*M, "make")->Symbol);
  EXPECT_EQ(M->AllocSites[0].Type, "struct item");
  EXPECT_TRUE(M->AllocSites[0].Trailing);
  EXPECT_EQ(M->AllocSites[0].Deallocator, "pool_put");
  EXPECT_EQ(M->AllocSites[1].Function, fnNamed(*M, "init")->Symbol);
  EXPECT_EQ(M->AllocSites[1].Type, "void *");
  EXPECT_EQ(M->AllocSites[1].Deallocator, "");
}

TEST(IdentitiesTest, AllocSitesAndUpdatePointsNameSymbols) {
  TempDir D = makeTempDir();
  auto S = build(D, "a.c", R"(#include <stdlib.h>
#include <dsu.h>
struct x { int a; };
static struct x *one(void) { return malloc(sizeof(struct x)); }
struct x *two(void) { struct x *p = malloc(sizeof *p); return p; }
struct x *many(unsigned long n) { return calloc(n, sizeof(struct x)); }
int loop(void) {
  DSU_UPDATE_POINT();
  return one() != 0;
}
)");
  ASSERT_TRUE(S);
  const TUModel &M = S->Model;
  ASSERT_EQ(M.AllocSites.size(), 3u);
  // Canonical order: by file, line.
  EXPECT_EQ(M.AllocSites[0].Function, fnNamed(M, "one")->Symbol);
  EXPECT_EQ(M.AllocSites[0].Allocator, "malloc");
  EXPECT_EQ(M.AllocSites[0].Type, "struct x");
  EXPECT_EQ(M.AllocSites[0].Line, 4u);
  EXPECT_EQ(M.AllocSites[1].Function, fnNamed(M, "two")->Symbol);
  EXPECT_EQ(M.AllocSites[1].Type, "struct x");
  EXPECT_EQ(M.AllocSites[2].Function, fnNamed(M, "many")->Symbol);
  EXPECT_EQ(M.AllocSites[2].Allocator, "calloc");
  EXPECT_EQ(M.AllocSites[2].Type, "struct x");
  ASSERT_EQ(M.UpdatePoints.size(), 1u);
  EXPECT_EQ(M.UpdatePoints[0].Function, fnNamed(M, "loop")->Symbol);
  EXPECT_EQ(M.UpdatePoints[0].Line, 8u);
  // The runtime's entry point is not part of the program.
  for (const FunctionInfo &F : M.Functions)
    EXPECT_EQ(F.Name.find("__dsu"), std::string::npos) << F.Name;
}

TEST(IdentitiesTest, UnmanagedLinkages) {
  TempDir D = makeTempDir();
  auto S = build(D, "w.c", R"(
__attribute__((weak)) int weakfn(void) { return 1; }
static inline __attribute__((always_inline)) int tiny(int x) { return x + 1; }
int user(int y) { return tiny(y) + weakfn(); }
)");
  ASSERT_TRUE(S);
  const FunctionInfo *W = fnNamed(S->Model, "weakfn");
  EXPECT_FALSE(W->Managed);
  EXPECT_EQ(W->Symbol, "weakfn");
  EXPECT_TRUE(fnNamed(S->Model, "user")->Managed);
  for (const FunctionInfo &F : S->Model.Functions)
    EXPECT_NE(F.Name, "tiny"); // static and unmanaged: not in the model
  EXPECT_TRUE(S->TU.module().getFunction("weakfn")->hasWeakLinkage());
}

TEST(SlotsTest, ExecutableSlotOptions) {
  TUModel M;
  FunctionInfo A;
  A.Name = "api";
  A.Symbol = "api.dsu.1";
  FunctionInfo S;
  S.Name = "helper";
  S.Symbol = "helper.t.dsu.2";
  S.IsStatic = true;
  FunctionInfo W;
  W.Name = "weakfn";
  W.Symbol = "weakfn";
  W.Managed = false;
  M.Functions = {A, S, W};
  GlobalInfo G;
  G.Name = "table";
  G.Symbol = "table.dsu.3";
  GlobalInfo SG;
  SG.Name = "cache";
  SG.Symbol = "cache.t.dsu.4";
  SG.IsStatic = true;
  M.Globals = {G, SG};
  SlotOptions O = executableSlotOptions(M);
  EXPECT_EQ(O.Managed, (std::set<std::string>{"api.dsu.1", "helper.t.dsu.2"}));
  EXPECT_EQ(O.DefineHere, O.Managed);
  EXPECT_EQ(O.PlainNameOf, (std::map<std::string, std::string>{
                               {"api.dsu.1", "api"}, {"table.dsu.3", "table"}}));
  EXPECT_FALSE(O.PIC);
  EXPECT_TRUE(O.PlainAliases);
  EXPECT_EQ(O.BodySuffix, ".body");
}

namespace {
const char *SlotSource = R"(#include <stdio.h>
static int twice(int x) { return 2 * x; }
static int thrice(int x) { return 3 * x; }
static int (*table[])(int) = { twice, thrice };
int (*pick(int i))(int) { return table[i]; }
int apply(int i, int v) { return table[i](v) + twice(v); }
int counter = 5;
int main(void) {
  printf("%d\n", apply(1, counter) + thrice(2));
  return pick(0) == twice;
}
)";
} // namespace

TEST(SlotsTest, InstallSlotsForExecutable) {
  TempDir D = makeTempDir();
  auto S = build(D, "slots.c", SlotSource);
  ASSERT_TRUE(S);
  llvm::Module &M = S->TU.module();
  SlotOptions Opts = executableSlotOptions(S->Model);
  ASSERT_EQ(Opts.Managed.size(), 5u);
  auto Bodies = installSlots(M, Opts);
  EXPECT_EQ(verify(M), "");

  // Every managed function: body renamed and internal, trampoline under its
  // symbol, a slot initialised with the body.
  ASSERT_EQ(Bodies.size(), 5u);
  for (const std::string &Sym : Opts.Managed) {
    ASSERT_TRUE(Bodies.count(Sym)) << Sym;
    EXPECT_EQ(Bodies[Sym], Sym + ".body");
    llvm::Function *Body = M.getFunction(Sym + ".body");
    ASSERT_NE(Body, nullptr) << Sym;
    EXPECT_FALSE(Body->isDeclaration());
    EXPECT_TRUE(Body->hasInternalLinkage());
    llvm::Function *Tramp = M.getFunction(Sym);
    ASSERT_NE(Tramp, nullptr) << Sym;
    EXPECT_TRUE(Tramp->isDeclaration()) << Sym; // defined by module asm
    EXPECT_EQ(Tramp->getFunctionType(), Body->getFunctionType());
    llvm::GlobalVariable *Slot = M.getNamedGlobal("__dsu_slot." + Sym);
    ASSERT_NE(Slot, nullptr) << Sym;
    EXPECT_TRUE(Slot->hasExternalLinkage());
    ASSERT_TRUE(Slot->hasInitializer());
    EXPECT_EQ(Slot->getInitializer(), Body);
    EXPECT_NE(M.getModuleInlineAsm().find("jmpq *__dsu_slot." + Sym +
                                          "(%rip)"),
              std::string::npos)
        << Sym;
  }

  // Every direct call to a managed function loads its slot; calls to
  // functions defined elsewhere (printf) stay direct.
  unsigned SlotCalls = 0;
  bool DirectPrintf = false;
  for (llvm::Function &F : M)
    for (llvm::BasicBlock &BB : F)
      for (llvm::Instruction &I : BB) {
        auto *CB = llvm::dyn_cast<llvm::CallBase>(&I);
        if (!CB)
          continue;
        if (llvm::Function *Callee = CB->getCalledFunction()) {
          EXPECT_FALSE(Opts.Managed.count(Callee->getName().str()))
              << "direct call to " << Callee->getName().str();
          EXPECT_FALSE(Callee->getName().ends_with(".body"))
              << "direct call to " << Callee->getName().str();
          DirectPrintf |= Callee->getName() == "printf";
          continue;
        }
        auto *Load = llvm::dyn_cast<llvm::LoadInst>(CB->getCalledOperand());
        if (!Load)
          continue;
        auto *Slot =
            llvm::dyn_cast<llvm::GlobalVariable>(Load->getPointerOperand());
        if (!Slot)
          continue; // table[i](v): a loaded function pointer
        ASSERT_TRUE(Slot->getName().starts_with("__dsu_slot."));
        EXPECT_TRUE(Opts.Managed.count(
            Slot->getName().drop_front(strlen("__dsu_slot.")).str()));
        ++SlotCalls;
      }
  // apply->twice, main->apply, main->thrice, main->pick.
  EXPECT_EQ(SlotCalls, 4u);
  EXPECT_TRUE(DirectPrintf);

  // The static table refers to the trampolines, not the bodies.
  const GlobalInfo *Table = globalNamed(S->Model, "table");
  llvm::GlobalVariable *TableGV = M.getNamedGlobal(Table->Symbol);
  ASSERT_NE(TableGV, nullptr);
  auto *Init = llvm::dyn_cast<llvm::ConstantArray>(TableGV->getInitializer());
  ASSERT_NE(Init, nullptr);
  ASSERT_EQ(Init->getNumOperands(), 2u);
  EXPECT_EQ(Init->getOperand(0), M.getFunction(fnNamed(S->Model, "twice")->Symbol));
  EXPECT_EQ(Init->getOperand(1),
            M.getFunction(fnNamed(S->Model, "thrice")->Symbol));
  // So does the comparison `pick(0) == twice` in main.
  llvm::Function *MainBody =
      M.getFunction(fnNamed(S->Model, "main")->Symbol + ".body");
  bool UsesTwiceBody = false;
  for (llvm::BasicBlock &BB : *MainBody)
    for (llvm::Instruction &I : BB)
      for (llvm::Value *Op : I.operands())
        UsesTwiceBody |=
            Op == M.getFunction(fnNamed(S->Model, "twice")->Symbol + ".body");
  EXPECT_FALSE(UsesTwiceBody);

  // Plain names for the linker and non-dsu code: main, apply, pick as asm
  // aliases, counter as an IR alias; statics get none.
  std::string Asm = M.getModuleInlineAsm();
  EXPECT_NE(Asm.find(".set main, " + fnNamed(S->Model, "main")->Symbol),
            std::string::npos)
      << Asm;
  EXPECT_NE(Asm.find(".set apply, "), std::string::npos);
  EXPECT_EQ(Asm.find(".set twice"), std::string::npos);
  llvm::GlobalAlias *CounterAlias = M.getNamedAlias("counter");
  ASSERT_NE(CounterAlias, nullptr);
  EXPECT_EQ(CounterAlias->getAliasee(),
            M.getNamedGlobal(globalNamed(S->Model, "counter")->Symbol));
  EXPECT_EQ(M.getNamedAlias("table"), nullptr);
}

TEST(SlotsTest, PICTrampolinesAndDeclarations) {
  TempDir D = makeTempDir();
  auto S = build(D, "slots.c", SlotSource);
  ASSERT_TRUE(S);
  llvm::Module &M = S->TU.module();
  // A patch-like configuration: apply is defined here, twice is managed but
  // defined by the process (its slot is only declared).
  std::string Apply = fnNamed(S->Model, "apply")->Symbol;
  std::string Twice = fnNamed(S->Model, "twice")->Symbol;
  M.getFunction(Twice)->deleteBody();
  SlotOptions O;
  O.Managed = {Apply, Twice};
  O.DefineHere = {Apply};
  O.PIC = true;
  O.PlainAliases = false;
  O.BodySuffix = ".v2";
  auto Bodies = installSlots(M, O);
  EXPECT_EQ(verify(M), "");
  EXPECT_EQ(Bodies, (std::map<std::string, std::string>{{Apply, Apply + ".v2"}}));
  std::string Asm = M.getModuleInlineAsm();
  EXPECT_NE(Asm.find("movq __dsu_slot." + Apply + "@GOTPCREL(%rip), %r11"),
            std::string::npos)
      << Asm;
  EXPECT_EQ(Asm.find(".set"), std::string::npos);
  EXPECT_EQ(Asm.find(Twice + ":"), std::string::npos);
  llvm::GlobalVariable *TwiceSlot = M.getNamedGlobal("__dsu_slot." + Twice);
  ASSERT_NE(TwiceSlot, nullptr);
  EXPECT_TRUE(TwiceSlot->isDeclaration());
  llvm::GlobalVariable *ApplySlot = M.getNamedGlobal("__dsu_slot." + Apply);
  ASSERT_NE(ApplySlot, nullptr);
  EXPECT_EQ(ApplySlot->getInitializer(), M.getFunction(Apply + ".v2"));
  EXPECT_EQ(M.getNamedAlias("counter"), nullptr);
}

TEST(SlotsTest, EmbedSection) {
  TempDir D = makeTempDir();
  auto S = build(D, "e.c", "int f(void) { return 1; }\n");
  ASSERT_TRUE(S);
  embedSection(S->TU.module(), ".dsu.tu", "/tmp/x.rec");
  EXPECT_NE(S->TU.module().getModuleInlineAsm().find(
                ".pushsection .dsu.tu,\"\",@progbits\n\t.incbin \"/tmp/x.rec\""),
            std::string::npos);
}

TEST(IRHashTest, ConstantsAndStringLiterals) {
  TempDir D = makeTempDir();
  auto A = build(D, "v1/s.c",
                 "const char *msg(void) { return \"hello\"; }\n"
                 "const char *other(void) { return \"x\"; }\n",
                 "s.c");
  auto B = build(D, "v2/s.c",
                 "const char *msg(void) { return \"hellO\"; }\n"
                 "const char *other(void) { return \"x\"; }\n",
                 "s.c");
  ASSERT_TRUE(A && B);
  EXPECT_NE(fnNamed(A->Model, "msg")->BodyHash,
            fnNamed(B->Model, "msg")->BodyHash);
  EXPECT_EQ(fnNamed(A->Model, "other")->BodyHash,
            fnNamed(B->Model, "other")->BodyHash);
  llvm::LLVMContext Ctx;
  auto *I32 = llvm::Type::getInt32Ty(Ctx);
  EXPECT_EQ(hashConstant(*llvm::ConstantInt::get(I32, 7)),
            hashConstant(*llvm::ConstantInt::get(I32, 7)));
  EXPECT_NE(hashConstant(*llvm::ConstantInt::get(I32, 7)),
            hashConstant(*llvm::ConstantInt::get(I32, 8)));
  EXPECT_NE(hashConstant(*llvm::ConstantInt::get(I32, 7)),
            hashConstant(*llvm::ConstantInt::get(llvm::Type::getInt64Ty(Ctx), 7)));
}

TEST(LoopExtractionTest, DescribesTheFrameForControlMigration) {
  auto D = TempDir::create("dsu-test");
  ASSERT_TRUE(bool(D));
  auto TU = compileSnippet(*D, "loop.c", R"(
#include <stdio.h>
#include <dsu.h>
int main(void) {
  char line[64];
  long served = 0;
  int last = 0, mode = 3;
  for (;;) {
    DSU_UPDATE_POINT();
    if (!fgets(line, sizeof line, stdin))
      break;
    if (line[0] == 'x') {
      mode = 1;
      continue;
    }
    last = line[0];
    served++;
  }
  printf("%ld %d\n", served, mode);
  return last;
}
)");
  ASSERT_TRUE(TU);
  const auto &Functions = TU->facts().Functions;
  ASSERT_EQ(Functions.at("main").Locals.at("served").Type, "long");
  ASSERT_EQ(Functions.at("main").Locals.at("line").Size, 64u);
  auto Lookup = [&](llvm::StringRef Fn, llvm::StringRef Local, uint64_t Size) {
    const auto &Locals = Functions.at(Fn.str()).Locals;
    auto It = Locals.find(Local.str());
    return It != Locals.end() && It->second.Size == Size ? It->second.Type
                                                         : std::string();
  };
  ASSERT_EQ(extractUpdateLoops(TU->module(), Lookup), 1u);
  llvm::Function *Body = TU->module().getFunction("main.loop0");
  ASSERT_TRUE(Body);
  std::string Args =
      Body->getFnAttribute("dsu-loop-args").getValueAsString().str();
  // served and mode are read after the loop, last too (it is returned);
  // each starts at the constant main stores before the loop.
  EXPECT_NE(Args.find("local|served|i64|1|0|long\n"), std::string::npos)
      << Args;
  EXPECT_NE(Args.find("local|mode|i32|1|3|int\n"), std::string::npos) << Args;
  EXPECT_NE(Args.find("local|last|i32|1|0|int\n"), std::string::npos) << Args;
  EXPECT_NE(Args.find("local|line|[64xi8]|0||char[64]\n"), std::string::npos)
      << Args;
  std::string Exits =
      Body->getFnAttribute("dsu-loop-exits").getValueAsString().str();
  EXPECT_NE(Exits.find("=continue\n"), std::string::npos) << Exits;
  EXPECT_NE(Exits.find("=after:"), std::string::npos) << Exits;
  EXPECT_NE(Exits.find("call printf;"), std::string::npos) << Exits;
}
