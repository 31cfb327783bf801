//===- PatchFile.h - reading and writing patch files ---------------*- C++ -*-===//
//
// The format is defined in include/dsu/patch_format.h, shared with libdsu.
//
//===----------------------------------------------------------------------===//
#ifndef DSU_PATCH_PATCHFILE_H
#define DSU_PATCH_PATCHFILE_H

#include "llvm/Support/Error.h"
#include <string>

namespace dsu {

struct PatchFile {
  std::string BaseVersion, TargetVersion;
  std::string SharedObject; ///< The payload.
  std::string Plan;         ///< PatchPlan::dump() text.
  std::string Signer;       ///< Hex public key of a signed patch, else empty.
};

std::string encodePatchFile(const PatchFile &P);
/// Performs the same checks as the runtime does before loading.
llvm::Expected<PatchFile> decodePatchFile(llvm::StringRef Bytes);

/// A new Ed25519 key pair: the secret key into SecretPath (created with mode
/// 0600, never over an existing file), the public key into PublicPath.
llvm::Error generateSigningKey(llvm::StringRef SecretPath,
                               llvm::StringRef PublicPath);

/// Bytes (a sound patch file) signed with the secret key in KeyPath.
llvm::Expected<std::string> signPatchFile(llvm::StringRef Bytes,
                                          llvm::StringRef KeyPath);

/// Writes the patch file Bytes to Path with mode 0644 (the runtime refuses
/// patches others could have changed): into a new file beside Path, renamed
/// over it, so that nothing Path names (another link to the same file, a
/// device) is ever written through or has its mode changed. An existing Path
/// that is not a regular file is refused.
llvm::Error writePatchFile(llvm::StringRef Path, llvm::StringRef Bytes);

} // namespace dsu

#endif
