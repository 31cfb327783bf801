//===- VerifyCommand.h - dsu verify -----------------------------*- C++ -*-===//
#ifndef DSU_TOOLS_DSU_VERIFYCOMMAND_H
#define DSU_TOOLS_DSU_VERIFYCOMMAND_H

#include "Commands.h"
#include "llvm/ADT/StringRef.h"

namespace dsu {
/// `dsu verify OLD NEW --form FORM ...`: 0 holds, 1 counterexample, 2
/// unknown, 3 tool failure.
int runVerifyCommand(const ArgList &Args);
/// Whether Path is a case file of dsu verify (replayed by runVerifyReplay).
bool isVerifyCase(llvm::StringRef Path);
/// `dsu replay CASE` for a verify case: 0 reproduced, 1 not, 3 failure.
int runVerifyReplay(llvm::StringRef Path);
/// `dsu spec-run OLD --spec F.c --requests FILE [--patch P --update-at K]`:
/// a post-update spec run natively on one real session: 0 it holds, 1 an
/// assertion fails, 3 tool failure.
int runSpecRunCommand(const ArgList &Args);
} // namespace dsu

#endif
