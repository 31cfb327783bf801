//===- ControlClient.h - talking to a running program's runtime ----*- C++ -*-===//
//
// The client side of libdsu's control socket (see runtime/dsu_runtime.c):
// one request line, one reply line.
//
//===----------------------------------------------------------------------===//
#ifndef DSU_CONTROL_CONTROLCLIENT_H
#define DSU_CONTROL_CONTROLCLIENT_H

#include "llvm/Support/Error.h"
#include <string>

namespace dsu {

/// The control socket of process Pid, following the runtime's rules
/// ($DSU_RUNTIME_DIR, else /tmp/dsu-UID with the process owner's uid).
llvm::Expected<std::string> controlSocketPath(int Pid);

/// Sends Request and returns the reply line without its newline. Fails with
/// a clear reason if the process does not exist, was not built with dsu-cc,
/// or does not answer within TimeoutMs.
llvm::Expected<std::string> sendControlRequest(int Pid,
                                               const std::string &Request,
                                               int TimeoutMs);

} // namespace dsu

#endif
