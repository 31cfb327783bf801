//===- Manifest.h - the program model inside object files ---------*- C++ -*-===//
//
// dsu-cc stores each translation unit's model and its updatable LLVM bitcode
// in a non-allocated ELF section (.dsu.tu) of the object file: it costs no
// memory at run time, and the linker concatenates the sections of all objects
// into the executable, where `dsu patch` finds them again. Each record is
// framed (magic, lengths, checksum) so that concatenation and alignment padding between
// records are harmless. The link step adds the version id in .dsu.version and
// as the allocated symbol the runtime reads.
//
//===----------------------------------------------------------------------===//
#ifndef DSU_MODEL_MANIFEST_H
#define DSU_MODEL_MANIFEST_H

#include "dsu/Model/Model.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"
#include <string>
#include <vector>

namespace dsu {

inline constexpr const char *TUSectionName = ".dsu.tu";
inline constexpr const char *VersionSectionName = ".dsu.version";

struct TURecord {
  TUModel Model;
  std::string Bitcode; ///< The updatable module (after naming, before slots).
};

std::string encodeTURecord(const TUModel &Model, llvm::StringRef Bitcode);
llvm::Expected<std::vector<TURecord>> decodeTURecords(llvm::StringRef Bytes);

/// The largest input file the tools read (an executable or object).
inline constexpr uint64_t MaxInputSize = uint64_t(1) << 31;

/// Path's contents if it is a regular file of at most MaxInputSize bytes;
/// errors name the path. Never blocks on a FIFO or reads a device.
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
readInputFile(llvm::StringRef Path);

/// Reads every TU record from an object file, an archive of objects or a
/// linked executable. Objects not built by dsu-cc contribute nothing.
llvm::Expected<std::vector<TURecord>> readTURecords(llvm::StringRef Path);

/// The program model and version id of an executable built with dsu-cc.
struct Build {
  std::string Path;
  ProgramModel Model;
  std::vector<TURecord> Records;
  std::string VersionId;
};
llvm::Expected<Build> readBuild(llvm::StringRef ExePath);

} // namespace dsu

#endif
