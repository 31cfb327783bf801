//===- Manifest.cpp - the .dsu.tu records: writing, checking, reading -----===//
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
#include "dsu/Model/Manifest.h"

extern "C" {
#include "dsu/patch_format.h" // dsu_fnv1a64
}

#include "llvm/Object/Archive.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace dsu;
using namespace llvm;

// Record layout (little-endian): magic[8] json_size[8] bitcode_size[8]
// checksum[8] json bitcode. The checksum is dsu_fnv1a64 of the first 24
// bytes, then of the json and the bitcode, chained.
static constexpr char RecordMagic[8] = {'D', 'S', 'U', 'T', 'U', '0', '0', '2'};
static constexpr char OldRecordMagic[8] = {'D', 'S', 'U', 'T', 'U',
                                           '0', '0', '1'};
static constexpr size_t RecordHeaderSize = 32;

/// FNV-1a continued over more bytes (dsu_fnv1a64 starts from the offset
/// basis; chaining keeps one hash over discontiguous parts).
static uint64_t fnvMore(uint64_t H, StringRef Bytes) {
  for (unsigned char C : Bytes) {
    H ^= C;
    H *= 0x100000001b3ULL;
  }
  return H;
}

static uint64_t recordChecksum(StringRef Head, StringRef Json,
                               StringRef Bitcode) {
  uint64_t H = dsu_fnv1a64(Head.data(), Head.size());
  return fnvMore(fnvMore(H, Json), Bitcode);
}

std::string dsu::encodeTURecord(const TUModel &Model, StringRef Bitcode) {
  std::string Json = Model.toJSON();
  std::string Out(RecordMagic, sizeof(RecordMagic));
  char Len[8];
  support::endian::write64le(Len, Json.size());
  Out.append(Len, 8);
  support::endian::write64le(Len, Bitcode.size());
  Out.append(Len, 8);
  support::endian::write64le(Len, recordChecksum(Out, Json, Bitcode));
  Out.append(Len, 8);
  Out += Json;
  Out += Bitcode;
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
    if (Bytes.size() - Pos >= 8 &&
        Bytes.substr(Pos, 8) == StringRef(OldRecordMagic, 8))
      return Corrupt(": a record of an older dsu-cc, without a checksum; "
                     "rebuild the program");
    if (Bytes.size() - Pos < RecordHeaderSize ||
        Bytes.substr(Pos, 8) != StringRef(RecordMagic, 8))
      return Corrupt("");
    uint64_t JsonLen = support::endian::read64le(Bytes.data() + Pos + 8);
    uint64_t BcLen = support::endian::read64le(Bytes.data() + Pos + 16);
    uint64_t Sum = support::endian::read64le(Bytes.data() + Pos + 24);
    size_t Body = Pos + RecordHeaderSize;
    if (JsonLen > Bytes.size() - Body || BcLen > Bytes.size() - Body - JsonLen)
      return createStringError(inconvertibleErrorCode(),
                               "truncated .dsu.tu record");
    StringRef Json = Bytes.substr(Body, JsonLen);
    StringRef Bitcode = Bytes.substr(Body + JsonLen, BcLen);
    // Nothing of a record reaches a parser before its checksum matched.
    if (recordChecksum(Bytes.substr(Pos, 24), Json, Bitcode) != Sum)
      return Corrupt(": checksum mismatch (the file was changed after "
                     "dsu-cc wrote it)");
    auto Model = TUModel::fromJSON(Json);
    if (!Model)
      return Model.takeError();
    if (Error E = validateModel(*Model))
      return E;
    Records.push_back({std::move(*Model), Bitcode.str()});
    Pos = Body + JsonLen + BcLen;
  }
  return Records;
}

static Error collectFromObject(object::ObjectFile &Obj,
                               std::vector<TURecord> &Out) {
  for (const object::SectionRef &Sec : Obj.sections()) {
    Expected<StringRef> Name = Sec.getName();
    if (!Name) {
      consumeError(Name.takeError());
      continue;
    }
    if (*Name != TUSectionName)
      continue;
    Expected<StringRef> Contents = Sec.getContents();
    if (!Contents)
      return Contents.takeError();
    auto Records = decodeTURecords(*Contents);
    if (!Records)
      return Records.takeError();
    for (TURecord &R : *Records)
      Out.push_back(std::move(R));
  }
  return Error::success();
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
  if (Error E = collectFromObject(**Obj, Records))
    return Prefix(std::move(E));
  return Records;
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
