//===- PatchBuilder.cpp - from two builds to a loadable patch
//---------------===//
//
// The new build carries, for each translation unit, its module after
// identities were assigned (see Transform.h). The patch is those modules,
// cut down to what the update brings and linked against the running process:
//
//  1. References by plain name to the program's external functions and
//     globals are bound to identity symbols, so they reach the entity of the
//     right signature or type even if earlier patches changed it.
//  2. Functions that changed or are new keep their bodies; every other
//     function becomes a declaration of the process's symbol. Globals the
//     process already has become declarations too (the running values are
//     shared); new globals and replaced const globals keep their
//     definitions. Constructors are dropped: no patch code runs before
//     commit.
//  3. The modules are linked into one, slots are installed as for an
//     executable but position-independent, with slots and trampolines
//     defined only for functions the process does not have yet, and a table
//     `__dsu_patch_info` lists the slots to rebind at commit.
//  4. Mutable globals whose initialiser changed and that the program may
//     have written get their old initialiser in `__dsu_global_inits`, for
//     the runtime to compare with their running bytes (GlobalInits.cpp).
//  5. clang-19 compiles it to a shared object (no start files, so no init
//     code), which is wrapped in the patch file format.
//
//===----------------------------------------------------------------------===//
#include "dsu/Patch/PatchBuilder.h"
#include "dsu/Patch/GlobalInits.h"
#include "dsu/Patch/LoopMigration.h"
#include "dsu/Patch/PatchFile.h"
#include "dsu/Patch/Transformers.h"
#include "dsu/Support/Error.h"
#include "dsu/Support/Hash.h"
#include "dsu/Support/Process.h"
#include "dsu/Transform/Transform.h"

extern "C" {
#include "dsu/patch_format.h"
}

#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/PassManager.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Linker/Linker.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Transforms/IPO/GlobalDCE.h"

using namespace dsu;
#include <algorithm>
#include <regex>
#include <set>

using namespace llvm;

namespace {

struct Selection {
  std::set<std::string> Rebind;      ///< Changed: new body, existing slot.
  std::set<std::string> DefineNew;   ///< Added: new slot and trampoline.
  std::set<std::string> Managed;     ///< Every managed function of New.
  std::set<std::string> OldGlobals;  ///< Globals the process already has.
  std::map<std::string, std::string> External; ///< Plain name -> symbol.
  std::vector<std::string> Warnings;
};

void bindPlainNames(Module &M, const Selection &S) {
  std::vector<GlobalValue *> Decls;
  for (GlobalValue &GV : M.global_values())
    if (GV.isDeclaration() && S.External.count(GV.getName().str()))
      Decls.push_back(&GV);
  for (GlobalValue *GV : Decls) {
    const std::string &Symbol = S.External.at(GV->getName().str());
    if (Symbol == GV->getName())
      continue;
    GlobalValue *Target = M.getNamedValue(Symbol);
    if (!Target) {
      if (auto *F = dyn_cast<Function>(GV))
        Target = Function::Create(F->getFunctionType(),
                                  GlobalValue::ExternalLinkage, Symbol, M);
      else
        Target = new GlobalVariable(
            M, cast<GlobalVariable>(GV)->getValueType(),
            cast<GlobalVariable>(GV)->isConstant(),
            GlobalValue::ExternalLinkage, nullptr, Symbol);
    }
    GV->replaceAllUsesWith(Target);
    GV->eraseFromParent();
  }
}

void selectContents(Module &M, Selection &S) {
  bindPlainNames(M, S);
  for (Function &F : M) {
    if (F.isDeclaration() || !S.Managed.count(F.getName().str()))
      continue;
    const std::string Name = F.getName().str();
    if (!S.Rebind.count(Name) && !S.DefineNew.count(Name))
      F.deleteBody();
  }
  for (GlobalVariable &G : M.globals()) {
    if (G.isDeclaration() || G.hasLocalLinkage() ||
        G.getName().starts_with("llvm."))
      continue;
    if (S.OldGlobals.count(G.getName().str())) {
      G.setInitializer(nullptr);
      G.setLinkage(GlobalValue::ExternalLinkage);
    }
  }
  for (const char *Name : {"llvm.global_ctors", "llvm.global_dtors"})
    if (GlobalVariable *G = M.getNamedGlobal(Name)) {
      S.Warnings.push_back(std::string("dropped ") +
                           (Name[12] == 'c' ? "constructors" : "destructors") +
                           " of " + M.getModuleIdentifier() +
                           ": patches run no code before commit");
      G->eraseFromParent();
    }
  if (!M.getModuleInlineAsm().empty()) {
    S.Warnings.push_back("dropped module-level assembly of " +
                         M.getModuleIdentifier());
    M.setModuleInlineAsm("");
  }
}

void makePositionIndependent(Module &M) {
  for (GlobalValue &GV : M.global_values())
    if (!GV.hasLocalLinkage())
      GV.setDSOLocal(false);
  SmallVector<Module::ModuleFlagEntry, 8> Flags;
  M.getModuleFlagsMetadata(Flags);
  if (NamedMDNode *N = M.getModuleFlagsMetadata())
    M.eraseNamedMetadata(N);
  for (const Module::ModuleFlagEntry &E : Flags) {
    StringRef Key = E.Key->getString();
    if (Key == "PIC Level" || Key == "PIE Level")
      continue;
    M.addModuleFlag(E.Behavior, Key, E.Val);
  }
  M.setPICLevel(PICLevel::BigPIC);
}

Constant *stringConstant(Module &M, StringRef S, const Twine &Name) {
  Constant *Init = ConstantDataArray::getString(M.getContext(), S);
  return new GlobalVariable(M, Init->getType(), true,
                            GlobalValue::PrivateLinkage, Init, Name);
}

void addPatchInfo(Module &M, const std::map<std::string, std::string> &Bodies,
                  const Selection &S, const PatchPlan &Plan) {
  LLVMContext &Ctx = M.getContext();
  PointerType *Ptr = PointerType::getUnqual(Ctx);
  Type *I32 = Type::getInt32Ty(Ctx);
  StructType *RebindTy = StructType::get(Ctx, {Ptr, Ptr, Ptr});
  std::vector<Constant *> Entries;
  for (const std::string &Symbol : S.Rebind) {
    auto It = Bodies.find(Symbol);
    if (It == Bodies.end())
      continue;
    Constant *Slot = M.getNamedGlobal("__dsu_slot." + Symbol);
    Constant *Body = M.getFunction(It->second);
    Entries.push_back(ConstantStruct::get(
        RebindTy, {Slot, Body, stringConstant(M, Symbol, "__dsu_name")}));
  }
  ArrayType *ArrTy = ArrayType::get(RebindTy, Entries.size());
  auto *Table =
      new GlobalVariable(M, ArrTy, true, GlobalValue::PrivateLinkage,
                         ConstantArray::get(ArrTy, Entries), "__dsu_rebinds");
  StructType *InfoTy = StructType::get(Ctx, {I32, I32, Ptr, Ptr, Ptr});
  Constant *Info = ConstantStruct::get(
      InfoTy, {ConstantInt::get(I32, DSU_PATCH_ABI),
               ConstantInt::get(I32, Entries.size()), Table,
               stringConstant(M, Plan.BaseVersion, "__dsu_base"),
               stringConstant(M, Plan.TargetVersion, "__dsu_target")});
  new GlobalVariable(M, InfoTy, true, GlobalValue::ExternalLinkage, Info,
                     "__dsu_patch_info");

  // struct dsu_point __dsu_points[] (patch_format.h).
  Type *I64 = Type::getInt64Ty(Ctx);
  auto IdList = [&](const std::vector<uint64_t> &Ids, StringRef Name) {
    std::vector<Constant *> Elems;
    for (uint64_t Id : Ids)
      Elems.push_back(ConstantInt::get(I64, Id));
    Elems.push_back(ConstantInt::get(I64, 0));
    ArrayType *Ty = ArrayType::get(I64, Elems.size());
    return new GlobalVariable(M, Ty, true, GlobalValue::PrivateLinkage,
                              ConstantArray::get(Ty, Elems), Name);
  };
  auto NameList = [&](const std::vector<std::string> &Names, StringRef Name) {
    std::vector<Constant *> Elems;
    for (const std::string &N : Names)
      Elems.push_back(stringConstant(M, N, "__dsu_name"));
    Elems.push_back(ConstantPointerNull::get(cast<PointerType>(Ptr)));
    ArrayType *Ty = ArrayType::get(Ptr, Elems.size());
    return new GlobalVariable(M, Ty, true, GlobalValue::PrivateLinkage,
                              ConstantArray::get(Ty, Elems), Name);
  };
  Constant *Null = ConstantPointerNull::get(cast<PointerType>(Ptr));
  StructType *PointTy = StructType::get(Ctx, {Ptr, I32, Ptr, Ptr});
  std::vector<Constant *> Points;
  for (const PatchPlan::PointSafety &P : Plan.Points) {
    // Every point is listed: a safe one without context sites (no facts
    // for it) is then known to the runtime as "nothing to check", not taken
    // for a point of an earlier version.
    Points.push_back(ConstantStruct::get(
        PointTy,
        {stringConstant(M, P.File, "__dsu_file"), ConstantInt::get(I32, P.Line),
         P.Safe ? Null : stringConstant(M, P.Reason, "__dsu_reason"),
         P.SafeContexts.empty() ? Null
                                : IdList(P.SafeContexts, "__dsu_safe_contexts")}));
  }
  Points.push_back(Constant::getNullValue(PointTy));
  ArrayType *PointsTy = ArrayType::get(PointTy, Points.size());
  new GlobalVariable(M, PointsTy, true, GlobalValue::ExternalLinkage,
                     ConstantArray::get(PointsTy, Points), "__dsu_points");

  // struct dsu_residual __dsu_residuals[], __dsu_base_sites[],
  // __dsu_changed_names[].
  StructType *ResidualTy = StructType::get(Ctx, {I64, Ptr, Ptr});
  std::vector<Constant *> Residuals;
  for (const PatchPlan::Residual &R : Plan.Residuals)
    Residuals.push_back(ConstantStruct::get(
        ResidualTy, {ConstantInt::get(I64, R.Site),
                     stringConstant(M, R.Where, "__dsu_where"),
                     NameList(R.Uses, "__dsu_uses")}));
  Residuals.push_back(Constant::getNullValue(ResidualTy));
  ArrayType *ResidualsTy = ArrayType::get(ResidualTy, Residuals.size());
  new GlobalVariable(M, ResidualsTy, true, GlobalValue::ExternalLinkage,
                     ConstantArray::get(ResidualsTy, Residuals),
                     "__dsu_residuals");
  IdList(Plan.BaseSites, "__dsu_base_sites")
      ->setLinkage(GlobalValue::ExternalLinkage);
  NameList(Plan.ChangedNames, "__dsu_changed_names")
      ->setLinkage(GlobalValue::ExternalLinkage);
  // The loop bodies this patch takes running loops away from, each with the
  // body it gives them and the loop's name for messages: the runtime refuses it
  // where such a loop already runs through an earlier patch's adapter
  // (runtime/dsu_loops.c).
  std::vector<std::string> Migrated;
  for (const PatchPlan::LoopMigration &L : Plan.Migrations) {
    Migrated.push_back(L.OldSymbol);
    Migrated.push_back(L.NewSymbol);
    Migrated.push_back(L.Loop + " (" + L.File + ":" + std::to_string(L.Line) +
                       ")");
  }
  NameList(Migrated, "__dsu_migrated_bodies")
      ->setLinkage(GlobalValue::ExternalLinkage);
}

void removeDeadGlobals(Module &M) {
  LoopAnalysisManager LAM;
  FunctionAnalysisManager FAM;
  CGSCCAnalysisManager CGAM;
  ModuleAnalysisManager MAM;
  PassBuilder PB;
  PB.registerModuleAnalyses(MAM);
  PB.registerCGSCCAnalyses(CGAM);
  PB.registerFunctionAnalyses(FAM);
  PB.registerLoopAnalyses(LAM);
  PB.crossRegisterProxies(LAM, FAM, CGAM, MAM);
  ModulePassManager MPM;
  MPM.addPass(GlobalDCEPass());
  MPM.run(M, MAM);
}

/// The compile options that every translation unit of the program has, in
/// the order the first unit has them.
std::vector<std::string> sharedCompileOptions(const ProgramModel &P) {
  std::vector<std::string> Out;
  if (P.TUs.empty())
    return Out;
  for (const std::string &O : P.TUs.front().CompileOptions) {
    bool Everywhere = std::all_of(
        P.TUs.begin(), P.TUs.end(), [&](const TUModel &TU) {
          return std::find(TU.CompileOptions.begin(), TU.CompileOptions.end(),
                           O) != TU.CompileOptions.end();
        });
    if (Everywhere && std::find(Out.begin(), Out.end(), O) == Out.end())
      Out.push_back(O);
  }
  return Out;
}

/// Fields the generator could not convert are marked; the user writes the
/// conversion and deletes the marker.
Error checkNoTodo(StringRef Source, StringRef Path) {
  std::string Why;
  SmallVector<StringRef, 0> Lines;
  Source.split(Lines, '\n');
  for (StringRef L : Lines)
    if (size_t At = L.find(todoMarker()); At != StringRef::npos)
      Why += "\n  " + L.substr(At + todoMarker().size())
                          .trim()
                          .drop_back(L.trim().ends_with("*/") ? 2 : 0)
                          .rtrim()
                          .str();
  if (Why.empty())
    return Error::success();
  return failure(
      "the state transformers need code of yours:" + Why + "\n" +
      (Path.empty() ? "write the transformers with --emit-transformers "
                      "FILE.c, complete them and pass them back with "
                      "--transformers FILE.c"
                    : "complete them in " + Path.str() +
                          " and pass it back with --transformers"));
}

/// Objects that a library may hold cannot be moved unless the transformers
/// say they re-register them: DSU_REREGISTERS(type) in the file.
Error checkPinned(StringRef Source, const PatchPlan &Plan) {
  std::set<std::string> Reregistered;
  static const std::regex Decl("DSU_REREGISTERS\\(\\s*([^)]*[^)\\s])\\s*\\)");
  std::string Text = Source.str();
  for (std::sregex_iterator It(Text.begin(), Text.end(), Decl), End;
       It != End; ++It)
    Reregistered.insert((*It)[1].str());
  // Either version's name will do: the same hook serves memcached's `conn`
  // before and after it became `struct conn`.
  auto Declared = [&](const std::string &Type) {
    if (Reregistered.count(Type))
      return true;
    for (const PatchPlan::TypeChange &T : Plan.Types)
      if (T.Name == Type && Reregistered.count(T.oldName()))
        return true;
    return false;
  };
  std::string Why;
  for (const PatchPlan::Pinned &P : Plan.PinnedTypes)
    if (!Declared(P.Type))
      Why += "\n  " + P.message();
  if (Why.empty())
    return Error::success();
  return failure("the patch needs changes dsu cannot apply:" + Why +
                 "\nif the patch re-registers them with that code, say so "
                 "with DSU_REREGISTERS(type) in a transformers file and do it "
                 "in its commit hook (see docs/update-model.md)");
}

/// Compiles the transformers file to an object whose references to the new
/// version's functions and globals by C name are bound to their identity
/// symbols (issue 10 item 7): the runtime installs the new code before the
/// transformers run, so such a call runs the new version all the way down.
Error compileTransformers(const std::string &Source, const std::string &Obj,
                          std::vector<std::string> Flags,
                          const ProgramModel &New) {
  Flags.insert(Flags.begin(), clangPath());
  for (const char *A : {"-fPIC", "-c", "-x", "c"})
    Flags.push_back(A);
  Flags.push_back(Source);
  Flags.push_back("-o");
  Flags.push_back(Obj);
  std::string Output;
  auto Rc = runProgramCapture(clangPath(), Flags, Output);
  if (!Rc)
    return Rc.takeError();
  if (*Rc != 0)
    return failure("compiling the patch failed:\n" + Output);
  auto File = object::ObjectFile::createObjectFile(Obj);
  if (!File)
    return failure(Obj + ": " + toString(File.takeError()));
  std::map<std::string, std::string> Names = transformerNames(New);
  std::vector<std::string> Rename = {
      (sys::path::parent_path(clangPath()) + "/llvm-objcopy").str()};
  for (const object::SymbolRef &Sym : File->getBinary()->symbols()) {
    auto SymFlags = Sym.getFlags();
    auto Name = Sym.getName();
    if (!SymFlags || !Name || !(*SymFlags & object::SymbolRef::SF_Undefined)) {
      if (!SymFlags)
        consumeError(SymFlags.takeError());
      if (!Name)
        consumeError(Name.takeError());
      continue;
    }
    auto It = Names.find(Name->str());
    if (It != Names.end() && It->second != *Name)
      Rename.push_back("--redefine-sym=" + It->first + "=" + It->second);
  }
  if (Rename.size() == 1)
    return Error::success();
  Rename.push_back(Obj);
  Rc = runProgramCapture(Rename[0], Rename, Output);
  if (!Rc)
    return Rc.takeError();
  if (*Rc != 0)
    return failure("binding the transformers' names failed:\n" + Output);
  return Error::success();
}

/// A generated transformers file names the pair of builds it was made for;
/// its tables (where pointers live, which tags change) are only true for
/// that pair, so a file made for another pair is refused.
Error checkTransformersFor(StringRef Source, StringRef Path,
                           const PatchPlan &Plan) {
  StringRef Marker = transformersMarker();
  size_t At = Source.find(Marker);
  if (At == StringRef::npos)
    return Error::success(); // written by hand from scratch: nothing recorded
  StringRef Pair = Source.substr(At + Marker.size());
  Pair = Pair.take_until([](char C) { return C == '.' || C == '\n'; });
  std::string Want = Plan.BaseVersion + " -> " + Plan.TargetVersion;
  if (Pair.trim() == Want)
    return Error::success();
  return failure(Path + ": the transformers were generated for the patch " +
                 Pair.trim() + ", not for " + Want +
                 " (their tables of types and pointers would be stale); "
                 "regenerate them with --emit-transformers " + Path +
                 " (the new template goes to " + Path +
                 ".new, your edits stay) and carry your code over");
}

} // namespace

/// The new build's functions and globals by the C names a transformers file
/// may call them by: every external name, and every static name that only
/// one unit of the program uses (others need their identity symbol, as
/// `dsu model` prints it, in an `__asm__` label).
std::map<std::string, std::string>
dsu::transformerNames(const ProgramModel &New) {
  std::map<std::string, std::string> Names = New.externalSymbols();
  std::map<std::string, std::set<std::string>> Statics;
  for (const TUModel &TU : New.TUs) {
    for (const FunctionInfo &F : TU.Functions)
      if (F.IsStatic)
        Statics[F.Name].insert(F.Symbol);
    for (const GlobalInfo &G : TU.Globals)
      if (G.IsStatic)
        Statics[G.Name].insert(G.Symbol);
  }
  for (const auto &[Name, Symbols] : Statics)
    if (Symbols.size() == 1 && !Names.count(Name))
      Names[Name] = *Symbols.begin();
  return Names;
}

Expected<std::unique_ptr<Module>>
dsu::buildPatchModule(const Build &Old, const Build &New, const PatchPlan &Plan,
                      const PatchBuildOptions &Opts, LLVMContext &Ctx,
                      bool ForSharedObject) {
  // A refused patch still writes the transformers asked for, and says what
  // they need too: the user completes them while resolving the refusal
  // (and they are checked to compile on such pairs, see
  // tests/realcode/transformers.sh).
  auto Refuse = [&](const std::string &Why) -> Error {
    if (!Opts.TransformersOut.empty() && Opts.TransformersIn.empty())
      if (auto Written = patchTransformers(Old, New, Plan, Opts); !Written)
        return failure(Why + "\n" + toString(Written.takeError()));
    return failure(Why);
  };
  if (!Plan.Refusals.empty()) {
    std::string Why = "the patch needs changes dsu cannot apply:";
    for (const std::string &R : Plan.Refusals)
      Why += "\n  " + R;
    return Refuse(Why);
  }
  if (!Plan.Partials.empty() && !Opts.AllowPartial) {
    std::string Why = "the update would take effect only in part:";
    for (const PatchPlan::Partial &P : Plan.Partials)
      Why += "\n  " + P.File + ":" + std::to_string(P.Line) + ": " + P.Why;
    return Refuse(Why + "\nkeep the loop's locals as they are in the new "
                        "version, or pass --allow-partial to apply it anyway");
  }
  {
    std::string Lost;
    for (const PatchPlan::StateLoss &L : Plan.StateLosses)
      if (!Opts.AllowStateLoss.count(L.Name))
        Lost += "\n  " + describeGlobal(L.Name, L.OldTU) +
                " would lose its running value: the new build defines " +
                describeGlobal(L.Name, L.NewTU) + " instead";
    if (!Lost.empty())
      return Refuse(
          "the update would drop running state:" + Lost +
          "\nif a source file was renamed or moved, build both versions with "
          "the same unit name (-fdsu-tu-name=NAME); to start these from their "
          "initialisers anyway, pass --allow-state-loss NAME[,NAME...]");
  }
  Selection S;
  for (const PatchPlan::FunctionChange &F : Plan.Functions) {
    using K = PatchPlan::FunctionChangeKind;
    if (F.Kind == K::Changed)
      S.Rebind.insert(F.NewSymbol);
    else if (F.Kind == K::Added || F.Kind == K::SignatureChanged)
      S.DefineNew.insert(F.NewSymbol);
  }
  for (const TUModel &TU : New.Model.TUs)
    for (const FunctionInfo &F : TU.Functions)
      if (F.Managed)
        S.Managed.insert(F.Symbol);
  for (const TUModel &TU : Old.Model.TUs)
    for (const GlobalInfo &G : TU.Globals)
      S.OldGlobals.insert(G.Symbol);
  S.External = New.Model.externalSymbols();

  auto Merged = std::make_unique<Module>("dsu-patch", Ctx);
  Linker L(*Merged);
  for (const TURecord &R : New.Records) {
    auto M = parseBitcodeFile(MemoryBufferRef(R.Bitcode, R.Model.TU), Ctx);
    if (!M)
      return failure("corrupt bitcode for " + R.Model.TU + " in " + New.Path +
                     ": " + toString(M.takeError()));
    (*M)->setModuleIdentifier(R.Model.TU);
    if (Merged->getTargetTriple().empty()) {
      Merged->setTargetTriple((*M)->getTargetTriple());
      Merged->setDataLayout((*M)->getDataLayout());
    }
    captureNewInitialisers(**M, Plan);
    selectContents(**M, S);
    if (L.linkInModule(std::move(*M)))
      return failure("cannot link the patch's code for " + R.Model.TU);
  }

  // The new code records its calls like the new build does, so that the
  // next patch can check the contexts its frames are in.
  auto NewFunctions = New.Model.functionsBySymbol();
  instrumentContexts(
      *Merged,
      [&](StringRef Symbol) -> const FunctionInfo * {
        auto It = NewFunctions.find(Symbol.str());
        return It == NewFunctions.end() ? nullptr : It->second;
      },
      /*OnlyPossiblyActive=*/false);

  SlotOptions SO;
  SO.Managed = S.Managed;
  SO.DefineHere = S.DefineNew;
  SO.BodySuffix =
      ".p" + toHex(hashString(Plan.BaseVersion + Plan.TargetVersion), 8);
  SO.PIC = ForSharedObject;
  SO.PlainAliases = false;
  // Running loops whose body became a new function are taken over by it
  // through an adapter bound to the old body's slot (LoopMigration.cpp).
  auto Adapters = addLoopMigrationAdapters(*Merged, Plan);
  auto Bodies = installSlots(*Merged, SO);
  for (const auto &[OldSymbol, Adapter] : Adapters) {
    Bodies[OldSymbol] = Adapter;
    S.Rebind.insert(OldSymbol);
  }
  addPatchInfo(*Merged, Bodies, S, Plan);
  addGlobalInits(*Merged, Old, Plan, S.Warnings);
  if (ForSharedObject)
    makePositionIndependent(*Merged);
  removeDeadGlobals(*Merged);

  std::string VerifyErrors;
  raw_string_ostream VOS(VerifyErrors);
  if (verifyModule(*Merged, &VOS))
    return failure("internal error: the patch module is invalid:\n" +
                   VerifyErrors);
  if (Opts.Verbose && Opts.Log)
    for (const std::string &W : S.Warnings)
      *Opts.Log << "dsu patch: warning: " << W << "\n";
  return std::move(Merged);
}

std::vector<std::string> dsu::patchCodegenOptions(const ProgramModel &New) {
  std::vector<std::string> Program;
  for (const std::string &O : sharedCompileOptions(New))
    if (!StringRef(O).starts_with("-O") && O != "-fPIC" && O != "-fpic" &&
        O != "-fPIE" && O != "-fpie")
      Program.push_back(O);
  return Program;
}

Expected<std::string> dsu::patchTransformers(const Build &Old, const Build &New,
                                             const PatchPlan &Plan,
                                             const PatchBuildOptions &Opts) {
  // A user's transformer file is used even when no type changed: it may
  // carry a state transformer that moves values between globals.
  if (!needsStateTransformation(Plan) && Opts.TransformersIn.empty())
    return std::string();
  std::string Source;
  if (!Opts.TransformersIn.empty()) {
    auto Text = readFile(Opts.TransformersIn);
    if (!Text)
      return Text.takeError();
    Source = std::move(*Text);
    if (Error E = checkTransformersFor(Source, Opts.TransformersIn, Plan))
      return E;
  } else {
    auto Generated = generateTransformers(Old.Model, New.Model, Plan);
    if (!Generated)
      return Generated.takeError();
    Source = std::move(*Generated);
  }
  if (!Opts.TransformersOut.empty() && Opts.TransformersIn.empty()) {
    std::string Target = Opts.TransformersOut;
    if (sys::fs::exists(Target)) {
      auto Existing = readFile(Target);
      if (Existing && *Existing != Source)
        Target += ".new"; // never overwrite the user's edits
    }
    if (Error E = writeFile(Target, Source))
      return E;
    if (Opts.Log)
      *Opts.Log << "dsu patch: transformers written to " << Target << "\n";
  }
  if (Error E = checkPinned(Source, Plan))
    return E;
  if (Error E = checkNoTodo(Source, Opts.TransformersIn.empty()
                                        ? Opts.TransformersOut
                                        : Opts.TransformersIn))
    return E;
  return Source;
}

Expected<std::string> dsu::buildPatch(const Build &Old, const Build &New,
                                      const PatchPlan &Plan,
                                      const PatchBuildOptions &Opts) {
  LLVMContext Ctx;
  auto MergedOr = buildPatchModule(Old, New, Plan, Opts, Ctx);
  if (!MergedOr)
    return MergedOr.takeError();
  std::unique_ptr<Module> Merged = std::move(*MergedOr);
  auto Tmp = TempDir::create("dsu-patch");
  if (!Tmp)
    return Tmp.takeError();
  std::string Dir = Opts.KeepDir.empty() ? Tmp->path() : Opts.KeepDir;
  if (!Opts.KeepDir.empty())
    sys::fs::create_directories(Dir);
  std::string BcPath = Dir + "/patch.bc", SoPath = Dir + "/patch.so";
  {
    std::error_code EC;
    raw_fd_ostream OS(BcPath, EC);
    if (EC)
      return failure(BcPath + ": " + EC.message());
    WriteBitcodeToFile(*Merged, OS);
  }
  if (!Opts.KeepDir.empty()) {
    std::error_code EC;
    raw_fd_ostream OS(Dir + "/patch.ll", EC);
    if (!EC)
      Merged->print(OS, nullptr);
  }
  std::vector<std::string> Compile = {
      clangPath(),  "-shared", "-fPIC", Opts.OptLevel, "-nostartfiles",
      "-Wno-unused-command-line-argument", "-o", SoPath, BcPath};
  // The code-generation options the program was built with (-fno-builtin,
  // -m flags, ...) hold for the patch's code too: those every unit shares.
  std::vector<std::string> Program = patchCodegenOptions(New.Model);
  Compile.insert(Compile.begin() + 1, Program.begin(), Program.end());
  auto Transformers = patchTransformers(Old, New, Plan, Opts);
  if (!Transformers)
    return Transformers.takeError();
  if (!Transformers->empty()) {
    const std::string &Source = *Transformers;
    std::string XPath = Dir + "/transformers.c";
    if (Error E = writeFile(XPath, Source))
      return E;
    std::vector<std::string> Flags = Program;
    Flags.push_back(Opts.OptLevel);
    Flags.push_back("-I" + Opts.IncludeDir);
    Flags.push_back("-std=gnu11");
    std::string XObj = Dir + "/transformers.o";
    if (Error E = compileTransformers(XPath, XObj, Flags, New.Model))
      return E;
    Compile.push_back(XObj);
  }
  std::string Output;
  auto Rc = runProgramCapture(clangPath(), Compile, Output);
  if (!Rc)
    return Rc.takeError();
  if (*Rc != 0)
    return failure("compiling the patch failed:\n" + Output);
  auto So = readFile(SoPath);
  if (!So)
    return So.takeError();
  PatchFile P;
  P.BaseVersion = Plan.BaseVersion;
  P.TargetVersion = Plan.TargetVersion;
  P.SharedObject = std::move(*So);
  P.Plan = Plan.dump();
  return encodePatchFile(P);
}
