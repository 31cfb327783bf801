//===- TURecord.cpp - the .dsu.tu records: writing, checking, reading -----===//
//
// A record is what dsu-cc knows about one translation unit: its model (JSON)
// and its updatable bitcode. Records travel inside object files and
// executables, which anyone who can write the build directory can change, and
// `dsu diff`/`dsu patch` hand the bitcode to LLVM's reader, which is not
// written for hostile input (flipped bytes crashed it). So every record
// carries a checksum of its framing and contents, checked before either part
// is parsed; a record that fails it is refused with its offset, and nothing
// of it reaches the JSON or bitcode parsers. The checksum finds corruption
// and careless edits; it is not a signature (anyone can recompute it), and
// the JSON is validated after parsing for the fields the tools rely on.
//
// Files are opened without blocking and read only when they are regular files
// of a bounded size: a FIFO would hang the reader and /dev/zero would exhaust
// memory.
//
//===----------------------------------------------------------------------===//
#include "dsu/Model/TURecord.h"

extern "C" {
#include "dsu/patch_format.h" // dsu_fnv1a64
}

#include "llvm/Object/Archive.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/Endian.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace dsu;
using namespace llvm;

// Record layout (little-endian), format 3:
//
//   magic[8]         "DSUTU003"
//   method[8]        0: the payload is the JSON and the bitcode as they are;
//                    1: the payload is one zstd frame holding them
//   json_size[8]     the sizes of the two parts, unpacked
//   bitcode_size[8]
//   payload_size[8]
//   checksum[8]      dsu_fnv1a64 of the first 40 bytes, continued over the
//                    payload
//   payload
//
// The checksum covers the bytes as stored, so a damaged record is refused
// before the decompressor sees it; the decompressor then gets a buffer of
// exactly the declared size (bounded by MaxUnpackedRecord, whatever the
// header says) and the frame must fill it exactly. Format 2 (the same
// without compression: json_size, bitcode_size, checksum, then the parts)
// and format 1 (no checksum) are refused with a request to rebuild.
static constexpr char RecordMagicPrefix[6] = {'D', 'S', 'U', 'T', 'U', '0'};
static constexpr unsigned RecordFormat = 3;
static constexpr size_t RecordHeaderSize = 48;
static constexpr uint64_t MethodStored = 0, MethodZstd = 1;
/// Fast enough not to show in a build (a few ms a unit at -O2), and about
/// a third of the bytes on real programs' modules.
static constexpr int RecordZstdLevel = 3;

/// FNV-1a continued over more bytes (dsu_fnv1a64 starts from the offset
/// basis; chaining keeps one hash over discontiguous parts).
static uint64_t fnvMore(uint64_t H, StringRef Bytes) {
  for (unsigned char C : Bytes) {
    H ^= C;
    H *= 0x100000001b3ULL;
  }
  return H;
}

static uint64_t recordChecksum(StringRef Head, StringRef Payload) {
  return fnvMore(dsu_fnv1a64(Head.data(), Head.size()), Payload);
}

std::string dsu::encodeTURecord(const TUModel &Model, StringRef Bitcode) {
  std::string Json = Model.toJSON();
  std::string Plain = Json;
  Plain += Bitcode;
  std::string Packed(ZSTD_compressBound(Plain.size()), '\0');
  size_t N = ZSTD_compress(Packed.data(), Packed.size(), Plain.data(),
                           Plain.size(), RecordZstdLevel);
  uint64_t Method = MethodZstd;
  if (ZSTD_isError(N) || N >= Plain.size()) {
    Method = MethodStored; // incompressible (or tiny): stored as it is
    Packed = std::move(Plain);
  } else {
    Packed.resize(N);
  }
  std::string Out(RecordMagicPrefix, sizeof(RecordMagicPrefix));
  Out += "0" + std::to_string(RecordFormat);
  char Word[8];
  for (uint64_t V : {Method, uint64_t(Json.size()), uint64_t(Bitcode.size()),
                     uint64_t(Packed.size())}) {
    support::endian::write64le(Word, V);
    Out.append(Word, 8);
  }
  support::endian::write64le(Word, recordChecksum(Out, Packed));
  Out.append(Word, 8);
  Out += Packed;
  return Out;
}

/// The fields the tools index or hand to LLVM must be there and sane; the
/// checksum already rules out accidental damage, this rules out a model that
/// parses as JSON but would mislead the diff.
static Error validateModel(const TUModel &M) {
  auto Bad = [](const Twine &Why) {
    return createStringError(inconvertibleErrorCode(),
                             "invalid program model: " + Why);
  };
  if (M.TU.empty())
    return Bad("a unit without a name");
  for (const FunctionInfo &F : M.Functions)
    if (F.Symbol.empty())
      return Bad("a function without a symbol in unit " + M.TU);
  for (const GlobalInfo &G : M.Globals)
    if (G.Symbol.empty())
      return Bad("a global without a symbol in unit " + M.TU);
  for (const TypeInfo &T : M.Types)
    if (T.Name.empty())
      return Bad("a type without a name in unit " + M.TU);
  return Error::success();
}

Expected<std::vector<TURecord>> dsu::decodeTURecords(StringRef Bytes) {
  std::vector<TURecord> Records;
  size_t Pos = 0;
  uint64_t Unpacked = 0;
  while (Pos < Bytes.size()) {
    if (Bytes[Pos] == 0) { // alignment padding between records
      ++Pos;
      continue;
    }
    auto Corrupt = [&](const Twine &Why) {
      return createStringError(inconvertibleErrorCode(),
                               "corrupt .dsu.tu section at offset " +
                                   Twine(Pos) + Why);
    };
    // The format number is the magic's last two characters.
    if (Bytes.size() - Pos >= 8 &&
        Bytes.substr(Pos, 6) == StringRef(RecordMagicPrefix, 6) &&
        isDigit(Bytes[Pos + 6]) && isDigit(Bytes[Pos + 7])) {
      unsigned Format = (Bytes[Pos + 6] - '0') * 10 + (Bytes[Pos + 7] - '0');
      if (Format == 1)
        return Corrupt(": a record of an older dsu-cc (format 1), without a "
                       "checksum; rebuild the program");
      if (Format < RecordFormat)
        return Corrupt(": a record of an older dsu-cc (format " +
                       Twine(Format) + "); rebuild the program");
      if (Format > RecordFormat)
        return Corrupt(": a record of a newer dsu-cc (format " +
                       Twine(Format) + "); this dsu reads format " +
                       Twine(RecordFormat));
    } else {
      return Corrupt("");
    }
    if (Bytes.size() - Pos < RecordHeaderSize)
      return Corrupt("");
    const char *Head = Bytes.data() + Pos;
    uint64_t Method = support::endian::read64le(Head + 8);
    uint64_t JsonLen = support::endian::read64le(Head + 16);
    uint64_t BcLen = support::endian::read64le(Head + 24);
    uint64_t PayloadLen = support::endian::read64le(Head + 32);
    uint64_t Sum = support::endian::read64le(Head + 40);
    size_t Body = Pos + RecordHeaderSize;
    if (PayloadLen > Bytes.size() - Body)
      return createStringError(inconvertibleErrorCode(),
                               "truncated .dsu.tu record");
    StringRef Payload = Bytes.substr(Body, PayloadLen);
    // Nothing of a record reaches the decompressor or a parser before its
    // checksum matched.
    if (recordChecksum(Bytes.substr(Pos, 40), Payload) != Sum)
      return Corrupt(": checksum mismatch (the file was changed after "
                     "dsu-cc wrote it)");
    if (JsonLen > MaxUnpackedRecord || BcLen > MaxUnpackedRecord - JsonLen)
      return Corrupt(": the record unpacks to more than " +
                     Twine(MaxUnpackedRecord) + " bytes");
    uint64_t PlainLen = JsonLen + BcLen;
    if (PlainLen > MaxUnpackedTotal - Unpacked)
      return Corrupt(": the records unpack to more than " +
                     Twine(MaxUnpackedTotal) + " bytes");
    Unpacked += PlainLen;
    std::string Plain;
    if (Method == MethodStored) {
      if (PayloadLen != PlainLen)
        return Corrupt(": the record does not unpack to its declared size");
      Plain = Payload.str();
    } else if (Method == MethodZstd) {
      // One frame that declares exactly the size the header does, and
      // nothing after it; the buffer is never larger than that size.
      unsigned long long Declared =
          ZSTD_getFrameContentSize(Payload.data(), Payload.size());
      size_t FrameLen = ZSTD_findFrameCompressedSize(Payload.data(),
                                                     Payload.size());
      if (Declared != PlainLen || ZSTD_isError(FrameLen) ||
          FrameLen != Payload.size())
        return Corrupt(": the record does not unpack to its declared size");
      Plain.resize(PlainLen);
      size_t Got = ZSTD_decompress(Plain.data(), Plain.size(), Payload.data(),
                                   Payload.size());
      if (ZSTD_isError(Got))
        return Corrupt(": the compressed record is damaged (" +
                       Twine(ZSTD_getErrorName(Got)) + ")");
      if (Got != PlainLen)
        return Corrupt(": the record does not unpack to its declared size");
    } else {
      return Corrupt(": unknown compression method " + Twine(Method));
    }
    StringRef Json = StringRef(Plain).substr(0, JsonLen);
    StringRef Bitcode = StringRef(Plain).substr(JsonLen);
    auto Model = TUModel::fromJSON(Json);
    if (!Model)
      return Model.takeError();
    if (Error E = validateModel(*Model))
      return E;
    Records.push_back({std::move(*Model), Bitcode.str()});
    Pos = Body + PayloadLen;
  }
  return Records;
}

/// What an object or executable says about its records: the .dsu.tu
/// bytes, and for a program linked with -fdsu-model-file, the name of its
/// model file and its version id.
struct TUSections {
  std::string Records;
  std::optional<std::string> ModelFile;
  std::string Version;
};

static Error scanObject(object::ObjectFile &Obj, TUSections &Out) {
  for (const object::SectionRef &Sec : Obj.sections()) {
    Expected<StringRef> Name = Sec.getName();
    if (!Name) {
      consumeError(Name.takeError());
      continue;
    }
    if (*Name != TUSectionName && *Name != ModelFileSectionName &&
        *Name != VersionSectionName)
      continue;
    Expected<StringRef> Contents = Sec.getContents();
    if (!Contents)
      return Contents.takeError();
    if (*Name == TUSectionName)
      Out.Records += *Contents;
    else if (*Name == ModelFileSectionName)
      Out.ModelFile = Contents->str();
    else
      Out.Version = Contents->str();
  }
  return Error::success();
}

static Error collectFromObject(object::ObjectFile &Obj,
                               std::vector<TURecord> &Out) {
  TUSections S;
  if (Error E = scanObject(Obj, S))
    return E;
  auto Records = decodeTURecords(S.Records);
  if (!Records)
    return Records.takeError();
  for (TURecord &R : *Records)
    Out.push_back(std::move(R));
  return Error::success();
}

static constexpr char ModelFileMagic[8] = {'D', 'S', 'U', 'M',
                                           'F', '0', '0', '1'};
static constexpr size_t VersionIdSize = 16;

std::string dsu::encodeModelFile(StringRef VersionId, StringRef TUSection) {
  std::string Out(ModelFileMagic, sizeof(ModelFileMagic));
  Out += VersionId;
  Out += TUSection;
  return Out;
}

/// The records of ExePath, kept in its model file (see readTURecords).
static Expected<std::vector<TURecord>>
readModelFile(StringRef ExePath, StringRef Recorded, StringRef Version) {
  std::string Own = (ExePath + ModelFileSuffix).str();
  SmallString<256> Named(sys::path::parent_path(ExePath));
  sys::path::append(Named, sys::path::filename(Recorded));
  std::string Path = Own;
  if (!sys::fs::exists(Own)) {
    if (Named.str() == Own || !sys::fs::exists(Named))
      return createStringError(
          inconvertibleErrorCode(),
          ExePath + ": its stored modules are kept in " + Own +
              (Named.str() == Own ? std::string()
                                  : " (or " + Named.str().str() + ")") +
              " (it was linked with -fdsu-model-file), which is missing");
    Path = Named.str().str();
  }
  auto Buf = readInputFile(Path);
  if (!Buf)
    return Buf.takeError();
  StringRef Bytes = (*Buf)->getBuffer();
  size_t Head = sizeof(ModelFileMagic) + VersionIdSize;
  if (Bytes.size() < Head ||
      !Bytes.starts_with(StringRef(ModelFileMagic, sizeof(ModelFileMagic))))
    return createStringError(inconvertibleErrorCode(),
                             Path + ": not a dsu model file");
  StringRef Id = Bytes.substr(sizeof(ModelFileMagic), VersionIdSize);
  if (Id != Version)
    return createStringError(inconvertibleErrorCode(),
                             Path + ": the model file of another build "
                                    "(version " + Id + "; " + ExePath +
                                 " is version " + Version + ")");
  auto Records = decodeTURecords(Bytes.substr(Head));
  if (!Records)
    return createStringError(inconvertibleErrorCode(),
                             Path + ": " + toString(Records.takeError()));
  return Records;
}

Expected<std::string> dsu::readTUSection(StringRef Path) {
  auto Buf = readInputFile(Path);
  if (!Buf)
    return Buf.takeError();
  auto Obj = object::ObjectFile::createObjectFile((*Buf)->getMemBufferRef());
  if (!Obj)
    return createStringError(inconvertibleErrorCode(),
                             Path + ": not an object file or executable: " +
                                 toString(Obj.takeError()));
  TUSections S;
  if (Error E = scanObject(**Obj, S))
    return createStringError(inconvertibleErrorCode(),
                             Path + ": " + toString(std::move(E)));
  return std::move(S.Records);
}

/// Reads Path whole if it is a regular file of at most MaxInputSize bytes.
/// Opened with O_NONBLOCK so that a FIFO cannot block the open; the checks
/// are on the open descriptor, so what was checked is what is read.
Expected<std::unique_ptr<MemoryBuffer>> dsu::readInputFile(StringRef Path) {
  auto Fail = [&](const Twine &Why) {
    return createStringError(inconvertibleErrorCode(), Path + ": " + Why);
  };
  std::string P = Path.str();
  int Fd = open(P.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (Fd < 0)
    return Fail(strerror(errno));
  struct stat St;
  if (fstat(Fd, &St) != 0) {
    int E = errno;
    close(Fd);
    return Fail(strerror(E));
  }
  if (!S_ISREG(St.st_mode)) {
    close(Fd);
    return Fail(S_ISDIR(St.st_mode) ? "is a directory, not a file"
                                    : "not a regular file");
  }
  if (uint64_t(St.st_size) > MaxInputSize) {
    close(Fd);
    return Fail("too large (" + Twine(uint64_t(St.st_size)) +
                " bytes; the limit is " + Twine(MaxInputSize) + ")");
  }
  // Read, not mapped (IsVolatile): a file truncated while it is being read
  // is a short read, not a SIGBUS in the middle of a parser.
  auto Buf = MemoryBuffer::getOpenFile(sys::fs::convertFDToNativeFile(Fd), P,
                                       St.st_size,
                                       /*RequiresNullTerminator=*/false,
                                       /*IsVolatile=*/true);
  close(Fd);
  if (!Buf)
    return Fail(Buf.getError().message());
  return std::move(*Buf);
}

Expected<std::vector<TURecord>> dsu::readTURecords(StringRef Path) {
  auto Buf = readInputFile(Path);
  if (!Buf)
    return Buf.takeError();
  auto Prefix = [&](Error E) {
    return createStringError(inconvertibleErrorCode(),
                             Path + ": " + toString(std::move(E)));
  };
  std::vector<TURecord> Records;
  MemoryBufferRef Ref = (*Buf)->getMemBufferRef();
  if (Ref.getBuffer().starts_with("!<arch>")) {
    auto Ar = object::Archive::create(Ref);
    if (!Ar)
      return Prefix(Ar.takeError());
    Error Err = Error::success();
    for (const object::Archive::Child &C : (*Ar)->children(Err)) {
      auto ChildBuf = C.getMemoryBufferRef();
      if (!ChildBuf)
        return Prefix(ChildBuf.takeError());
      auto Obj = object::ObjectFile::createObjectFile(*ChildBuf);
      if (!Obj) {
        consumeError(Obj.takeError());
        continue;
      }
      if (Error E = collectFromObject(**Obj, Records))
        return Prefix(std::move(E));
    }
    if (Err)
      return Prefix(std::move(Err));
    return Records;
  }
  auto Obj = object::ObjectFile::createObjectFile(Ref);
  if (!Obj)
    return createStringError(inconvertibleErrorCode(),
                             Path + ": not an object file or executable: " +
                                 toString(Obj.takeError()));
  TUSections S;
  if (Error E = scanObject(**Obj, S))
    return Prefix(std::move(E));
  if (S.ModelFile && S.Records.empty())
    return readModelFile(Path, *S.ModelFile, S.Version);
  auto Decoded = decodeTURecords(S.Records);
  if (!Decoded)
    return Prefix(Decoded.takeError());
  return Decoded;
}

Expected<Build> dsu::readBuild(StringRef ExePath) {
  auto Records = readTURecords(ExePath);
  if (!Records)
    return Records.takeError();
  if (Records->empty())
    return createStringError(inconvertibleErrorCode(),
                             ExePath + ": not built with dsu-cc (no " +
                                 TUSectionName + " section)");
  Build B;
  B.Path = ExePath.str();
  for (const TURecord &R : *Records) {
    // The checksum matched, but it is no signature: LLVM's bitcode reader,
    // which diff and patch call next, gets nothing that does not at least
    // look like bitcode.
    if (!R.Bitcode.empty() &&
        (!StringRef(R.Bitcode).starts_with("BC\xC0\xDE") ||
         R.Bitcode.size() % 4 != 0))
      return createStringError(inconvertibleErrorCode(),
                               ExePath + ": the code of unit " + R.Model.TU +
                                   " in its " + TUSectionName +
                                   " section is not LLVM bitcode");
    B.Model.TUs.push_back(R.Model);
  }
  B.Records = std::move(*Records);
  B.VersionId = B.Model.versionId();
  return B;
}
