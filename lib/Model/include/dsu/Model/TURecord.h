//===- TURecord.h - the program model inside object files -------*- C++ -*-===//
//
// dsu-cc stores each translation unit's model and its updatable LLVM bitcode
// in a non-allocated ELF section (.dsu.tu) of the object file: it costs no
// memory at run time, and the linker concatenates the sections of all objects
// into the executable, where `dsu patch` finds them again. Each record is
// framed (magic, lengths, checksum) so that concatenation and alignment
// padding between records are harmless, and compressed with zstd. A program
// linked with -fdsu-model-file keeps them beside itself instead (PROGRAM.dsu,
// named by its .dsu.modelfile section): readTURecords follows it. The link
// step adds the version id in .dsu.version and as the allocated symbol the
// runtime reads.
//
//===----------------------------------------------------------------------===//
#ifndef DSU_MODEL_TURECORD_H
#define DSU_MODEL_TURECORD_H

#include "dsu/Model/Model.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"
#include <string>
#include <vector>

namespace dsu {

inline constexpr const char *TUSectionName = ".dsu.tu";
inline constexpr const char *VersionSectionName = ".dsu.version";
/// In a program linked with -fdsu-model-file: the name of the file beside
/// it that holds its .dsu.tu records (the program's own name plus ".dsu").
inline constexpr const char *ModelFileSectionName = ".dsu.modelfile";
inline constexpr const char *ModelFileSuffix = ".dsu";

struct TURecord {
  TUModel Model;
  std::string Bitcode; ///< The updatable module (after naming, before slots).
};

std::string encodeTURecord(const TUModel &Model, llvm::StringRef Bitcode);
llvm::Expected<std::vector<TURecord>> decodeTURecords(llvm::StringRef Bytes);

/// The largest input file the tools read (an executable or object).
inline constexpr uint64_t MaxInputSize = uint64_t(1) << 31;
/// The most one record may unpack to, and all records of one file together
/// (records are compressed: a small file must not claim gigabytes).
inline constexpr uint64_t MaxUnpackedRecord = uint64_t(1) << 30;
inline constexpr uint64_t MaxUnpackedTotal = MaxInputSize;

/// Path's contents if it is a regular file of at most MaxInputSize bytes;
/// errors name the path. Never blocks on a FIFO or reads a device.
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
readInputFile(llvm::StringRef Path);

/// A model file: "DSUMF001", the program's 16-character version id, then
/// the bytes of its .dsu.tu section (records, as in objects).
std::string encodeModelFile(llvm::StringRef VersionId,
                            llvm::StringRef TUSection);

/// The concatenated contents of Path's .dsu.tu sections (an object or an
/// executable; empty if it has none).
llvm::Expected<std::string> readTUSection(llvm::StringRef Path);

/// Reads every TU record from an object file, an archive of objects or a
/// linked executable. Objects not built by dsu-cc contribute nothing. An
/// executable linked with -fdsu-model-file has its records in PATH.dsu (or,
/// if it was renamed without it, the file its .dsu.modelfile names, beside
/// it); that file must exist and be the one of this build.
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
