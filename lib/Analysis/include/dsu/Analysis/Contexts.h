//===- Contexts.h - call sites recorded as an update point's context -*- C++
//-*-===//
#ifndef DSU_ANALYSIS_CONTEXTS_H
#define DSU_ANALYSIS_CONTEXTS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/IR/InstrTypes.h"

#include <cstdint>
#include <map>

namespace dsu {

/// Whether CB is a context call: a call that may lead to an update point
/// (to a function of the program, through a pointer, or into a library that
/// may call back), which the runtime records on the thread's context stack
/// while it runs when its function is instrumented (see Contexts.cpp).
bool isContextCall(const llvm::CallBase &CB);

/// The id of the ordinal-th call (intrinsics and inline assembly not
/// counted) of the function with identity Symbol and body hash BodyHash:
/// never 0, and different in a function whose body changed.
uint64_t contextSiteId(llvm::StringRef Symbol, llvm::StringRef BodyHash,
                       unsigned Ordinal);

/// The site id of every call of F that has one (all but intrinsics and
/// inline assembly); the build records those that are context calls.
std::map<const llvm::CallBase *, uint64_t>
callSiteIds(const llvm::Function &F, llvm::StringRef Symbol,
            llvm::StringRef BodyHash);

} // namespace dsu

#endif
