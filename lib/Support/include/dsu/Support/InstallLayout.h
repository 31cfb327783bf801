//===- InstallLayout.h - where an installation keeps its files --*- C++ -*-===//
//
// dsu and dsu-cc find their headers (include/: dsu.h, patch_format.h) and the
// runtime (lib/libdsu.a) relative to the installation they belong to: the
// directory DSU_HOME names if it is set, otherwise the parent of the
// directory holding the running executable (PREFIX/bin/dsu-cc ->
// PREFIX). The build tree has the same shape (build/bin, build/include,
// build/lib), so the tools run from it unchanged.
//
//===----------------------------------------------------------------------===//
#ifndef DSU_SUPPORT_INSTALLLAYOUT_H
#define DSU_SUPPORT_INSTALLLAYOUT_H

#include <string>

namespace dsu {

struct InstallLayout {
  std::string Root;       ///< $DSU_HOME, or BIN/..
  std::string IncludeDir; ///< Root/include: dsu.h, patch_format.h.
  std::string LibDir;     ///< Root/lib: libdsu.a.
};

/// The installation of the running program. Argv0 and AddressInProgram (the
/// address of any function of the executable, main say) locate it when
/// DSU_HOME is not set, as llvm::sys::fs::getMainExecutable does.
InstallLayout findInstallLayout(const char *Argv0, void *AddressInProgram);

} // namespace dsu

#endif
