//===- CommandLine.cpp - dsu-cc: classifying the command line -------------===//
//
// dsu-cc takes cc's command line and reads it once, left to right:
//
//  1. A command that makes no updatable object (-E, -S, -M, -fsyntax-only,
//     --version, -print-*, -x with a language other than C) is recognised
//     first and handed to clang-19 whole (isPassthroughMode).
//  2. dsu-cc's own options (-fdsu-*) are consumed here and go nowhere else.
//  3. An option whose value is the next argument (-o, -I, -x, -l, ...) is
//     taken with its value, so that the value is never read as an input.
//  4. Every other option goes to the link in its place, and to every
//     compile unless only the linker reads it (-l, -L, -Wl,..., -shared,
//     -static, -nostdlib, ...).
//  5. A C source (.c, .i) is compiled through the updatable pipeline; its
//     place on the link line is remembered, and its object takes it.
//  6. Anything else (objects, archives, assembly) is a link input.
//
// Keeping the link line in its original order keeps the linker's archive
// rules: an archive resolves only what the inputs before it need.
//
// A stored module compiled again later (at the link, or in a patch) needs
// only the code-generation subset of the compile options (codegenOptions):
// -O, -g, -f, -m and the target; preprocessor and link options no longer
// matter to it.
//
//===----------------------------------------------------------------------===//
#include "DriverSteps.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Path.h"

#include <cstring>
#include <set>

using namespace dsu;
using namespace dsu::driver;
using namespace llvm;

namespace {

/// Options whose value is the next argument.
// clang-format off
const std::set<std::string> SeparateValueOptions = {
    "-o",        "-I",         "-D",         "-U",        "-include",
    "-imacros",  "-isystem",   "-idirafter", "-iquote",   "-MF",
    "-MT",       "-MQ",        "-x",         "-L",        "-l",
    "-Xlinker",  "-Xclang",    "-Xassembler", "-Xpreprocessor", "-target",
    "-T",        "-u",         "-z",         "-e",        "-isysroot",
    "-aux-info", "-arch",      "-iprefix",   "-iwithprefix", "-imultilib",
    "--param",   "-Xarch_host"};
// clang-format on

/// Options that only matter to the linker (kept out of compile commands).
bool isLinkOnly(StringRef A) {
  return A.starts_with("-l") || A.starts_with("-L") || A.starts_with("-Wl,") ||
         A == "-shared" || A == "-static" || A == "-rdynamic" || A == "-pie" ||
         A == "-no-pie" || A == "-s" || A.starts_with("-fuse-ld") ||
         A == "-Xlinker" || A == "-T" || A == "-u" || A == "-z" || A == "-e" ||
         A == "-nostdlib" || A == "-nostartfiles" || A == "-nodefaultlibs";
}

bool isCSource(StringRef Path) {
  return Path.ends_with(".c") || Path.ends_with(".i");
}

} // namespace

bool driver::takesSeparateValue(StringRef Option) {
  return SeparateValueOptions.count(Option.str());
}

bool driver::isPassthroughMode(const std::vector<std::string> &Args) {
  for (size_t I = 1; I < Args.size(); ++I) {
    StringRef A = Args[I];
    if (A == "-E" || A == "-S" || A == "-M" || A == "-MM" || A == "-###" ||
        A == "--version" || A == "-dumpversion" || A == "-dumpmachine" ||
        A.starts_with("-print-") || A == "-fsyntax-only" || A == "-emit-llvm" ||
        A == "--help")
      return true;
    if ((A == "-x") && I + 1 < Args.size() && Args[I + 1] != "c" &&
        Args[I + 1] != "none")
      return true;
  }
  return false;
}

ParsedCommand driver::parseCommandLine(const std::vector<std::string> &Args) {
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

std::vector<std::string>
driver::codegenOptions(const std::vector<std::string> &All) {
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

std::string driver::objectNameFor(StringRef Source) {
  SmallString<128> Name(sys::path::filename(Source));
  sys::path::replace_extension(Name, ".o");
  return std::string(Name);
}
