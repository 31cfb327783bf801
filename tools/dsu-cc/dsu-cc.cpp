//===- dsu-cc.cpp - the updatable C compiler driver -----------------------===//
//
// Usage: dsu-cc [clang options] FILE... (a drop-in for cc; see --dsu-help).
// All logic lives in lib/Driver; this file finds the installation it belongs
// to (dsu/Support/InstallLayout.h) and prints the driver's error.
//
//===----------------------------------------------------------------------===//
#include "dsu/Driver/CompilerDriver.h"
#include "dsu/Support/InstallLayout.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

static const char *Help = R"(usage: dsu-cc [options] file...

A C compiler driver (clang-19) that builds programs which can be updated
while they run. Accepts the usual cc options (-c, -o, -O*, -g, -I, -D, -std=,
-W*, -l, -L, -pthread, -fPIC, ...) and these of its own:

  -fdsu-keep[=DIR]        keep the rewritten LLVM IR (FILE.o.dsu.ll) and the
                          translation unit's model (FILE.o.dsu.model)
  -fdsu-tu-name=NAME      identity of the translation unit (default: its file
                          name, so v1/store.c and v2/store.c are one unit)
  -fdsu-tu-root=DIR       name units by their path below DIR (for programs
                          with two files of the same name: src/util.c and
                          lib/util.c); give each version its own root
  -fdsu-allocator=A[,B]   functions that allocate like malloc (typed sites);
                          A:FREE names A's own deallocator (zmalloc:zfree):
                          its objects are then only transformed in place
  -fdsu-trusted-key=FILE  the program loads only patches signed by the key
                          whose public half is FILE (dsu keygen's KEY.pub);
                          may be repeated
  -fdsu-model-file        (at the link) keep the stored modules and models in
                          PROGRAM.dsu beside the program instead of inside it:
                          a smaller executable; dsu patch, diff and model
                          read PROGRAM.dsu (keep it with the program)
  -fdsu-verbose           say what each step produced
  -fdsu-no-direct-calls   route every call through its slot (no link-time
                          recompilation; slower code, smaller patches)
  -fdsu-no-loop-extraction
                          keep loops that hold update points in their
                          function (a change to them then waits for the next
                          call of that function)
  -fdsu-no-heap-tracking  do not record typed heap objects (patches that
                          change types then cannot find them)
  --dsu-help              this text (--help: this text, then clang-19's)

Modes that produce no updatable object (-E, -S, -M, --version, ...) and
non-C inputs are passed to clang-19 unchanged.
)";

int main(int argc, char **argv) {
  llvm::InitLLVM X(argc, argv);
  std::vector<std::string> Args(argv, argv + argc);
  for (const std::string &A : Args) {
    if (A == "--dsu-help") {
      llvm::outs() << Help;
      return 0;
    }
    // --help: dsu-cc's own options, then clang-19's (passed through).
    if (A == "--help") {
      llvm::outs() << Help << "\nclang-19's options:\n\n";
      llvm::outs().flush();
      break;
    }
  }
  dsu::InstallLayout Home = dsu::findInstallLayout(argv[0], (void *)&main);
  dsu::DriverConfig Config;
  Config.IncludeDir = Home.IncludeDir;
  Config.LibDir = Home.LibDir;
  auto Status = dsu::runCompilerDriver(Args, Config, llvm::errs());
  if (!Status) {
    llvm::errs() << "dsu-cc: error: " << llvm::toString(Status.takeError())
                 << "\n";
    return 1;
  }
  return *Status;
}
