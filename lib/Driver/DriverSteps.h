//===- DriverSteps.h - dsu-cc's three steps, for each other -----*- C++ -*-===//
//
// Private to lib/Driver. runCompilerDriver (CompilerDriver.cpp) classifies
// the command line (CommandLine.cpp), compiles each C source into an
// updatable object (Compile.cpp) and links the program (Link.cpp); this
// header is what the three share.
//
//===----------------------------------------------------------------------===//
#ifndef DSU_DRIVER_DRIVERSTEPS_H
#define DSU_DRIVER_DRIVERSTEPS_H

#include "dsu/Driver/CompilerDriver.h"
#include "dsu/Support/Process.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <string>
#include <vector>

namespace dsu::driver {

//===-- Command line (CommandLine.cpp) ------------------------------------===//

/// A dsu-cc command line, classified.
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

/// Whether Args asks for something that makes no updatable object (-E, -S,
/// -M, --version, a language other than C, ...): clang-19 does it alone.
bool isPassthroughMode(const std::vector<std::string> &Args);

/// Classifies Args (Args[0] is the program name).
ParsedCommand parseCommandLine(const std::vector<std::string> &Args);

/// Whether Option takes the next argument as its value (-o, -I, -x, ...).
bool takesSeparateValue(llvm::StringRef Option);

/// The options that matter when compiling a TU's LLVM module to an object:
/// optimisation, debug info, code generation and target flags.
std::vector<std::string> codegenOptions(const std::vector<std::string> &All);

/// FILE.o for a source DIR/FILE.c.
std::string objectNameFor(llvm::StringRef Source);

//===-- Per-TU compile (Compile.cpp) --------------------------------------===//

/// Compiles one C source into an updatable object file. Warnings and, with
/// -fdsu-verbose, notes go to Log.
llvm::Error compileUnit(const ParsedCommand &P, const std::string &Source,
                        const std::string &Object, const DriverConfig &Config,
                        const TempDir &Tmp, unsigned Index,
                        llvm::raw_ostream &Log);

//===-- Link (Link.cpp) ---------------------------------------------------===//

/// Links the program from P's link line, Objects standing in for P's
/// sources in order. Returns the exit status (the linker's, if it failed
/// after printing why) or an error.
llvm::Expected<int> linkProgram(const ParsedCommand &P,
                                const std::vector<std::string> &Objects,
                                const DriverConfig &Config, const TempDir &Tmp,
                                llvm::raw_ostream &Log);

} // namespace dsu::driver

#endif
