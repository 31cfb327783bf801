//===- Error.h - errors as values in dsu's libraries ------------*- C++ -*-===//
//
// Libraries return llvm::Error / llvm::Expected and never print; the tools
// print them once, as `file:line: error: message` or `dsu: error: message`.
// failure() is the one way to make such an error from a message.
//
//===----------------------------------------------------------------------===//
#ifndef DSU_SUPPORT_ERROR_H
#define DSU_SUPPORT_ERROR_H

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

namespace dsu {

/// An error carrying Why (lowercase, with the file and line or the name of
/// what is wrong, as the tools print it).
inline llvm::Error failure(const llvm::Twine &Why) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Why);
}

} // namespace dsu

#endif
