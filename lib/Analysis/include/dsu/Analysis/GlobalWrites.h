//===- GlobalWrites.h - globals the program never writes ---------*- C++
//-*-===//
#ifndef DSU_ANALYSIS_GLOBALWRITES_H
#define DSU_ANALYSIS_GLOBALWRITES_H

#include "dsu/Model/TURecord.h"
#include "llvm/Support/Error.h"

namespace dsu {

struct StoredModules;

/// Sets GlobalInfo::NeverWritten in B.Model for every mutable global that no
/// code of the build can write (see GlobalWrites.cpp): its running value is
/// its initialiser. Works on B's stored modules, whose locals it promotes
/// to registers (analyseBuild in StoredModules.h runs it last).
llvm::Error findUnwrittenGlobals(Build &B, StoredModules &Stored);

} // namespace dsu

#endif
