//===- Merge.cpp - one program holding every execution of an update -------===//
//
// A dynamic update has many executions: the run without it, and one run per
// update-point visit at which it can happen. A merged program is one
// ordinary program whose executions are exactly those (DESIGN.md section 6):
// the old version, the new version's code, the patch's state transformers,
// and at every update-point visit of the old version a choice "update here
// or not", made by dsu_merge_choose(point, visit). Any tool that explores a
// program's executions (plain testing with every choice, a symbolic
// executor, a fuzzer) then explores the update's.
//
// How it is built. dsu-cc stores each translation unit's module in the
// executable as it stands before the slots (identities assigned, update
// loops extracted, heap and thread instrumentation in place), and `dsu patch`
// builds its code from the new build's stored modules. The merge makes one
// LLVM module from the same pieces, exactly as the two tools do, so that the
// merged program runs the very code a process would run:
//
//  1. The old part: each of the old build's stored modules gets the context
//     brackets and the slots and trampolines that dsu-cc's link gave it
//     (instrumentContexts, installSlots with the unit's recorded direct
//     calls), and they are linked into one module. This is the old
//     executable's code, with its plain-name aliases (main).
//  2. The patch part: buildPatchModule, the module `dsu patch` compiles into
//     the patch's shared object, built here for static linking. Its bodies
//     carry the patch's suffix (SYMBOL.pHASH: the version-suffixed names of
//     the new version), its references to unchanged functions and globals
//     are declarations that the link binds to the old part's (shared
//     storage, shared slots), and it brings the patch's tables
//     (__dsu_patch_info with the slots to rebind, __dsu_points with the
//     per-point safety verdicts and safe contexts of `dsu diff`).
//  3. The state transformers, the same C that `dsu patch` compiles (the
//     generated ones or the user's --transformers file), compiled to IR.
//  4. The merge runtime (runtime/merge_runtime.c, embedded at build time),
//     which stands in for libdsu: it counts update-point visits, asks
//     dsu_merge_choose at each, and commits the way the runtime's
//     synchronous test mode does (runtime/dsu_runtime.c): at the requested
//     visit or the first later one where point_ok says the patch is safe,
//     it runs the global transformers, stores each new body into its slot,
//     and runs the commit hook. Active frames finish in old code (they hold
//     old bodies); every later call goes through a slot to the new body,
//     including calls through function pointers held in data (they hold
//     trampolines, which jump through the slots), and an extracted loop
//     takes its new body at its next iteration.
//  5. __dsu_merge_points, the old version's update points in the order
//     --explain numbers them (dsu_merge_choose's `point`), and
//     __dsu_merge_force_at, the points `--force-at` names (as `dsu apply
//     --force-at`: the update commits there even where it is unsafe).
//
// Name clashes between the parts cannot arise for managed code (old bodies
// are SYMBOL.body, new ones SYMBOL.pHASH, slots are shared on purpose); a
// definition the patch part has under a name the old part defines too (a
// function dsu does not manage) is renamed NAME.v2 and made internal, so
// each part reaches its own.
//
// State transfer. The merge runtime carries a model of the runtime's
// (runtime/dsu_heap.c), written again from the same information: the
// objects the instrumented allocation sites record with their tags, and the
// tables the transformers export (which types change and their element
// transformers, where pointers to relocated objects may live, which field
// moves where). Objects of changed types are relocated, pointers to them
// (and into them, by the field they point into) redirected, and a place the
// update cannot account for rolls it back, as the runtime does.
//
// A chain of two updates (v1 -> v2 -> v3, MergeOptions::Third): the second
// update's patch part (buildPatchModule from v2 to v3) and transformers are
// linked after the first's, their tables renamed NAME.u2 (the runtime's
// names for the first update's stay), so the merge runtime commits them in
// turn as the runtime's test mode commits two patches. The second patch's
// references to v2's code and storage bind to the first patch's parts and
// the old part's, as its dlopen binds them in a process updated once. The
// first version's code and the first patch's new code are checked against
// the second update's changes too (__dsu_merge_old_use2).
//
// Not modelled yet, and never approximated (a merged program must not show
// an execution the runtime cannot have): objects of allocators the program
// frees itself (the runtime rewrites them in place; the merged program
// stops with status 96 saying so), the quiescence of other threads,
// transformers that crash (the runtime catches the signal and rolls back).
//
//===----------------------------------------------------------------------===//
#include "dsu/Merge/Merge.h"
#include "dsu/Patch/PatchBuilder.h"
#include "dsu/Patch/PatchFile.h"
#include "dsu/Support/Error.h"
#include "dsu/Support/Process.h"
#include "dsu/Transform/Transform.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Verifier.h"
#include "llvm/IRReader/IRReader.h"
#include "llvm/Linker/Linker.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <set>

#include "MergeRuntime.inc"

using namespace dsu;
using namespace llvm;

namespace {

/// "NAME" or "NAME (static in TU)".
std::string describeFunction(const FunctionInfo &F, const TUModel &TU) {
  return F.IsStatic ? F.Name + " (static in " + TU.TU + ")" : F.Name;
}

/// Compiles C source to a module in Ctx; fails with clang's diagnostics.
Expected<std::unique_ptr<Module>>
compileC(StringRef Source, StringRef Name, const std::string &Dir,
         const std::vector<std::string> &Extra, LLVMContext &Ctx,
         StringRef What) {
  std::string CPath = Dir + "/" + Name.str() + ".c";
  std::string BcPath = Dir + "/" + Name.str() + ".bc";
  if (Error E = writeFile(CPath, Source))
    return std::move(E);
  std::vector<std::string> Args = {clangPath(), "-O2", "-std=gnu11",
                                   "-emit-llvm", "-c"};
  Args.insert(Args.end(), Extra.begin(), Extra.end());
  for (const char *A : {"-Wno-unused-command-line-argument", "-x", "c"})
    Args.push_back(A);
  Args.push_back(CPath);
  Args.push_back("-o");
  Args.push_back(BcPath);
  std::string Output;
  auto Rc = runProgramCapture(clangPath(), Args, Output);
  if (!Rc)
    return Rc.takeError();
  if (*Rc != 0)
    return failure(What + " does not compile:\n" + StringRef(Output).rtrim());
  auto Buf = MemoryBuffer::getFile(BcPath);
  if (!Buf)
    return failure(BcPath + ": " + Buf.getError().message());
  auto M = parseBitcodeFile((*Buf)->getMemBufferRef(), Ctx);
  if (!M)
    return failure("cannot read " + BcPath + ": " + toString(M.takeError()));
  return std::move(*M);
}

/// The name of T without the suffix the IR linker or parser adds to a
/// second struct of one name ("struct.item.12" -> "struct.item").
StringRef baseStructName(StructType *T) {
  StringRef Name = T->hasName() ? T->getName() : "";
  StringRef Stem = Name.rsplit('.').first, Tail = Name.rsplit('.').second;
  if (!Tail.empty() && Stem != Name &&
      llvm::all_of(Tail, [](char C) { return isDigit(C); }))
    return Stem;
  return Name;
}

/// The safety rules as checks: before every instruction of old code that
/// touches the representation of a type the patch changes (a field access,
/// indexing: a GEP over it) or a global whose type it changes, a call
/// __dsu_merge_old_use(function, what), which stops the run with an error
/// if the update has happened (merge_runtime.c). In a chain, the first
/// version's code and the second's are checked against the second update's
/// plan too, with __dsu_merge_old_use2 (Check). Returns how many.
unsigned instrumentOldUses(Module &M, const PatchPlan &Plan,
                           const ProgramModel &Old,
                           StringRef CheckName = "__dsu_merge_old_use") {
  std::map<std::string, std::string> Types; // IR struct name -> C name
  for (const PatchPlan::TypeChange &T : Plan.Types) {
    std::string Name = T.oldName();
    std::string IR = Name;
    if (StringRef(Name).starts_with("struct "))
      IR = "struct." + Name.substr(7);
    else if (StringRef(Name).starts_with("union "))
      IR = "union." + Name.substr(6);
    else
      IR = "struct." + Name; // a typedef name of an anonymous struct
    Types[IR] = Name;
  }
  // A global is named by its identity symbol in the unit that defines it,
  // and by its C name in the other units that declare it (the link binds
  // that name to the identity symbol's alias): both are uses of it.
  std::map<const GlobalVariable *, std::string> Globals;
  for (const PatchPlan::GlobalChange &G : Plan.Globals)
    if (G.Kind == PatchPlan::GlobalChangeKind::TypeChanged) {
      if (const GlobalVariable *V = M.getNamedGlobal(G.OldSymbol))
        Globals[V] = G.Name;
      if (G.TU.empty())
        if (const GlobalVariable *V = M.getNamedGlobal(G.Name);
            V && V->isDeclaration())
          Globals[V] = G.Name;
    }
  if (Types.empty() && Globals.empty())
    return 0;
  LLVMContext &Ctx = M.getContext();
  PointerType *Ptr = PointerType::getUnqual(Ctx);
  FunctionCallee Check =
      M.getOrInsertFunction(CheckName, Type::getVoidTy(Ctx), Ptr, Ptr);
  std::map<std::string, Constant *> Strings;
  auto String = [&](const std::string &S) {
    Constant *&C = Strings[S];
    if (!C) {
      Constant *Init = ConstantDataArray::getString(Ctx, S);
      C = new GlobalVariable(M, Init->getType(), true,
                             GlobalValue::PrivateLinkage, Init,
                             "__dsu_merge_use");
    }
    return C;
  };
  auto UsesGlobal = [&](Value *V) -> const std::string * {
    V = V->stripPointerCasts();
    if (auto *CE = dyn_cast<ConstantExpr>(V))
      V = CE->getOperand(0)->stripPointerCasts();
    if (auto *G = dyn_cast<GlobalVariable>(V)) {
      auto It = Globals.find(G);
      if (It != Globals.end())
        return &It->second;
    }
    return nullptr;
  };
  std::map<std::string, const FunctionInfo *> Functions =
      Old.functionsBySymbol();
  unsigned N = 0;
  for (Function &F : M) {
    if (F.isDeclaration())
      continue;
    std::vector<std::pair<Instruction *, std::string>> Sites;
    for (Instruction &I : instructions(F)) {
      if (isa<PHINode>(I) || I.isEHPad())
        continue;
      std::string What;
      if (auto *GEP = dyn_cast<GetElementPtrInst>(&I))
        if (auto *ST = dyn_cast<StructType>(GEP->getSourceElementType())) {
          auto It = Types.find(baseStructName(ST).str());
          if (It != Types.end())
            What = It->second;
        }
      if (What.empty() && !isa<CallBase>(I))
        for (Value *Op : I.operands())
          if (const std::string *G = UsesGlobal(Op)) {
            What = "global '" + *G + "'";
            break;
          }
      if (!What.empty())
        Sites.push_back({&I, What});
    }
    for (auto &[I, What] : Sites) {
      // A patch's body is SYMBOL.pHASH.
      auto Info = Functions.find(F.getName().str());
      if (Info == Functions.end())
        Info = Functions.find(F.getName().rsplit('.').first.str());
      std::string Name =
          Info == Functions.end() ? F.getName().str() : Info->second->Name;
      CallInst *Call = CallInst::Create(Check, {String(Name), String(What)}, "",
                                        I->getIterator());
      Call->setDebugLoc(I->getDebugLoc()); // reports name the access

      ++N;
    }
  }
  return N;
}

/// The old part: the old executable's code, as dsu-cc's link made it.
Error linkOldPart(const Build &Old, const PatchPlan &Plan,
                  const PatchPlan *Plan2, Module &Merged, Linker &L) {
  auto Functions = Old.Model.functionsByLinkName();
  for (const TURecord &R : Old.Records) {
    auto M = parseBitcodeFile(MemoryBufferRef(R.Bitcode, R.Model.TU),
                              Merged.getContext());
    if (!M)
      return failure("corrupt bitcode for " + R.Model.TU + " in " + Old.Path +
                     ": " + toString(M.takeError()));
    (*M)->setModuleIdentifier("old:" + R.Model.TU);
    if (Merged.getTargetTriple().empty()) {
      Merged.setTargetTriple((*M)->getTargetTriple());
      Merged.setDataLayout((*M)->getDataLayout());
    }
    instrumentContexts(
        **M,
        [&](StringRef Symbol) -> const FunctionInfo * {
          auto It = Functions.find(Symbol.str());
          return It == Functions.end() ? nullptr : It->second;
        },
        /*OnlyPossiblyActive=*/true);
    instrumentOldUses(**M, Plan, Old.Model);
    if (Plan2)
      instrumentOldUses(**M, *Plan2, Old.Model, "__dsu_merge_old_use2");
    SlotOptions Opts = executableSlotOptions(R.Model);
    Opts.PIC = false;
    installSlots(**M, Opts);
    if (L.linkInModule(std::move(*M)))
      return failure("cannot link the old version's code for " + R.Model.TU);
  }
  return Error::success();
}

/// Renames the definitions of Part that Merged defines too (NAME plus
/// Suffix, internal), so that each part reaches its own.
void renameClashes(Module &Part, const Module &Merged,
                   StringRef Suffix = ".v2") {
  std::vector<GlobalValue *> Clashes;
  for (GlobalValue &GV : Part.global_values())
    if (!GV.isDeclaration() && !GV.hasLocalLinkage() &&
        !GV.getName().starts_with("llvm."))
      if (const GlobalValue *Other = Merged.getNamedValue(GV.getName()))
        if (!Other->isDeclaration())
          Clashes.push_back(&GV);
  for (GlobalValue *GV : Clashes) {
    GV->setName(GV->getName() + Suffix);
    GV->setLinkage(GlobalValue::InternalLinkage);
  }
}

/// The second update of a chain: its patch's and transformers' tables
/// (which the first update's have under the same names) become NAME.u2,
/// where merge_runtime.c looks for them.
void suffixSecondUpdateTables(Module &M) {
  for (const char *Table :
       {"__dsu_patch_info", "__dsu_points", "__dsu_base_sites",
        "__dsu_changed_names", "__dsu_residuals", "__dsu_global_xforms",
        "__dsu_hooks", "__dsu_global_inits", "__dsu_type_xforms",
        "__dsu_pointer_fields", "__dsu_global_pointers", "__dsu_live_ranges"})
    if (GlobalValue *GV = M.getNamedValue(Table); GV && !GV->isDeclaration())
      GV->setName(std::string(Table) + ".u2");
}

/// __dsu_merge_points: {file, line} of each old update point, NULL-ended;
/// __dsu_merge_force_at: the points forced (--force-at);
/// __dsu_merge_updates: how many updates the program holds (1, or 2).
void addMergePoints(Module &M,
                    const std::vector<PatchPlan::PointSafety> &Points,
                    StringRef ForceAt, unsigned Updates) {
  LLVMContext &Ctx = M.getContext();
  new GlobalVariable(
      M, Type::getInt32Ty(Ctx), true, GlobalValue::ExternalLinkage,
      ConstantInt::get(Type::getInt32Ty(Ctx), Updates), "__dsu_merge_updates");
  Constant *Force = ConstantDataArray::getString(Ctx, ForceAt);
  new GlobalVariable(M, Force->getType(), true, GlobalValue::ExternalLinkage,
                     Force, "__dsu_merge_force_at");
  PointerType *Ptr = PointerType::getUnqual(Ctx);
  Type *I32 = Type::getInt32Ty(Ctx);
  StructType *Ty = StructType::get(Ctx, {Ptr, I32});
  std::vector<Constant *> Entries;
  for (const PatchPlan::PointSafety &P : Points) {
    Constant *File = ConstantDataArray::getString(Ctx, P.File);
    auto *FileVar = new GlobalVariable(M, File->getType(), true,
                                       GlobalValue::PrivateLinkage, File,
                                       "__dsu_merge_file");
    Entries.push_back(
        ConstantStruct::get(Ty, {FileVar, ConstantInt::get(I32, P.Line)}));
  }
  Entries.push_back(Constant::getNullValue(Ty));
  ArrayType *ArrTy = ArrayType::get(Ty, Entries.size());
  new GlobalVariable(M, ArrTy, true, GlobalValue::ExternalLinkage,
                     ConstantArray::get(ArrTy, Entries), "__dsu_merge_points");
}

} // namespace

std::vector<PatchPlan::PointSafety>
dsu::mergeUpdatePoints(const PatchPlan &Plan) {
  std::vector<PatchPlan::PointSafety> Points;
  for (const PatchPlan::PointSafety &P : Plan.Points)
    if (P.BlockingCall.empty())
      Points.push_back(P);
  std::stable_sort(
      Points.begin(), Points.end(),
      [](const PatchPlan::PointSafety &A, const PatchPlan::PointSafety &B) {
        return std::tie(A.File, A.Line) < std::tie(B.File, B.Line);
      });
  // One entry per place: the runtime matches points by file and line.
  Points.erase(std::unique(Points.begin(), Points.end(),
                           [](const PatchPlan::PointSafety &A,
                              const PatchPlan::PointSafety &B) {
                             return A.File == B.File && A.Line == B.Line;
                           }),
               Points.end());
  return Points;
}

Error dsu::checkMergeInputs(const Build &Old, const Build &New,
                            const MergeOptions &Opts) {
  // Two versions of one program share most of their functions. A build of
  // another program shares at most main and a few common names.
  std::set<std::pair<std::string, std::string>> NewFunctions;
  for (const TUModel &TU : New.Model.TUs)
    for (const FunctionInfo &F : TU.Functions)
      NewFunctions.insert({F.Name, F.IsStatic ? TU.TU : ""});
  unsigned Total = 0, Kept = 0;
  for (const TUModel &TU : Old.Model.TUs)
    for (const FunctionInfo &F : TU.Functions) {
      if (F.Name == "main" || StringRef(F.Name).contains(".loop"))
        continue;
      ++Total;
      Kept += NewFunctions.count({F.Name, F.IsStatic ? TU.TU : ""});
    }
  if (Total >= 2 && Kept * 2 < Total)
    return failure(Old.Path + " and " + New.Path +
                   " look like builds of two different programs: only " +
                   std::to_string(Kept) + " of the old build's " +
                   std::to_string(Total) +
                   " functions (besides main) are in the new build");
  if (!Opts.PatchFile.empty()) {
    auto Bytes = readFile(Opts.PatchFile);
    if (!Bytes)
      return failure(Opts.PatchFile + ": " + toString(Bytes.takeError()));
    auto P = decodePatchFile(*Bytes);
    if (!P)
      return failure(Opts.PatchFile + ": " + toString(P.takeError()));
    if (P->BaseVersion != Old.VersionId)
      return failure(Opts.PatchFile + ": the patch is for base version " +
                     P->BaseVersion + ", but " + Old.Path + " is version " +
                     Old.VersionId);
    if (P->TargetVersion != New.VersionId)
      return failure(Opts.PatchFile + ": the patch leads to version " +
                     P->TargetVersion + ", but " + New.Path + " is version " +
                     New.VersionId);
  }
  return Error::success();
}

namespace {

/// One update's code: the patch part (buildPatchModule) and its
/// transformers compiled (null without any).
struct UpdateParts {
  std::unique_ptr<Module> Patch, Transformers;
};

Expected<UpdateParts>
buildUpdateParts(const Build &Old, const Build &New, const PatchPlan &Plan,
                 const std::string &TransformersIn, const MergeOptions &Opts,
                 LLVMContext &Ctx, const std::string &Dir, StringRef Name) {
  PatchBuildOptions PO;
  PO.TransformersIn = TransformersIn;
  PO.IncludeDir = Opts.IncludeDir;
  PO.AllowPartial = Opts.AllowPartial;
  PO.AllowStateLoss = Opts.AllowStateLoss;
  auto PatchPart = buildPatchModule(Old, New, Plan, PO, Ctx,
                                    /*ForSharedObject=*/false);
  if (!PatchPart)
    return PatchPart.takeError();
  auto Source = patchTransformers(Old, New, Plan, PO);
  if (!Source)
    return Source.takeError();
  UpdateParts Parts;
  Parts.Patch = std::move(*PatchPart);
  if (Source->empty())
    return std::move(Parts);
  std::vector<std::string> CFlags = patchCodegenOptions(New.Model);
  CFlags.push_back("-I" + Opts.IncludeDir);
  auto M = compileC(*Source, Name, Dir, CFlags, Ctx,
                    TransformersIn.empty()
                        ? std::string("the generated transformers")
                        : "the transformers file " + TransformersIn);
  if (!M)
    return M.takeError();
  // C names of the new version's functions and globals, bound to their
  // identity symbols as `dsu patch` binds them.
  std::map<std::string, std::string> Names = transformerNames(New.Model);
  for (GlobalValue &GV : (*M)->global_values())
    if (GV.isDeclaration())
      if (auto It = Names.find(GV.getName().str());
          It != Names.end() && It->second != GV.getName())
        GV.setName(It->second);
  Parts.Transformers = std::move(*M);
  return std::move(Parts);
}

/// Checks the --force-at points against Points.
Error checkForceAt(StringRef ForceAt,
                   const std::vector<PatchPlan::PointSafety> &Points) {
  if (ForceAt.empty() || ForceAt == "all")
    return Error::success();
  for (StringRef Point : split(ForceAt, ',')) {
    auto [File, Line] = Point.rsplit(':');
    if (llvm::none_of(Points, [&](const PatchPlan::PointSafety &P) {
          return sys::path::filename(P.File) == File &&
                 std::to_string(P.Line) == Line;
        }))
      return failure("--force-at " + Point +
                     ": the old version has no update point there");
  }
  return Error::success();
}

} // namespace

Expected<MergedProgram> dsu::mergeBuilds(const Build &Old, const Build &New,
                                         const MergeOptions &Opts) {
  if (Error E = checkMergeInputs(Old, New, Opts))
    return std::move(E);
  MergedProgram Out;
  Out.Plan = diffModels(Old.Model, New.Model);
  Out.Points = mergeUpdatePoints(Out.Plan);
  if (Opts.Third) {
    // A chain: the second update goes from New to Third, checked as a
    // merge of those two is.
    MergeOptions Second = Opts;
    Second.PatchFile = Opts.PatchFile2;
    Second.TransformersIn = Opts.TransformersIn2;
    if (Error E = checkMergeInputs(New, *Opts.Third, Second))
      return std::move(E);
    Out.Plan2 = diffModels(New.Model, Opts.Third->Model);
    // The points only the second version has are numbered after the first
    // version's (dsu_merge_choose's `point`).
    for (const PatchPlan::PointSafety &P : mergeUpdatePoints(*Out.Plan2))
      if (llvm::none_of(Out.Points, [&](const PatchPlan::PointSafety &Q) {
            return Q.File == P.File && Q.Line == P.Line;
          }))
        Out.Points.push_back(P);
  }
  if (Error E = checkForceAt(Opts.ForceAt, Out.Points))
    return std::move(E);
  Out.Ctx = std::make_unique<LLVMContext>();
  LLVMContext &Ctx = *Out.Ctx;

  auto Tmp = TempDir::create("dsu-merge");
  if (!Tmp)
    return Tmp.takeError();
  std::string Dir = Opts.KeepDir.empty() ? Tmp->path() : Opts.KeepDir;
  if (!Opts.KeepDir.empty())
    sys::fs::create_directories(Dir);
  auto First = buildUpdateParts(Old, New, Out.Plan, Opts.TransformersIn, Opts,
                                Ctx, Dir, "transformers");
  if (!First)
    return First.takeError();
  std::optional<UpdateParts> Second;
  if (Opts.Third) {
    auto Parts =
        buildUpdateParts(New, *Opts.Third, *Out.Plan2, Opts.TransformersIn2,
                         Opts, Ctx, Dir, "transformers2");
    if (!Parts)
      return Parts.takeError();
    Second = std::move(*Parts);
    // The first update's new code is old code for the second.
    instrumentOldUses(*First->Patch, *Out.Plan2, New.Model,
                      "__dsu_merge_old_use2");
    suffixSecondUpdateTables(*Second->Patch);
    if (Second->Transformers)
      suffixSecondUpdateTables(*Second->Transformers);
  }
  const Build &Last = Opts.Third ? *Opts.Third : New;
  std::vector<std::string> CFlags = patchCodegenOptions(Last.Model);
  CFlags.push_back("-I" + Opts.IncludeDir);
  auto Runtime = compileC(EmbeddedMergeRuntime, "merge_runtime", Dir, CFlags,
                          Ctx, "the merge runtime");
  if (!Runtime)
    return Runtime.takeError();

  Out.Module = std::make_unique<Module>("dsu-merged", Ctx);
  Linker L(*Out.Module);
  if (Error E = linkOldPart(Old, Out.Plan, Out.Plan2 ? &*Out.Plan2 : nullptr,
                            *Out.Module, L))
    return std::move(E);
  // Each part after the old one reaches its own definitions of what it
  // shares a name with (NAME.v2 in the first update's parts, NAME.v3 in the
  // second's).
  auto LinkPart = [&](std::unique_ptr<Module> Part, StringRef Suffix,
                      const Twine &What) -> Error {
    if (!Part)
      return Error::success();
    renameClashes(*Part, *Out.Module, Suffix);
    if (L.linkInModule(std::move(Part)))
      return failure("cannot link " + What);
    return Error::success();
  };
  if (Error E =
          LinkPart(std::move(First->Patch), ".v2", "the new version's code"))
    return std::move(E);
  if (Error E =
          LinkPart(std::move(First->Transformers), ".v2", "the transformers"))
    return std::move(E);
  if (Second) {
    if (Error E = LinkPart(std::move(Second->Patch), ".v3",
                           "the third version's code"))
      return std::move(E);
    if (Error E = LinkPart(std::move(Second->Transformers), ".v3",
                           "the second update's transformers"))
      return std::move(E);
  }
  addMergePoints(*Out.Module, Out.Points, Opts.ForceAt, Second ? 2 : 1);
  (*Runtime)->setTargetTriple(Out.Module->getTargetTriple());
  (*Runtime)->setDataLayout(Out.Module->getDataLayout());
  if (L.linkInModule(std::move(*Runtime)))
    return failure("cannot link the merge runtime");

  std::string Errors;
  raw_string_ostream OS(Errors);
  if (verifyModule(*Out.Module, &OS))
    return failure("internal error: the merged module is invalid:\n" + Errors);
  return std::move(Out);
}

std::string dsu::explainMerge(const Build &Old, const Build &New,
                              const PatchPlan &Plan) {
  using FK = PatchPlan::FunctionChangeKind;
  using GK = PatchPlan::GlobalChangeKind;
  std::map<std::string, const PatchPlan::FunctionChange *> FunctionByOld;
  std::map<std::string, const PatchPlan::GlobalChange *> GlobalByOld;
  for (const PatchPlan::FunctionChange &F : Plan.Functions)
    if (!F.OldSymbol.empty())
      FunctionByOld[F.OldSymbol] = &F;
  for (const PatchPlan::GlobalChange &G : Plan.Globals)
    if (!G.OldSymbol.empty())
      GlobalByOld[G.OldSymbol] = &G;
  std::vector<std::string> Functions, Globals;
  for (const TUModel &TU : Old.Model.TUs) {
    for (const FunctionInfo &F : TU.Functions) {
      std::string Line = "function " + describeFunction(F, TU) + ": ";
      auto It = FunctionByOld.find(F.Symbol);
      if (!F.Managed)
        Line += "not managed: old code only";
      else if (It == FunctionByOld.end())
        Line += "unchanged: " + F.Symbol + ".body stays in its slot";
      else if (It->second->Kind == FK::Changed)
        Line +=
            "changed: slot __dsu_slot." + F.Symbol +
            " rebound to the new body at the update" +
            (It->second->Reason.empty() ? "" : " (" + It->second->Reason + ")");
      else if (It->second->Kind == FK::SignatureChanged)
        Line += "signature changed: the old body stays for running frames; "
                "new function " +
                It->second->NewSymbol + " with its own slot";
      else
        Line += "removed: the old body stays for running frames";
      Functions.push_back(Line);
    }
    for (const GlobalInfo &G : TU.Globals) {
      std::string Line =
          "global " +
          (G.IsStatic ? G.Name + " (static in " + TU.TU + ")" : G.Name) + ": ";
      auto It = GlobalByOld.find(G.Symbol);
      if (It == GlobalByOld.end())
        Line += "shared";
      else
        switch (It->second->Kind) {
        case GK::TypeChanged:
          Line += "type changed: new storage " + It->second->NewSymbol +
                  (It->second->TakesNewInitialiser
                       ? ", holding its new initialiser"
                       : ", holding its new initialiser if the running bytes "
                         "are still the old one at the update, else filled "
                         "by its transformer");
          break;
        case GK::ConstReplaced:
          Line += "replaced: new code reads " + It->second->NewSymbol;
          break;
        case GK::InitialiserChangedKept:
          Line += "shared (running value kept; its initialiser changed: "
                  "the new one if the running bytes are still the old one at "
                  "the update)";
          break;
        case GK::Removed:
          Line += "removed: old code only";
          break;
        case GK::Added:
          Line += "shared";
          break;
        }
      Globals.push_back(Line);
    }
  }
  for (const PatchPlan::FunctionChange &F : Plan.Functions)
    if (F.Kind == FK::Added)
      Functions.push_back("function " + F.Name + ": added: new function " +
                          F.NewSymbol + " with its own slot");
  for (const PatchPlan::GlobalChange &G : Plan.Globals)
    if (G.Kind == GK::Added)
      Globals.push_back("global " + G.Name + ": added: " + G.NewSymbol +
                        ", from its initialiser");
  std::sort(Functions.begin(), Functions.end());
  std::sort(Globals.begin(), Globals.end());
  std::string Out = "merge " + Old.VersionId + " -> " + New.VersionId + "\n";
  for (const std::string &L : Functions)
    Out += L + "\n";
  for (const std::string &L : Globals)
    Out += L + "\n";
  std::vector<PatchPlan::PointSafety> Points = mergeUpdatePoints(Plan);
  for (size_t I = 0; I < Points.size(); ++I) {
    const PatchPlan::PointSafety &P = Points[I];
    Out += "point " + std::to_string(I) + " " + P.File + ":" +
           std::to_string(P.Line) + ": ";
    if (P.Safe)
      Out += "update allowed";
    else if (!P.SafeContexts.empty())
      Out += "update allowed only when reached through " +
             std::to_string(P.SafeContexts.size()) +
             " safe call(s), else deferred: " + P.Reason;
    else
      Out += "update not allowed, deferred to a later point: " + P.Reason;
    Out += "\n";
  }
  (void)New;
  return Out;
}

Error dsu::writeMergedModule(const Module &M, StringRef Path) {
  std::error_code EC;
  raw_fd_ostream OS(Path, EC);
  if (EC)
    return failure(Path + ": " + EC.message());
  if (Path.ends_with(".ll"))
    M.print(OS, nullptr);
  else
    WriteBitcodeToFile(M, OS);
  return Error::success();
}

Error dsu::compileMerged(const Module &M, const ProgramModel &New,
                         StringRef ExePath) {
  auto Tmp = TempDir::create("dsu-merge-exe");
  if (!Tmp)
    return Tmp.takeError();
  std::string Bc = Tmp->file("merged.bc");
  if (Error E = writeMergedModule(M, Bc))
    return E;
  std::vector<std::string> Args = {clangPath(), "-O2"};
  for (const std::string &O : patchCodegenOptions(New))
    Args.push_back(O);
  for (const char *A :
       {"-Wno-unused-command-line-argument", "-Wno-override-module"})
    Args.push_back(A);
  Args.push_back(Bc);
  Args.push_back("-o");
  Args.push_back(ExePath.str());
  for (const char *A : {"-lm", "-lpthread", "-ldl"})
    Args.push_back(A);
  std::string Output;
  auto Rc = runProgramCapture(clangPath(), Args, Output);
  if (!Rc)
    return Rc.takeError();
  if (*Rc != 0)
    return failure("compiling the merged program failed:\n" +
                   StringRef(Output).rtrim());
  return Error::success();
}
