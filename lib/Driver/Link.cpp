//===- Link.cpp - dsu-cc: the link, direct calls, the version id ----------===//
//
// The link (linkProgram), in order:
//
//  1. The link line: the objects compiled from the sources in their places;
//     every object and archive on it is read for TU records.
//  2. The program's direct calls (prepareLink): the whole-program answer of
//     lib/Analysis/UpdateReach.cpp, from every unit's record. An object of
//     one unit whose prediction (Compile.cpp) differs is compiled again
//     from its stored module, in parallel, and replaces the object on the
//     link line: usually a handful, the callers on the way to the update
//     points. An object of several units (a partial link) cannot be
//     replaced; it is an error if it calls directly where the program does
//     not allow it.
//  3. The version object (a placeholder id and the trusted keys), then
//     clang-19 links with libdsu (whole archive), an exported dynamic
//     symbol table (patches bind to the program), -ldl and -pthread.
//  4. Archive members named by -lNAME are not known before the link: after
//     it, the linked program's records say which units it took, and the
//     direct calls are decided again (settleDirectCalls). A member that
//     calls directly where the program does not allow it, or an object it
//     made active, is compiled again and the program linked again.
//  5. The version id, a hash of the units really linked, is written over
//     the placeholder (stampVersion).
//  6. With -fdsu-model-file the records move beside the program
//     (moveModelsBeside).
//
// A direct call where a slot would do is only slower; a direct call in a
// function that may be active would keep old code running after an update,
// so that is the one that is always corrected.
//
//===----------------------------------------------------------------------===//
#include "DriverSteps.h"

#include "dsu/Analysis/UpdateReach.h"
#include "dsu/Model/TURecord.h"
#include "dsu/Support/Error.h"
#include "dsu/Transform/Transform.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

using namespace dsu;
using namespace dsu::driver;
using namespace llvm;

namespace {

/// Which functions of the program call their unit's functions directly
/// (lib/Analysis/UpdateReach.cpp), or none with -fdsu-no-direct-calls.
void decideDirectCalls(ProgramModel &Program, bool DirectCalls) {
  if (DirectCalls) {
    markDirectCalls(Program);
    return;
  }
  for (TUModel &TU : Program.TUs)
    for (FunctionInfo &F : TU.Functions)
      F.DirectCalls = false;
}

/// Whether a unit's code (compiled as Compiled says) calls directly only
/// where Final allows it.
bool directCallsAllowed(const TUModel &Compiled, const TUModel &Final) {
  for (size_t I = 0; I < Compiled.Functions.size(); ++I)
    if (Compiled.Functions[I].DirectCalls &&
        (I >= Final.Functions.size() || !Final.Functions[I].DirectCalls))
      return false;
  return true;
}

bool sameDirectCalls(const TUModel &A, const TUModel &B) {
  if (A.Functions.size() != B.Functions.size())
    return false;
  for (size_t I = 0; I < A.Functions.size(); ++I)
    if (A.Functions[I].DirectCalls != B.Functions[I].DirectCalls)
      return false;
  return true;
}

/// Stands for the version id in the link, 16 characters like the id.
constexpr const char *VersionPlaceholder = "dsuVERSIONplace!";

/// Computes the version id of a linked program from the units it holds and
/// writes it over the placeholder (in .rodata and in .dsu.version); returns
/// the id.
Expected<std::string> stampVersion(const std::string &Output) {
  auto Records = readTURecords(Output);
  if (!Records)
    return Records.takeError();
  ProgramModel Program;
  for (TURecord &R : *Records)
    Program.TUs.push_back(std::move(R.Model));
  if (Error E = Program.validate())
    return E;
  std::string Id = Program.versionId();
  auto Bytes = MemoryBuffer::getFile(Output, /*IsText=*/false,
                                     /*RequiresNullTerminator=*/false);
  if (!Bytes)
    return createStringError(Bytes.getError(), "cannot read the program");
  std::string Data = (*Bytes)->getBuffer().str();
  StringRef Placeholder(VersionPlaceholder);
  if (Id.size() != Placeholder.size())
    return createStringError(inconvertibleErrorCode(),
                             "version id of unexpected length");
  size_t Count = 0;
  for (size_t At = Data.find(Placeholder.str()); At != std::string::npos;
       At = Data.find(Placeholder.str(), At + Id.size())) {
    Data.replace(At, Id.size(), Id);
    ++Count;
  }
  if (Count == 0)
    return createStringError(inconvertibleErrorCode(),
                             "the version placeholder is missing");
  sys::fs::file_status St;
  if (std::error_code EC = sys::fs::status(Output, St))
    return createStringError(EC, "cannot stat the program");
  if (Error E = writeFile(Output, Data))
    return E;
  if (std::error_code EC = sys::fs::setPermissions(Output, St.permissions()))
    return createStringError(EC, "cannot restore the program's mode");
  return Id;
}

/// -fdsu-model-file: moves the linked program's .dsu.tu section into
/// OUTPUT.dsu (with the version id, which the tools check against the
/// program's) and leaves in the program a .dsu.modelfile section naming it.
Error moveModelsBeside(const std::string &Output, const std::string &Id,
                       const TempDir &Tmp) {
  auto Section = readTUSection(Output);
  if (!Section)
    return Section.takeError();
  std::string ModelPath = Output + ModelFileSuffix;
  if (Error E = writeFile(ModelPath, encodeModelFile(Id, *Section)))
    return E;
  std::string NamePath = Tmp.file("dsu-modelfile");
  if (Error E = writeFile(NamePath, sys::path::filename(ModelPath).str()))
    return E;
  std::string ObjCopy =
      (sys::path::parent_path(DSU_CLANG_PATH) + "/llvm-objcopy").str();
  std::string Out;
  auto Rc = runProgramCapture(
      ObjCopy,
      {ObjCopy, std::string("--remove-section=") + TUSectionName,
       std::string("--add-section=") + ModelFileSectionName + "=" + NamePath,
       Output},
      Out);
  if (!Rc)
    return Rc.takeError();
  if (*Rc != 0)
    return createStringError(inconvertibleErrorCode(),
                             "moving the stored modules to " + ModelPath +
                                 " failed:\n" + Out);
  return Error::success();
}

/// The trusted public keys to embed, one 64-digit hex key a line, each
/// checked here so that a typo fails the build, not every later update.
Expected<std::string> readTrustedKeys(const std::vector<std::string> &Files) {
  std::string Keys;
  for (const std::string &F : Files) {
    auto Buf = readInputFile(F);
    if (!Buf)
      return Buf.takeError();
    StringRef Text = (*Buf)->getBuffer().trim();
    std::string Raw;
    if (Text.size() != 64 || !tryGetFromHex(Text, Raw))
      return createStringError(inconvertibleErrorCode(),
                               F + ": not a public key (64 hex digits, as "
                                   "dsu keygen writes KEY.pub)");
    Keys += Text.lower() + "\\n";
  }
  return Keys;
}

/// Writes the assembly that defines the version id for the link, and the
/// trusted keys (an allocated string the runtime reads) if there are any.
Expected<std::string> writeVersionObject(const std::string &Id,
                                         const TempDir &Tmp,
                                         const std::string &Keys) {
  std::string Asm = "\t.section .rodata\n\t.globl __dsu_program_version\n"
                    "\t.type __dsu_program_version,@object\n"
                    "__dsu_program_version:\n\t.asciz \"" +
                    Id +
                    "\"\n\t.size __dsu_program_version, 17\n"
                    "\t.section .dsu.version,\"\",@progbits\n\t.ascii \"" +
                    Id + "\"\n\t.section .note.GNU-stack,\"\",@progbits\n";
  if (!Keys.empty())
    Asm += "\t.section .rodata\n\t.globl __dsu_trusted_keys\n"
           "\t.type __dsu_trusted_keys,@object\n__dsu_trusted_keys:\n"
           "\t.asciz \"" +
           Keys + "\"\n";
  std::string Path = Tmp.file("dsu-version.s");
  if (Error E = writeFile(Path, Asm))
    return E;
  return Path;
}

/// An object file given to the link, with the TUs it holds.
struct LinkObject {
  std::string Path;
  std::vector<TURecord> Records;
  std::string Replacement; ///< Regenerated object, if any.
};

/// Compiles one TU's stored module again, now that the whole program is
/// known: functions that are never active at an update point call their own
/// TU's functions directly (lib/Analysis/UpdateReach.cpp).
Error regenerateObject(
    LinkObject &Obj, const TUModel &Updated,
    const std::map<std::string, const FunctionInfo *> &ProgramFunctions,
    const TempDir &Tmp, unsigned Index, bool Keep) {
  LLVMContext Ctx;
  const TURecord &R = Obj.Records.front();
  auto M = parseBitcodeFile(MemoryBufferRef(R.Bitcode, Updated.Source), Ctx);
  if (!M)
    return M.takeError();
  std::string Base = Tmp.file("link" + std::to_string(Index));
  if (Error E = writeFile(Base + ".rec", encodeTURecord(Updated, R.Bitcode)))
    return E;
  instrumentContexts(
      **M,
      [&](StringRef Symbol) -> const FunctionInfo * {
        auto It = ProgramFunctions.find(Symbol.str());
        return It == ProgramFunctions.end() ? nullptr : It->second;
      },
      /*OnlyPossiblyActive=*/true);
  SlotOptions Opts = executableSlotOptions(Updated);
  Opts.PIC = isSharedObjectCode(**M);
  installSlots(**M, Opts);
  embedSection(**M, TUSectionName, Base + ".rec");
  {
    std::error_code EC;
    raw_fd_ostream OS(Base + ".bc", EC);
    if (EC)
      return createStringError(EC, Base + ".bc: " + EC.message());
    WriteBitcodeToFile(**M, OS);
  }
  if (Keep) {
    std::error_code EC;
    raw_fd_ostream OS(Obj.Path + ".dsu.linked.ll", EC);
    if (!EC)
      (*M)->print(OS, nullptr);
  }
  std::vector<std::string> Args = {clangPath()};
  for (const std::string &O : Updated.CompileOptions)
    Args.push_back(O);
  for (const char *A : {"-Wno-unused-command-line-argument",
                        "-Wno-override-module", "-c", "-x", "ir"})
    Args.push_back(A);
  Args.push_back(Base + ".bc");
  Args.push_back("-o");
  Args.push_back(Base + ".o");
  std::string Output;
  auto Rc = runProgramCapture(clangPath(), Args, Output);
  if (!Rc)
    return Rc.takeError();
  if (*Rc != 0)
    return createStringError(inconvertibleErrorCode(),
                             "regenerating " + Obj.Path + " failed:\n" +
                                 Output);
  Obj.Replacement = Base + ".o";
  return Error::success();
}

/// Reads the program's models from the link inputs, decides which functions
/// call directly, regenerates the objects that benefit, and returns the
/// version id. Objects that were regenerated get Replacement set.
Expected<std::string> prepareLink(std::vector<LinkObject> &Objects,
                                  const std::vector<std::string> &Archives,
                                  const TempDir &Tmp, bool DirectCalls,
                                  bool Keep, raw_ostream *Notes) {
  ProgramModel Program;
  for (LinkObject &O : Objects) {
    auto Records = readTURecords(O.Path);
    if (!Records) {
      consumeError(Records.takeError()); // not an object: the linker decides
      continue;
    }
    O.Records = std::move(*Records);
    for (const TURecord &R : O.Records)
      Program.TUs.push_back(R.Model);
  }
  size_t FromObjects = Program.TUs.size();
  for (const std::string &A : Archives) {
    auto Records = readTURecords(A);
    if (!Records) {
      consumeError(Records.takeError());
      continue;
    }
    for (TURecord &R : *Records)
      Program.TUs.push_back(std::move(R.Model));
  }
  if (Error E = Program.validate())
    return E;
  // What each unit's object was compiled with (its record), then what the
  // whole program allows.
  std::vector<TUModel> Compiled(Program.TUs.begin(),
                                Program.TUs.begin() + FromObjects);
  decideDirectCalls(Program, DirectCalls);
  // An object of one unit is compiled again if it decided otherwise than
  // the program (compileUnit's prediction missed). An object holding several
  // units (a partial link) cannot be replaced: it must not call directly
  // where the program does not allow it. Units in archives are checked
  // after the link, which says which of them it took (settleDirectCalls).
  size_t TUIndex = 0;
  for (LinkObject &O : Objects) {
    size_t N = O.Records.size();
    if (N != 1)
      for (size_t I = 0; I < N; ++I)
        for (FunctionInfo &F : Program.TUs[TUIndex + I].Functions)
          F.DirectCalls = false;
    TUIndex += N;
  }
  std::map<std::string, const FunctionInfo *> ProgramFunctions =
      Program.functionsByLinkName();
  TUIndex = 0;
  std::vector<std::pair<LinkObject *, const TUModel *>> Work;
  for (LinkObject &O : Objects) {
    size_t N = O.Records.size();
    if (N == 1 && !sameDirectCalls(Compiled[TUIndex], Program.TUs[TUIndex]))
      Work.push_back({&O, &Program.TUs[TUIndex]});
    if (N > 1)
      for (size_t I = TUIndex; I < TUIndex + N; ++I)
        if (!directCallsAllowed(Compiled[I], Program.TUs[I]))
          return createStringError(
              inconvertibleErrorCode(),
              O.Path + " holds several units (a partial link) and unit " +
                  Program.TUs[I].TU +
                  " calls directly where this program does not allow it: "
                  "link their objects one by one, or compile them with "
                  "-fdsu-no-direct-calls");
    TUIndex += N;
  }
  // Regenerate in parallel; each job is an independent clang process.
  std::vector<Error> Errors;
  std::mutex Lock;
  std::atomic<size_t> Next{0};
  unsigned Threads = std::max(
      1u, std::min<unsigned>(std::thread::hardware_concurrency(), Work.size()));
  std::vector<std::thread> Pool;
  for (unsigned T = 0; T < Threads; ++T)
    Pool.emplace_back([&] {
      for (size_t I; (I = Next++) < Work.size();) {
        if (Error E =
                regenerateObject(*Work[I].first, *Work[I].second,
                                 ProgramFunctions, Tmp, unsigned(I), Keep)) {
          std::lock_guard<std::mutex> G(Lock);
          Errors.push_back(std::move(E));
        }
      }
    });
  for (std::thread &T : Pool)
    T.join();
  for (Error &E : Errors)
    return std::move(E);
  if (Notes)
    *Notes << "dsu-cc: link: " << Work.size() << " of " << Objects.size()
           << " objects compiled again for the program's direct calls\n";
  return Program.versionId();
}

/// The link took units prepareLink did not see (archive members pulled in
/// by -lNAME): now that the program is complete, every unit must call
/// directly only where the whole program allows it (such a member may be
/// what makes a function of an object active). An object of the link line
/// that decided otherwise is compiled again and replaced in Link; an
/// archive member that calls directly where it must not is compiled again
/// into an object put ahead of the archives (it defines every symbol of the
/// member, so the linker takes it instead). Returns whether Link changed.
Expected<bool>
settleDirectCalls(const std::string &Output, bool DirectCalls,
                  std::vector<LinkObject> &Objects,
                  const std::vector<std::pair<size_t, size_t>> &ObjectAt,
                  std::vector<std::string> &Link, const TempDir &Tmp,
                  raw_ostream *Notes) {
  auto Records = readTURecords(Output);
  if (!Records)
    return Records.takeError();
  ProgramModel Program;
  for (const TURecord &R : *Records)
    Program.TUs.push_back(R.Model);
  decideDirectCalls(Program, DirectCalls);
  std::map<std::string, const FunctionInfo *> ProgramFunctions =
      Program.functionsByLinkName();
  // Which object of the link line each unit came from.
  std::map<std::string, size_t> LinkIndexOf;    // single-unit objects
  std::map<std::string, std::string> InSeveral; // unit -> object path
  for (auto [LinkIndex, ObjIndex] : ObjectAt) {
    const LinkObject &O = Objects[ObjIndex];
    for (const TURecord &R : O.Records)
      if (O.Records.size() == 1)
        LinkIndexOf[R.Model.TU] = LinkIndex;
      else
        InSeveral[R.Model.TU] = O.Path;
  }
  std::vector<std::string> Shadows;
  size_t Replaced = 0;
  for (size_t I = 0; I < Records->size(); ++I) {
    const TUModel &Now = (*Records)[I].Model, &Final = Program.TUs[I];
    auto Single = LinkIndexOf.find(Now.TU);
    if (Single != LinkIndexOf.end() ? sameDirectCalls(Now, Final)
                                    : directCallsAllowed(Now, Final))
      continue;
    if (auto It = InSeveral.find(Now.TU); It != InSeveral.end())
      return createStringError(
          inconvertibleErrorCode(),
          It->second + " holds several units (a partial link) and unit " +
              Now.TU +
              " calls directly where this program does not allow "
              "it: link their objects one by one, or compile them with "
              "-fdsu-no-direct-calls");
    LinkObject L{Single != LinkIndexOf.end()
                     ? Link[Single->second]
                     : "an archive member (" + Now.Source + ")",
                 {std::move((*Records)[I])},
                 ""};
    if (Error E = regenerateObject(L, Final, ProgramFunctions, Tmp,
                                   unsigned(100000 + I), /*Keep=*/false))
      return E;
    if (Single != LinkIndexOf.end()) {
      Link[Single->second] = L.Replacement;
      ++Replaced;
    } else {
      Shadows.push_back(L.Replacement);
    }
  }
  if (Notes && (Replaced || !Shadows.empty()))
    *Notes << "dsu-cc: link: with the archive members it took, " << Replaced
           << " objects and " << Shadows.size()
           << " archive members compiled again; linking again\n";
  Link.insert(Link.begin() + 1, Shadows.begin(), Shadows.end());
  return Replaced || !Shadows.empty();
}

} // namespace

Expected<int> driver::linkProgram(const ParsedCommand &P,
                                  const std::vector<std::string> &Objects,
                                  const DriverConfig &Config,
                                  const TempDir &Tmp, raw_ostream &Log) {
  std::string Clang = clangPath();
  // Our objects in place of the sources, the version id, the runtime.
  std::vector<LinkObject> LinkObjects;
  std::vector<std::string> Archives;
  std::vector<std::pair<size_t, size_t>> ObjectAt; // link index -> object
  std::vector<std::string> Link = {Clang};
  for (size_t I = 0, S = 0; I < P.LinkArgs.size(); ++I) {
    std::string Arg = P.LinkArgs[I];
    if (S < P.SourceLinkIndex.size() && P.SourceLinkIndex[S] == I)
      Arg = Objects[S++];
    else if (Arg.empty() || Arg[0] == '-' || !sys::fs::exists(Arg) ||
             (I > 0 && takesSeparateValue(P.LinkArgs[I - 1]))) {
      Link.push_back(Arg);
      continue;
    }
    if (StringRef(Arg).ends_with(".a")) {
      Archives.push_back(Arg);
    } else {
      ObjectAt.push_back({Link.size(), LinkObjects.size()});
      LinkObjects.push_back({Arg, {}, ""});
    }
    Link.push_back(Arg);
  }
  auto VersionId = prepareLink(LinkObjects, Archives, Tmp, P.DirectCalls,
                               P.Keep, P.Verbose ? &Log : nullptr);
  if (!VersionId)
    return VersionId.takeError();
  for (auto [LinkIndex, ObjIndex] : ObjectAt)
    if (!LinkObjects[ObjIndex].Replacement.empty())
      Link[LinkIndex] = LinkObjects[ObjIndex].Replacement;
  auto Keys = readTrustedKeys(P.TrustedKeyFiles);
  if (!Keys)
    return Keys.takeError();
  // The version id is settled after the link, from the units the linker
  // really took (archive members pulled in by -lNAME, say): the link
  // writes a placeholder of the same length.
  auto VersionAsm = writeVersionObject(VersionPlaceholder, Tmp, *Keys);
  if (!VersionAsm)
    return VersionAsm.takeError();
  Link.push_back(*VersionAsm);
  if (!P.Output.empty()) {
    Link.push_back("-o");
    Link.push_back(P.Output);
  }
  Link.push_back("-Wl,--export-dynamic");
  Link.push_back("-Wl,--whole-archive");
  Link.push_back(Config.LibDir + "/libdsu.a");
  Link.push_back("-Wl,--no-whole-archive");
  Link.push_back("-ldl");
  Link.push_back("-pthread");
  auto Rc = runProgram(Clang, Link);
  if (!Rc || *Rc != 0) // the linker has said why
    return Rc;
  std::string Output = P.Output.empty() ? "a.out" : P.Output;
  // A second link only when the first took archive members that change
  // the program's decisions.
  auto Changed = settleDirectCalls(Output, P.DirectCalls, LinkObjects, ObjectAt,
                                   Link, Tmp, P.Verbose ? &Log : nullptr);
  if (!Changed) {
    sys::fs::remove(Output);
    return failure(Output + ": " + toString(Changed.takeError()));
  }
  if (*Changed) {
    Rc = runProgram(Clang, Link);
    if (!Rc || *Rc != 0)
      return Rc;
  }
  auto Id = stampVersion(Output);
  if (!Id) {
    sys::fs::remove(Output);
    return failure(Output + ": " + toString(Id.takeError()));
  }
  if (P.ModelFile) {
    if (Error E = moveModelsBeside(Output, *Id, Tmp)) {
      sys::fs::remove(Output);
      return failure(Output + ": " + toString(std::move(E)));
    }
  }
  return 0;
}
