//===- CompilerDriver.cpp - dsu-cc: classify, compile, link ---------------===//
//
// dsu-cc is cc with an updatable pipeline. runCompilerDriver classifies the
// command line (CommandLine.cpp; a command that makes no updatable object
// goes to clang-19 whole), compiles each C source into an updatable object
// (Compile.cpp: in-process clang-19, identities, the TU record, slots), and
// unless -c links the program (Link.cpp: the program's direct calls, libdsu,
// the version id). Errors are returned for dsu-cc to print once; clang-19's
// own diagnostics (compile errors, the linker's) are printed by clang.
//
//===----------------------------------------------------------------------===//
#include "DriverSteps.h"

#include "dsu/Support/Error.h"
#include "dsu/Support/Process.h"

using namespace dsu;
using namespace dsu::driver;
using namespace llvm;

Expected<int> dsu::runCompilerDriver(const std::vector<std::string> &Args,
                                     const DriverConfig &Config,
                                     raw_ostream &Log) {
  std::string Clang = clangPath();
  if (Args.size() <= 1)
    return failure("no input files");
  if (isPassthroughMode(Args)) {
    std::vector<std::string> Pass = {Clang};
    Pass.insert(Pass.end(), Args.begin() + 1, Args.end());
    Pass.push_back("-I" + Config.IncludeDir);
    return runProgram(Clang, Pass);
  }

  ParsedCommand P = parseCommandLine(Args);
  if (P.Sources.empty() && !P.HasOtherInputs)
    return failure("no input files");
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
    if (Error E = compileUnit(P, P.Sources[I], Object, Config, *Tmp, I, Log))
      return E;
    Objects.push_back(Object);
  }
  if (P.CompileOnly)
    return 0;

  return linkProgram(P, Objects, Config, *Tmp, Log);
}
