#include "dsu/Driver/CompilerDriver.h"
#include "dsu/Frontend/ClangFrontend.h"
#include "dsu/Model/Manifest.h"
#include "dsu/Support/Process.h"
#include "dsu/Transform/Transform.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Transforms/Utils/Cloning.h"

#include <set>

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
  std::vector<std::string> Allocators;
  bool Verbose = false;
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
    if (StringRef(A).starts_with("-fdsu-allocator=")) {
      for (StringRef Name : split(StringRef(A).substr(16), ','))
        P.Allocators.push_back(Name.str());
      continue;
    }
    if (A == "-fdsu-verbose") {
      P.Verbose = true;
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

std::string objectNameFor(StringRef Source) {
  SmallString<128> Name(sys::path::filename(Source));
  sys::path::replace_extension(Name, ".o");
  return std::string(Name);
}

/// Compiles one C source into an updatable object file.
int compileOne(const ParsedCommand &P, const std::string &Source,
               const std::string &Object, const DriverConfig &Config,
               const TempDir &Tmp, unsigned Index) {
  std::vector<std::string> DriverArgs = {clangPath()};
  for (const std::string &O : P.CompileOptions)
    DriverArgs.push_back(O);
  DriverArgs.push_back("-I" + Config.IncludeDir);
  std::string TUName = tuIdentity(Source, P.TUName);
  // __FILE__ spells the TU identity, so that building v1/main.c and
  // v2/main.c does not make every function that mentions __FILE__ (update
  // points, assertions) look changed.
  if (TUName != Source && P.TUName.empty()) {
    StringRef Dir = sys::path::parent_path(Source);
    if (!Dir.empty())
      DriverArgs.push_back("-fmacro-prefix-map=" + Dir.str() + "/=");
  }
  DriverArgs.push_back("-c");
  DriverArgs.push_back(Source);
  DriverArgs.push_back("-o");
  DriverArgs.push_back(Object);

  auto TU = compileToIR(DriverArgs, P.Allocators);
  if (!TU) {
    // Clang has already printed its diagnostics with file and line.
    errs() << "dsu-cc: error: " << Source << ": " << toString(TU.takeError())
           << "\n";
    return 1;
  }
  Module &M = TU->module();
  auto Model = assignIdentities(M, TU->facts(), Source, TUName);
  if (!Model) {
    errs() << "dsu-cc: error: " << Source << ": "
           << toString(Model.takeError()) << "\n";
    return 1;
  }
  // The record stores the module as it is now: identities assigned, no
  // slots yet. `dsu patch` starts from this form.
  std::string Bitcode;
  {
    raw_string_ostream OS(Bitcode);
    WriteBitcodeToFile(M, OS);
  }
  std::string RecordPath = Tmp.file("tu" + std::to_string(Index) + ".rec");
  if (Error E = writeFile(RecordPath, encodeTURecord(*Model, Bitcode))) {
    errs() << "dsu-cc: error: " << toString(std::move(E)) << "\n";
    return 1;
  }
  SlotOptions Opts = executableSlotOptions(*Model);
  Opts.PIC = M.getPICLevel() != PICLevel::NotPIC &&
             M.getPIELevel() == PIELevel::Default;
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
      errs() << "dsu-cc: warning: " << toString(std::move(E)) << "\n";
    std::string ModelPath = KeepPath.substr(0, KeepPath.size() - 3) + ".model";
    ProgramModel One;
    One.TUs.push_back(*Model);
    if (Error E = writeFile(ModelPath, One.dump()))
      errs() << "dsu-cc: warning: " << toString(std::move(E)) << "\n";
  }
  if (Error E = TU->emitObject(M, Object)) {
    errs() << "dsu-cc: error: " << toString(std::move(E)) << "\n";
    return 1;
  }
  if (P.Verbose)
    errs() << "dsu-cc: " << Source << " -> " << Object << " (tu " << TUName
           << ", " << Model->Functions.size() << " functions, "
           << Model->Globals.size() << " globals)\n";
  return 0;
}

/// Writes the assembly that defines the version id for the link.
Expected<std::string> writeVersionObject(const std::vector<std::string> &Inputs,
                                         const TempDir &Tmp) {
  ProgramModel Program;
  for (const std::string &In : Inputs) {
    if (!sys::fs::exists(In))
      continue;
    auto Records = readTURecords(In);
    if (!Records) {
      consumeError(Records.takeError()); // not an object: the linker decides
      continue;
    }
    for (TURecord &R : *Records)
      Program.TUs.push_back(std::move(R.Model));
  }
  if (Error E = Program.validate())
    return std::move(E);
  std::string Id = Program.versionId();
  std::string Asm = "\t.section .rodata\n\t.globl __dsu_program_version\n"
                    "\t.type __dsu_program_version,@object\n"
                    "__dsu_program_version:\n\t.asciz \"" +
                    Id + "\"\n\t.size __dsu_program_version, 17\n"
                         "\t.section .dsu.version,\"\",@progbits\n\t.ascii \"" +
                    Id + "\"\n\t.section .note.GNU-stack,\"\",@progbits\n";
  std::string Path = Tmp.file("dsu-version.s");
  if (Error E = writeFile(Path, Asm))
    return std::move(E);
  return Path;
}

} // namespace

int dsu::runCompilerDriver(const std::vector<std::string> &Args,
                           const DriverConfig &Config) {
  std::string Clang = clangPath();
  if (Args.size() <= 1) {
    errs() << "dsu-cc: error: no input files\n";
    return 1;
  }
  if (isPassthroughMode(Args)) {
    std::vector<std::string> Pass = {Clang};
    Pass.insert(Pass.end(), Args.begin() + 1, Args.end());
    Pass.push_back("-I" + Config.IncludeDir);
    auto Rc = runProgram(Clang, Pass);
    if (!Rc) {
      errs() << "dsu-cc: error: " << toString(Rc.takeError()) << "\n";
      return 1;
    }
    return *Rc;
  }

  ParsedCommand P = parse(Args);
  if (P.Sources.empty() && !P.HasOtherInputs) {
    errs() << "dsu-cc: error: no input files\n";
    return 1;
  }
  if (P.CompileOnly && !P.Output.empty() && P.Sources.size() > 1) {
    errs() << "dsu-cc: error: cannot specify -o with -c and multiple files\n";
    return 1;
  }
  auto Tmp = TempDir::create("dsu-cc");
  if (!Tmp) {
    errs() << "dsu-cc: error: " << toString(Tmp.takeError()) << "\n";
    return 1;
  }

  std::vector<std::string> Objects;
  for (size_t I = 0; I < P.Sources.size(); ++I) {
    std::string Object;
    if (P.CompileOnly)
      Object = P.Output.empty() ? objectNameFor(P.Sources[I]) : P.Output;
    else
      Object = Tmp->file(std::to_string(I) + "-" + objectNameFor(P.Sources[I]));
    if (int Rc = compileOne(P, P.Sources[I], Object, Config, *Tmp, I))
      return Rc;
    Objects.push_back(Object);
  }
  if (P.CompileOnly)
    return 0;

  // Link: our objects in place of the sources, the version id, the runtime.
  std::vector<std::string> Link = {Clang};
  std::vector<std::string> Inputs;
  for (size_t I = 0, S = 0; I < P.LinkArgs.size(); ++I) {
    if (S < P.SourceLinkIndex.size() && P.SourceLinkIndex[S] == I) {
      Link.push_back(Objects[S]);
      Inputs.push_back(Objects[S]);
      ++S;
      continue;
    }
    Link.push_back(P.LinkArgs[I]);
    if (!P.LinkArgs[I].empty() && P.LinkArgs[I][0] != '-')
      Inputs.push_back(P.LinkArgs[I]);
  }
  auto VersionAsm = writeVersionObject(Inputs, *Tmp);
  if (!VersionAsm) {
    errs() << "dsu-cc: error: " << toString(VersionAsm.takeError()) << "\n";
    return 1;
  }
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
  if (!Rc) {
    errs() << "dsu-cc: error: " << toString(Rc.takeError()) << "\n";
    return 1;
  }
  return *Rc;
}
