//===- Identities.cpp - stable symbols for every function and global -------===//
//
// Each function and global defined in the translation unit gets the symbol
//
//     <name>[.<tu-tag>].dsu.<content-hash>
//
// where the TU tag appears for internal-linkage entities (statics, including
// function-local statics, which clang already names "<function>.<var>") and
// the content hash covers what makes the entity a different one when it
// changes: the C signature of a function, the type of a mutable global, the
// type and initialiser of a const global. Every definition becomes external
// so that patches can link to it; clang's private constants (string literals)
// stay private and are copied into patches with the code that uses them.
//
// Entities with other linkages (weak, linkonce, available_externally) are
// left alone and recorded as unmanaged: their definitions may be replaced by
// the linker, so they have no single identity to update.
//
//===----------------------------------------------------------------------===//
#include "dsu/Support/Hash.h"
#include "dsu/Transform/Transform.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/GlobalAlias.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace dsu;

std::string dsu::tuIdentity(StringRef SourcePath, StringRef Override,
                            StringRef Root) {
  if (!Override.empty())
    return Override.str();
  // A TU is known by its file name, so that v1/store.c and v2/store.c, or
  // the same file built from another working directory, are the same unit
  // and keep their statics. Programs with two files of the same name give a
  // source root, below which the relative path names the unit
  // (-fdsu-tu-root=v1 makes v1/src/util.c "src/util.c").
  if (!Root.empty()) {
    SmallString<256> Abs(SourcePath), RootAbs(Root);
    sys::fs::make_absolute(Abs);
    sys::fs::make_absolute(RootAbs);
    sys::path::remove_dots(Abs, /*remove_dot_dot=*/true);
    sys::path::remove_dots(RootAbs, /*remove_dot_dot=*/true);
    StringRef Rel(Abs);
    if (Rel.consume_front(RootAbs) && Rel.consume_front("/") && !Rel.empty())
      return Rel.str();
  }
  return sys::path::filename(SourcePath).str();
}

static bool isOurs(StringRef Name) {
  return Name.starts_with("__dsu") || Name.starts_with("llvm.");
}

static bool managedLinkage(GlobalValue::LinkageTypes L) {
  return L == GlobalValue::ExternalLinkage ||
         L == GlobalValue::InternalLinkage || L == GlobalValue::CommonLinkage;
}

static std::string irTypeText(Type *T) {
  std::string S;
  raw_string_ostream OS(S);
  T->print(OS);
  return S;
}

/// Removes the calls that clang emits for annotated fields and locals
/// (llvm.ptr.annotation, llvm.var.annotation): they do nothing at run time,
/// dsu reads annotations from the AST, and they carry the file and line of
/// the annotation, which would make every function that touches an
/// annotated field look changed when the field moves down a line.
static void stripAnnotationCalls(Module &M) {
  for (Function &F : M) {
    Intrinsic::ID ID = F.getIntrinsicID();
    if (ID != Intrinsic::ptr_annotation && ID != Intrinsic::var_annotation)
      continue;
    for (User *U : make_early_inc_range(F.users()))
      if (auto *CB = dyn_cast<CallBase>(U)) {
        if (ID == Intrinsic::ptr_annotation)
          CB->replaceAllUsesWith(CB->getArgOperand(0));
        CB->eraseFromParent();
      }
  }
}

Expected<TUModel> dsu::assignIdentities(Module &M, const ASTFacts &Facts,
                                        StringRef Source, StringRef TU) {
  stripAnnotationCalls(M);
  TUModel Model;
  Model.Source = Source.str();
  Model.TU = TU.str();
  Model.TUTag = toHex(hashString(TU), 8);
  std::map<std::string, std::string> SymbolOfCName;

  for (Function &F : M) {
    if (F.isDeclaration() || F.isIntrinsic() || isOurs(F.getName()) ||
        F.hasAvailableExternallyLinkage())
      continue;
    FunctionInfo Info;
    Info.Name = F.getName().str();
    Info.IsStatic = F.hasLocalLinkage();
    // Extracted loop bodies ("main.loop0") take their enclosing function's
    // facts for the types they use.
    std::string FactName = Info.Name;
    if (size_t Dot = FactName.find(".loop"); Dot != std::string::npos &&
                                             !Facts.Functions.count(FactName))
      FactName = FactName.substr(0, Dot);
    auto Fact = Facts.Functions.find(FactName);
    Info.Signature = Fact != Facts.Functions.end() && FactName == Info.Name
                         ? Fact->second.Signature
                         : irTypeText(F.getFunctionType());
    // An extracted loop body's identity covers the frame it runs in.
    if (F.hasFnAttribute("dsu-loop-frame"))
      Info.Signature +=
          " frame(" +
          F.getFnAttribute("dsu-loop-frame").getValueAsString().str() + ")";
    if (F.hasFnAttribute("dsu-loop-args")) {
      SmallVector<StringRef, 8> Lines;
      F.getFnAttribute("dsu-loop-args")
          .getValueAsString()
          .split(Lines, '\n', -1, /*KeepEmpty=*/false);
      for (StringRef Line : Lines) {
        SmallVector<StringRef, 6> Parts;
        Line.split(Parts, '|', 5);
        if (Parts.size() != 6)
          continue;
        Info.LoopArgs.push_back({Parts[1].str(), Parts[2].str(), Parts[5].str(),
                                 Parts[4].str(), Parts[0] == "local",
                                 Parts[3] == "1"});
      }
      SmallVector<StringRef, 8> Exits;
      F.getFnAttribute("dsu-loop-exits")
          .getValueAsString()
          .split(Exits, '\n', -1, /*KeepEmpty=*/false);
      for (StringRef E : Exits)
        Info.LoopExits.push_back(E.str());
    }
    if (Fact != Facts.Functions.end()) {
      Info.File = Fact->second.File;
      Info.Line = Fact->second.Line;
      Info.TypesUsed.assign(Fact->second.TypesUsed.begin(),
                            Fact->second.TypesUsed.end());
      Info.TypeUses = Fact->second.TypeUses;
    }
    bool HasAliasUser = any_of(F.users(), [](const User *U) {
      return isa<GlobalAlias>(U);
    });
    Info.Managed = managedLinkage(F.getLinkage()) &&
                   !F.hasFnAttribute(Attribute::AlwaysInline) && !HasAliasUser;
    if (!Info.Managed) {
      if (!F.hasLocalLinkage())
        Model.Functions.push_back(std::move(Info));
      continue;
    }
    std::string Base = Info.IsStatic ? Info.Name + "." + Model.TUTag : Info.Name;
    Info.Symbol =
        Base + ".dsu." + toHex(hashString(Info.Signature), 10);
    SymbolOfCName[Info.Name] = Info.Symbol;
    F.setName(Info.Symbol);
    F.setLinkage(GlobalValue::ExternalLinkage);
    F.setVisibility(GlobalValue::DefaultVisibility);
    F.setUnnamedAddr(GlobalValue::UnnamedAddr::None);
    Model.Functions.push_back(std::move(Info));
  }

  for (GlobalVariable &G : M.globals()) {
    if (G.isDeclaration() || G.hasPrivateLinkage() || isOurs(G.getName()) ||
        !managedLinkage(G.getLinkage()) || G.isThreadLocal())
      continue;
    GlobalInfo Info;
    Info.Name = G.getName().str();
    Info.IsStatic = G.hasLocalLinkage();
    auto Fact = Facts.Globals.find(Info.Name);
    if (Fact != Facts.Globals.end()) {
      Info.Type = Fact->second.Type;
      Info.TypeHash = Fact->second.TypeHash;
      Info.IsConst = Fact->second.IsConst || G.isConstant();
      Info.File = Fact->second.File;
      Info.Line = Fact->second.Line;
      Info.PointsTo = Fact->second.PointsTo;
      Info.LiveCount = Fact->second.LiveCount;
    } else {
      Info.Type = irTypeText(G.getValueType());
      Info.TypeHash = toHex(hashString(Info.Type));
      Info.IsConst = G.isConstant();
    }
    Info.Size = M.getDataLayout().getTypeAllocSize(G.getValueType());
    if (G.hasInitializer())
      Info.InitHash = hashConstant(*G.getInitializer());
    std::string Identity = Info.TypeHash;
    if (Info.IsConst)
      Identity += "/" + Info.InitHash;
    std::string Base = Info.IsStatic ? Info.Name + "." + Model.TUTag : Info.Name;
    Info.Symbol = Base + ".dsu." + toHex(hashString(Identity), 10);
    G.setName(Info.Symbol);
    // A tentative definition under -fcommon (`int counter;` in a header) is
    // defined by every unit that includes it: as a weak definition, the
    // linker keeps one, and an initialised definition elsewhere wins, as
    // with common symbols (which cannot be renamed and aliased).
    bool Tentative = G.hasCommonLinkage();
    if (Tentative)
      G.setInitializer(Constant::getNullValue(G.getValueType()));
    G.setLinkage(Tentative ? GlobalValue::WeakAnyLinkage
                           : GlobalValue::ExternalLinkage);
    G.setVisibility(GlobalValue::DefaultVisibility);
    G.setUnnamedAddr(GlobalValue::UnnamedAddr::None);
    Model.Globals.push_back(std::move(Info));
  }

  // Bodies are hashed after every rename, so references contribute symbols.
  std::map<std::string, FunctionInfo *> BySymbol;
  for (FunctionInfo &Info : Model.Functions)
    if (!Info.Symbol.empty())
      BySymbol[Info.Symbol] = &Info;
  for (Function &F : M) {
    auto It = BySymbol.find(F.getName().str());
    if (It == BySymbol.end() || F.isDeclaration())
      continue;
    FunctionInfo &Info = *It->second;
    Info.BodyHash = hashFunctionBody(F);
    Info.AddressTaken = F.hasAddressTaken();
    for (const BasicBlock &BB : F)
      for (const Instruction &I : BB) {
        if (const auto *CB = dyn_cast<CallBase>(&I)) {
          if (const Function *Callee = CB->getCalledFunction()) {
            if (!Callee->isIntrinsic())
              Info.Callees.push_back(Callee->getName().str());
          } else if (!CB->isInlineAsm()) {
            Info.IndirectCalls = true;
          }
        }
        for (const Use &Op : I.operands()) {
          const auto *G = dyn_cast<GlobalVariable>(Op.get()->stripPointerCasts());
          if (G && !G->hasPrivateLinkage() && !isOurs(G->getName()))
            Info.Globals.push_back(G->getName().str());
        }
      }
  }
  // Unmanaged external functions still need a symbol for the model.
  for (FunctionInfo &Info : Model.Functions)
    if (Info.Symbol.empty())
      Info.Symbol = Info.Name;

  for (const Function &F : M)
    if (F.isDeclaration() && !F.isIntrinsic() && F.hasAddressTaken())
      Model.AddressTakenExternals.push_back(F.getName().str());

  auto SymbolOf = [&](const std::string &CName) {
    auto It = SymbolOfCName.find(CName);
    return It == SymbolOfCName.end() ? CName : It->second;
  };
  // Update points as the module has them (loop extraction may have moved
  // them): the enclosing function, and the file and line DSU_UPDATE_POINT()
  // passes. The AST's list gives the full path of the file.
  std::map<unsigned, std::string> PathOfLine;
  for (const UpdatePointInfo &U : Facts.UpdatePoints)
    PathOfLine[U.Line] = U.File;
  if (Function *UP = M.getFunction("__dsu_update_point"))
    for (User *Usr : UP->users())
      if (auto *CB = dyn_cast<CallBase>(Usr); CB && CB->arg_size() == 2) {
        UpdatePointInfo U;
        U.Function = CB->getFunction()->getName().str();
        if (auto *Line = dyn_cast<ConstantInt>(CB->getArgOperand(1)))
          U.Line = unsigned(Line->getZExtValue());
        auto It = PathOfLine.find(U.Line);
        if (It != PathOfLine.end())
          U.File = It->second;
        else if (auto *G = dyn_cast<GlobalVariable>(
                     CB->getArgOperand(0)->stripPointerCasts());
                 G && G->hasInitializer())
          if (auto *S = dyn_cast<ConstantDataSequential>(G->getInitializer()))
            U.File = S->getAsCString().str();
        Model.UpdatePoints.push_back(U);
      }
  for (const AllocSite &A : Facts.AllocSites) {
    AllocSite Copy = A;
    Copy.Function = SymbolOf(A.Function);
    Model.AllocSites.push_back(Copy);
  }
  for (const AddressEscape &E : Facts.Escapes) {
    AddressEscape Copy = E;
    Copy.Function = SymbolOf(E.Function);
    Model.Escapes.push_back(Copy);
  }
  Model.UntypedStores = Facts.UntypedStores;
  Model.UntypedCasts = Facts.UntypedCasts;
  Model.HasUntypedFacts = true;
  Model.SystemIncludes = Facts.SystemIncludes;
  Model.Types = Facts.Types;
  Model.HasTypeUses = true;
  Model.canonicalize();
  return Model;
}
