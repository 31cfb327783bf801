//===- ControlClient.h - talking to a running program's runtime ----*- C++ -*-===//
//
// The client side of libdsu's control socket. The protocol (framed messages,
// the patch passed as a descriptor, the commit word) is
// include/dsu/control_protocol.h, shared with the runtime.
//
// Before a byte is sent the client checks that it talks to the process it
// means: the runtime directory must be a real directory owned by the
// process's effective uid with no access for group or others, and the peer
// of the connection (SO_PEERCRED) must be that process with that uid. So
// another user who created the directory first, or any other process
// listening at the path, learns nothing and cannot answer for the process.
//
//===----------------------------------------------------------------------===//
#ifndef DSU_CONTROL_CONTROLCLIENT_H
#define DSU_CONTROL_CONTROLCLIENT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <functional>
#include <string>

namespace dsu {

/// The control socket of process Pid, following the runtime's rules
/// ($DSU_RUNTIME_DIR, else /tmp/dsu-UID with the process's effective uid).
/// Only computes the path; sendControlRequest checks what is there.
llvm::Expected<std::string> controlSocketPath(int Pid);

/// Sends one request frame and returns the reply text ("OK ..." or
/// "ERR ..."). Fails with a clear reason if the process does not exist, was
/// not built with dsu-cc, is not the one serving the socket, or does not
/// answer within TimeoutMs.
llvm::Expected<std::string> sendControlRequest(int Pid,
                                               const std::string &Request,
                                               int TimeoutMs);

/// The process's status as JSON (the runtime's STATUS answer), or the
/// runtime's refusal as an error.
llvm::Expected<std::string> queryStatus(int Pid, int TimeoutMs = 5000);

/// A patch file opened for `dsu apply`: a regular file of a sane size, read
/// through its descriptor only, which is then what the process receives.
struct OpenPatch {
  int Fd = -1;
  std::string Path;  ///< As given, for messages.
  std::string Bytes; ///< Its content, read from Fd.
  OpenPatch() = default;
  OpenPatch(OpenPatch &&O) noexcept
      : Fd(O.Fd), Path(std::move(O.Path)), Bytes(std::move(O.Bytes)) {
    O.Fd = -1;
  }
  OpenPatch &operator=(OpenPatch &&) = delete;
  ~OpenPatch();
};
llvm::Expected<OpenPatch> openPatch(llvm::StringRef Path);

struct ApplyOptions {
  int TimeoutMs = 10000; ///< How long the process waits for an update point.
  /// Update points to allow although unsafe: "FILE:LINE[,FILE:LINE...]" or
  /// "all".
  std::string ForceAt;
  /// Told when the process is committing past the wait (the client then
  /// waits for the outcome rather than guess it).
  std::function<void(llvm::StringRef)> Note;
};

/// The summary of an applied update ("applied A -> B at ...").
struct ApplyResult {
  std::string Summary;
};

/// Asks process Pid to apply Patch. Succeeds if and only if the update was
/// applied: when no answer comes in time the request is withdrawn through
/// the commit word, which the process also needs to commit, so a process
/// that was stopped or slow can never apply a request reported as failed.
llvm::Expected<ApplyResult> applyPatch(int Pid, const OpenPatch &Patch,
                                       const ApplyOptions &Opts);

} // namespace dsu

#endif
