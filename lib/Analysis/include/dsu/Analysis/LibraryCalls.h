//===- LibraryCalls.h - library functions that may call back ------*- C++ -*-===//
#ifndef DSU_ANALYSIS_LIBRARYCALLS_H
#define DSU_ANALYSIS_LIBRARYCALLS_H

#include "llvm/ADT/StringRef.h"

namespace dsu {

/// Whether a call to Name, a function not built with dsu-cc, may call back
/// into the program (see LibraryCalls.cpp): false only for C library
/// functions known never to call program code.
bool libraryMayCallBack(llvm::StringRef Name);

} // namespace dsu

#endif
