//===- InstallLayout.cpp - where a dsu installation keeps its files -------===//
#include "dsu/Support/InstallLayout.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <cstdlib>

using namespace llvm;

dsu::InstallLayout dsu::findInstallLayout(const char *Argv0,
                                          void *AddressInProgram) {
  InstallLayout L;
  if (const char *Home = getenv("DSU_HOME")) {
    L.Root = Home;
  } else {
    std::string Self = sys::fs::getMainExecutable(Argv0, AddressInProgram);
    L.Root = sys::path::parent_path(sys::path::parent_path(Self)).str();
  }
  L.IncludeDir = L.Root + "/include";
  L.LibDir = L.Root + "/lib";
  return L;
}
