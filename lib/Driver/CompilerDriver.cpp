//===- CompilerDriver.cpp - dsu-cc: compile, link, version id -------------===//
//
// dsu-cc compiles each C file in-process (lib/Frontend), names and hashes its
// functions, stores its model and updatable module in the object's .dsu.tu
// record, installs slots and emits the object; the link adds the version id
// and libdsu.
//
// Compiling each unit once. A function that can never be on the stack at
// an update point calls its own unit's functions directly (so they inline);
// which functions those are is a whole-program question
// (lib/Analysis/UpdateReach.cpp), answered at the link. Answering it only
// there meant compiling every unit twice, the second time at the link, which
// doubled the build. Instead each object is compiled with the answer its
// unit alone gives when no other unit's function is taken to be active (for
// most units of most programs the same answer: they do not lead to an
// update point), and records that answer in its model. The link computes
// the program's answer and compiles again only the objects whose answer
// differs (prepareLink): the callers on the way to the update
// points, usually a handful. Archive members named by -lNAME are not known
// before the link; after it, the units it took are checked again
// (settleDirectCalls): a member that calls directly where the program does
// not allow it, or an object it made active, is compiled again and the
// program linked again. A direct call where a slot would do is only slower;
// a direct call in a function that may be active would keep old code
// running after an update, so that is the one that is always corrected.
//
//===----------------------------------------------------------------------===//
#include "dsu/Driver/CompilerDriver.h"
#include "dsu/Frontend/ClangFrontend.h"
#include "dsu/Model/TURecord.h"
#include "dsu/Support/Error.h"
#include "dsu/Support/Process.h"
#include "dsu/Transform/Transform.h"

#include "dsu/Analysis/UpdateReach.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Transforms/Utils/Cloning.h"

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

using namespace dsu;
using namespace llvm;

namespace {

/// Options whose value is the next argument.
const std::set<std::string> SeparateValueOptions = {
    "-o",        "-I",         "-D",         "-U",        "-include",
    "-imacros",  "-isystem",   "-idirafter", "-iquote",   "-MF",
    "-MT",       "-MQ",        "-x",         "-L",        "-l",
    "-Xlinker",  "-Xclang",    "-Xassembler", "-Xpreprocessor", "-target",
    "-T",        "-u",         "-z",         "-e",        "-isysroot",
    "-aux-info", "-arch",      "-iprefix",   "-iwithprefix", "-imultilib",
    "--param",   "-Xarch_host"};

/// Options that only matter to the linker (kept out of compile commands).
bool isLinkOnly(StringRef A) {
  return A.starts_with("-l") || A.starts_with("-L") || A.starts_with("-Wl,") ||
         A == "-shared" || A == "-static" || A == "-rdynamic" ||
         A == "-pie" || A == "-no-pie" || A == "-s" ||
         A.starts_with("-fuse-ld") || A == "-Xlinker" || A == "-T" ||
         A == "-u" || A == "-z" || A == "-e" || A == "-nostdlib" ||
         A == "-nostartfiles" || A == "-nodefaultlibs";
}

bool isCSource(StringRef Path) {
  return Path.ends_with(".c") || Path.ends_with(".i");
}

bool isPassthroughMode(const std::vector<std::string> &Args) {
  for (size_t I = 1; I < Args.size(); ++I) {
    StringRef A = Args[I];
    if (A == "-E" || A == "-S" || A == "-M" || A == "-MM" || A == "-###" ||
        A == "--version" || A == "-dumpversion" || A == "-dumpmachine" ||
        A.starts_with("-print-") || A == "-fsyntax-only" ||
        A == "-emit-llvm" || A == "--help")
      return true;
    if ((A == "-x") && I + 1 < Args.size() && Args[I + 1] != "c" &&
        Args[I + 1] != "none")
      return true;
  }
  return false;
}

struct ParsedCommand {
  std::vector<std::string> CompileOptions; ///< For every C source.
  std::vector<std::string> LinkArgs;       ///< In order, sources replaced.
  std::vector<std::string> Sources;
  std::vector<size_t> SourceLinkIndex; ///< Where each source sits in LinkArgs.
  std::string Output;
  bool CompileOnly = false;
  bool HasOtherInputs = false;
  std::string KeepDir;
  bool Keep = false;
  std::string TUName;
  std::string TURoot;
  std::vector<std::string> Allocators;
  /// Allocator -> its own deallocator (-fdsu-allocator=zmalloc:zfree).
  std::map<std::string, std::string> Deallocators;
  bool Verbose = false;
  bool DirectCalls = true;
  bool HeapTracking = true;
  bool LoopExtraction = true;
  /// Keep the stored modules beside the linked program (OUTPUT.dsu).
  bool ModelFile = false;
  /// Public key files (-fdsu-trusted-key=FILE): the program loads only
  /// patches signed by one of them.
  std::vector<std::string> TrustedKeyFiles;
};

ParsedCommand parse(const std::vector<std::string> &Args) {
  ParsedCommand P;
  for (size_t I = 1; I < Args.size(); ++I) {
    const std::string &A = Args[I];
    if (A == "-c") {
      P.CompileOnly = true;
      continue;
    }
    if (A == "-o" && I + 1 < Args.size()) {
      P.Output = Args[++I];
      continue;
    }
    if (StringRef(A).starts_with("-fdsu-keep")) {
      P.Keep = true;
      if (size_t Eq = A.find('='); Eq != std::string::npos)
        P.KeepDir = A.substr(Eq + 1);
      continue;
    }
    if (StringRef(A).starts_with("-fdsu-tu-name=")) {
      P.TUName = A.substr(strlen("-fdsu-tu-name="));
      continue;
    }
    if (StringRef(A).starts_with("-fdsu-tu-root=")) {
      P.TURoot = A.substr(strlen("-fdsu-tu-root="));
      continue;
    }
    if (StringRef(A).starts_with("-fdsu-allocator=")) {
      for (StringRef Name : split(StringRef(A).substr(16), ',')) {
        auto [Alloc, Free] = Name.split(':');
        P.Allocators.push_back(Alloc.str());
        if (!Free.empty())
          P.Deallocators[Alloc.str()] = Free.str();
      }
      continue;
    }
    if (StringRef(A).starts_with("-fdsu-trusted-key=")) {
      P.TrustedKeyFiles.push_back(A.substr(strlen("-fdsu-trusted-key=")));
      continue;
    }
    if (A == "-fdsu-verbose") {
      P.Verbose = true;
      continue;
    }
    if (A == "-fdsu-no-direct-calls") {
      P.DirectCalls = false;
      continue;
    }
    if (A == "-fdsu-no-loop-extraction") {
      P.LoopExtraction = false;
      continue;
    }
    if (A == "-fdsu-no-heap-tracking") {
      P.HeapTracking = false;
      continue;
    }
    if (A == "-fdsu-model-file") {
      P.ModelFile = true;
      continue;
    }
    if (SeparateValueOptions.count(A) && I + 1 < Args.size()) {
      std::string V = Args[++I];
      if (isLinkOnly(A)) {
        P.LinkArgs.push_back(A);
        P.LinkArgs.push_back(V);
      } else {
        P.CompileOptions.push_back(A);
        P.CompileOptions.push_back(V);
        P.LinkArgs.push_back(A);
        P.LinkArgs.push_back(V);
      }
      continue;
    }
    if (!A.empty() && A[0] == '-') {
      if (!isLinkOnly(A))
        P.CompileOptions.push_back(A);
      P.LinkArgs.push_back(A);
      continue;
    }
    if (isCSource(A)) {
      P.Sources.push_back(A);
      P.SourceLinkIndex.push_back(P.LinkArgs.size());
      P.LinkArgs.push_back(A); // replaced by the object later
      continue;
    }
    P.HasOtherInputs = true;
    P.LinkArgs.push_back(A);
  }
  return P;
}

/// The options that matter when compiling a TU's LLVM module to an object:
/// optimisation, debug info, code generation and target flags.
std::vector<std::string> codegenOptions(const std::vector<std::string> &All) {
  std::vector<std::string> Out;
  for (size_t I = 0; I < All.size(); ++I) {
    StringRef A = All[I];
    if (A == "-target" || A == "-arch") {
      if (I + 1 < All.size()) {
        Out.push_back(All[I]);
        Out.push_back(All[++I]);
      }
      continue;
    }
    if (SeparateValueOptions.count(All[I])) {
      ++I; // a preprocessor or linker option with its value
      continue;
    }
    if (A.starts_with("-fmacro-prefix-map") || A.starts_with("-fdsu"))
      continue;
    if (A.starts_with("-O") || A.starts_with("-g") || A.starts_with("-f") ||
        A.starts_with("-m") || A.starts_with("--target=") || A == "-pthread")
      Out.push_back(All[I]);
  }
  return Out;
}

std::string objectNameFor(StringRef Source) {
  SmallString<128> Name(sys::path::filename(Source));
  sys::path::replace_extension(Name, ".o");
  return std::string(Name);
}

/// Finds a function of TU by its symbol (for instrumentContexts).
std::function<const FunctionInfo *(StringRef)>
functionLookup(const TUModel &TU) {
  auto BySymbol =
      std::make_shared<std::map<std::string, const FunctionInfo *>>();
  for (const FunctionInfo &F : TU.Functions)
    (*BySymbol)[F.Symbol] = &F;
  return [BySymbol](StringRef Symbol) -> const FunctionInfo * {
    auto It = BySymbol->find(Symbol.str());
    return It == BySymbol->end() ? nullptr : It->second;
  };
}

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

/// The program's functions by symbol, and the external ones by their plain
/// name too (calls across units name them so), for instrumentContexts.
std::map<std::string, const FunctionInfo *>
programFunctions(const ProgramModel &Program) {
  std::map<std::string, const FunctionInfo *> Functions =
      Program.functionsBySymbol();
  for (const auto &[Plain, Symbol] : Program.externalSymbols())
    if (auto It = Functions.find(Symbol); It != Functions.end())
      Functions.emplace(Plain, It->second);
  return Functions;
}

/// Sets F.DirectCalls in one unit's model as the link would if no function
/// of another unit were active at an update point: calls to functions not
/// defined here and not declared in system headers (Library) are taken to
/// be calls to such functions and dropped; library calls keep the
/// analysis' rule (they may call back).
void predictDirectCalls(TUModel &Model, const std::set<std::string> &Library) {
  std::set<std::string> Here;
  for (const FunctionInfo &F : Model.Functions) {
    Here.insert(F.Symbol);
    Here.insert(F.Name);
  }
  ProgramModel One;
  One.TUs.push_back(Model);
  for (FunctionInfo &F : One.TUs[0].Functions)
    llvm::erase_if(F.Callees, [&](const std::string &Callee) {
      return !Here.count(Callee) && !Library.count(Callee);
    });
  markDirectCalls(One);
  for (size_t I = 0; I < Model.Functions.size(); ++I)
    Model.Functions[I].DirectCalls = One.TUs[0].Functions[I].DirectCalls;
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

/// Compiles one C source into an updatable object file. Warnings and, with
/// -fdsu-verbose, notes go to Log.
Error compileOne(const ParsedCommand &P, const std::string &Source,
                 const std::string &Object, const DriverConfig &Config,
                 const TempDir &Tmp, unsigned Index, raw_ostream &Log) {
  std::vector<std::string> DriverArgs = {clangPath()};
  for (const std::string &O : P.CompileOptions)
    DriverArgs.push_back(O);
  DriverArgs.push_back("-I" + Config.IncludeDir);
  std::string TUName = tuIdentity(Source, P.TUName, P.TURoot);
  // __FILE__ spells the TU identity, so that building v1/main.c and
  // v2/main.c does not make every function that mentions __FILE__ (update
  // points, assertions) look changed.
  if (P.TUName.empty() && StringRef(Source).ends_with(TUName) &&
      Source.size() > TUName.size())
    DriverArgs.push_back("-fmacro-prefix-map=" +
                         Source.substr(0, Source.size() - TUName.size()) + "=");
  DriverArgs.push_back("-c");
  DriverArgs.push_back(Source);
  DriverArgs.push_back("-o");
  DriverArgs.push_back(Object);

  auto TU = compileToIR(DriverArgs, P.Allocators);
  if (!TU) // clang has already printed its diagnostics with file and line
    return failure(Source + ": " + toString(TU.takeError()));
  Module &M = TU->module();
  // The loop holding an update point calls its body through a slot, so a
  // change to it takes effect at the next iteration.
  if (P.LoopExtraction)
    extractUpdateLoops(M);
  auto Model = assignIdentities(M, TU->facts(), Source, TUName);
  if (!Model)
    return failure(Source + ": " + toString(Model.takeError()));
  Model->CompileOptions = codegenOptions(P.CompileOptions);
  // Heap tracking is part of the stored module, so patches track too.
  if (P.HeapTracking)
    instrumentAllocations(M, *Model, P.Deallocators);
  instrumentThreads(M);
  // The link decides which functions call their unit's functions directly
  // (lib/Analysis/UpdateReach.cpp) and compiles again every unit whose
  // object decided otherwise. Deciding here from this unit alone, with the
  // other units' functions taken as never active, is what the whole
  // program decides for most units (all of them when no update point is
  // reachable from them), so the link keeps most objects as they are.
  if (P.DirectCalls)
    predictDirectCalls(*Model, TU->facts().SystemFunctions);
  // The record stores the module as it is now: identities assigned, no
  // slots yet. `dsu patch` starts from this form.
  std::string Bitcode;
  {
    raw_string_ostream OS(Bitcode);
    WriteBitcodeToFile(M, OS);
  }
  std::string RecordPath = Tmp.file("tu" + std::to_string(Index) + ".rec");
  if (Error E = writeFile(RecordPath, encodeTURecord(*Model, Bitcode)))
    return E;
  // Calls that may lead to an update point, as this unit's prediction sees
  // them; the link compiles the unit again where the program decides
  // otherwise (calls to other units' functions are all recorded here).
  instrumentContexts(M, functionLookup(*Model), /*OnlyPossiblyActive=*/true);
  SlotOptions Opts = executableSlotOptions(*Model);
  Opts.PIC = isSharedObjectCode(M);
  installSlots(M, Opts);
  embedSection(M, TUSectionName, RecordPath);

  if (P.Keep) {
    std::string KeepDir = P.KeepDir;
    if (KeepDir.empty() && !P.CompileOnly) {
      KeepDir = sys::path::parent_path(P.Output).str();
      if (KeepDir.empty())
        KeepDir = ".";
    }
    std::string KeepPath =
        KeepDir.empty() ? Object + ".dsu.ll"
                        : (KeepDir + "/" + objectNameFor(Source) + ".dsu.ll");
    if (Error E = TU->emitIR(M, KeepPath))
      Log << "dsu-cc: warning: " << toString(std::move(E)) << "\n";
    std::string ModelPath = KeepPath.substr(0, KeepPath.size() - 3) + ".model";
    ProgramModel One;
    One.TUs.push_back(*Model);
    if (Error E = writeFile(ModelPath, One.dump()))
      Log << "dsu-cc: warning: " << toString(std::move(E)) << "\n";
  }
  if (Error E = TU->emitObject(M, Object))
    return E;
  if (P.Verbose)
    Log << "dsu-cc: " << Source << " -> " << Object << " (tu " << TUName << ", "
        << Model->Functions.size() << " functions, " << Model->Globals.size()
        << " globals)\n";
  return Error::success();
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
  if (Error E = writeFile(NamePath,
                          sys::path::filename(ModelPath).str()))
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
                    Id + "\"\n\t.size __dsu_program_version, 17\n"
                         "\t.section .dsu.version,\"\",@progbits\n\t.ascii \"" +
                    Id + "\"\n\t.section .note.GNU-stack,\"\",@progbits\n";
  if (!Keys.empty())
    Asm += "\t.section .rodata\n\t.globl __dsu_trusted_keys\n"
           "\t.type __dsu_trusted_keys,@object\n__dsu_trusted_keys:\n"
           "\t.asciz \"" + Keys + "\"\n";
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
  // the program (compileOne's prediction missed). An object holding several
  // units (a partial link) cannot be replaced: it must not call directly
  // where the program does not allow it. Units in archives are checked
  // after the link, which says which of them it took (shadowArchiveUnits).
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
      programFunctions(Program);
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
  unsigned Threads =
      std::max(1u, std::min<unsigned>(std::thread::hardware_concurrency(),
                                      Work.size()));
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
      programFunctions(Program);
  // Which object of the link line each unit came from.
  std::map<std::string, size_t> LinkIndexOf; // single-unit objects
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
              Now.TU + " calls directly where this program does not allow "
              "it: link their objects one by one, or compile them with "
              "-fdsu-no-direct-calls");
    LinkObject L{Single != LinkIndexOf.end() ? Link[Single->second]
                                             : "an archive member (" +
                                                   Now.Source + ")",
                 {std::move((*Records)[I])}, ""};
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

Expected<int> dsu::runCompilerDriver(const std::vector<std::string> &Args,
                                     const DriverConfig &Config,
                                     raw_ostream &Log) {
  std::string Clang = clangPath();
  if (Args.size() <= 1) {
    return failure("no input files");
  }
  if (isPassthroughMode(Args)) {
    std::vector<std::string> Pass = {Clang};
    Pass.insert(Pass.end(), Args.begin() + 1, Args.end());
    Pass.push_back("-I" + Config.IncludeDir);
    return runProgram(Clang, Pass);
  }

  ParsedCommand P = parse(Args);
  if (P.Sources.empty() && !P.HasOtherInputs) {
    return failure("no input files");
  }
  if (P.CompileOnly && !P.Output.empty() && P.Sources.size() > 1)
    return failure("cannot specify -o with -c and multiple files");
  auto Tmp = TempDir::create("dsu-cc");
  if (!Tmp)
    return Tmp.takeError();

  std::vector<std::string> Objects;
  for (size_t I = 0; I < P.Sources.size(); ++I) {
    std::string Object;
    if (P.CompileOnly)
      Object = P.Output.empty() ? objectNameFor(P.Sources[I]) : P.Output;
    else
      Object = Tmp->file(std::to_string(I) + "-" + objectNameFor(P.Sources[I]));
    if (Error E = compileOne(P, P.Sources[I], Object, Config, *Tmp, I, Log))
      return std::move(E);
    Objects.push_back(Object);
  }
  if (P.CompileOnly)
    return 0;

  // Link: our objects in place of the sources, the version id, the runtime.
  std::vector<LinkObject> LinkObjects;
  std::vector<std::string> Archives;
  std::vector<std::pair<size_t, size_t>> ObjectAt; // link index -> object
  std::vector<std::string> Link = {Clang};
  for (size_t I = 0, S = 0; I < P.LinkArgs.size(); ++I) {
    std::string Arg = P.LinkArgs[I];
    if (S < P.SourceLinkIndex.size() && P.SourceLinkIndex[S] == I)
      Arg = Objects[S++];
    else if (Arg.empty() || Arg[0] == '-' || !sys::fs::exists(Arg) ||
             (I > 0 && SeparateValueOptions.count(P.LinkArgs[I - 1]))) {
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
  auto VersionId = prepareLink(LinkObjects, Archives, *Tmp, P.DirectCalls,
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
  auto VersionAsm = writeVersionObject(VersionPlaceholder, *Tmp, *Keys);
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
                                   Link, *Tmp, P.Verbose ? &Log : nullptr);
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
    if (Error E = moveModelsBeside(Output, *Id, *Tmp)) {
      sys::fs::remove(Output);
      return failure(Output + ": " + toString(std::move(E)));
    }
  }
  (void)VersionId;
  return 0;
}
