//===- Internal.h - what Verify.cpp and SpecRun.cpp share -------*- C++ -*-===//
#ifndef DSU_LIB_VERIFY_INTERNAL_H
#define DSU_LIB_VERIFY_INTERNAL_H

#include "dsu/Support/Process.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace dsu::verify_detail {

/// S in single quotes, a newline as \n, other unprintable bytes as \xNN.
std::string quoted(llvm::StringRef S);

/// The socket model of --tcp-lines (harness/verify_net.c) compiled natively
/// into a shared object in Tmp, to preload into a real process.
llvm::Expected<std::string> buildNetModel(const TempDir &Tmp);

} // namespace dsu::verify_detail

#endif
