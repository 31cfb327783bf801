//===- GlobalWrites.h - globals the program never writes ---------*- C++
//-*-===//
#ifndef DSU_ANALYSIS_GLOBALWRITES_H
#define DSU_ANALYSIS_GLOBALWRITES_H

#include "dsu/Model/Manifest.h"
#include "llvm/Support/Error.h"

namespace dsu {

/// Sets GlobalInfo::NeverWritten in B.Model for every mutable global that no
/// code of the build can write (see GlobalWrites.cpp): its running value is
/// its initialiser. Works on the modules stored in B.Records.
llvm::Error findUnwrittenGlobals(Build &B);

} // namespace dsu

#endif
