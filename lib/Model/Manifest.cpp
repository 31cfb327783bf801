#include "dsu/Model/Manifest.h"

#include "llvm/Object/Archive.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace dsu;
using namespace llvm;

static constexpr char RecordMagic[8] = {'D', 'S', 'U', 'T', 'U', '0', '0', '1'};

std::string dsu::encodeTURecord(const TUModel &Model, StringRef Bitcode) {
  std::string Json = Model.toJSON();
  std::string Out(RecordMagic, sizeof(RecordMagic));
  char Len[8];
  support::endian::write64le(Len, Json.size());
  Out.append(Len, 8);
  support::endian::write64le(Len, Bitcode.size());
  Out.append(Len, 8);
  Out += Json;
  Out += Bitcode;
  return Out;
}

Expected<std::vector<TURecord>> dsu::decodeTURecords(StringRef Bytes) {
  std::vector<TURecord> Records;
  size_t Pos = 0;
  while (Pos < Bytes.size()) {
    if (Bytes[Pos] == 0) { // alignment padding between records
      ++Pos;
      continue;
    }
    if (Bytes.size() - Pos < 24 ||
        Bytes.substr(Pos, 8) != StringRef(RecordMagic, 8))
      return createStringError(inconvertibleErrorCode(),
                               "corrupt .dsu.tu section at offset " +
                                   Twine(Pos));
    uint64_t JsonLen = support::endian::read64le(Bytes.data() + Pos + 8);
    uint64_t BcLen = support::endian::read64le(Bytes.data() + Pos + 16);
    Pos += 24;
    if (JsonLen > Bytes.size() - Pos || BcLen > Bytes.size() - Pos - JsonLen)
      return createStringError(inconvertibleErrorCode(),
                               "truncated .dsu.tu record");
    auto Model = TUModel::fromJSON(Bytes.substr(Pos, JsonLen));
    if (!Model)
      return Model.takeError();
    Pos += JsonLen;
    Records.push_back({std::move(*Model), Bytes.substr(Pos, BcLen).str()});
    Pos += BcLen;
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

Expected<std::vector<TURecord>> dsu::readTURecords(StringRef Path) {
  auto Buf = MemoryBuffer::getFile(Path, false, false);
  if (!Buf)
    return createStringError(Buf.getError(),
                             Path + ": " + Buf.getError().message());
  std::vector<TURecord> Records;
  MemoryBufferRef Ref = (*Buf)->getMemBufferRef();
  if (Ref.getBuffer().starts_with("!<arch>")) {
    auto Ar = object::Archive::create(Ref);
    if (!Ar)
      return Ar.takeError();
    Error Err = Error::success();
    for (const object::Archive::Child &C : (*Ar)->children(Err)) {
      auto ChildBuf = C.getMemoryBufferRef();
      if (!ChildBuf)
        return ChildBuf.takeError();
      auto Obj = object::ObjectFile::createObjectFile(*ChildBuf);
      if (!Obj) {
        consumeError(Obj.takeError());
        continue;
      }
      if (Error E = collectFromObject(**Obj, Records))
        return E;
    }
    if (Err)
      return Err;
    return Records;
  }
  auto Obj = object::ObjectFile::createObjectFile(Ref);
  if (!Obj)
    return createStringError(inconvertibleErrorCode(),
                             Path + ": not an object file or executable: " +
                                 toString(Obj.takeError()));
  if (Error E = collectFromObject(**Obj, Records))
    return E;
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
  for (const TURecord &R : *Records)
    B.Model.TUs.push_back(R.Model);
  B.Records = std::move(*Records);
  B.VersionId = B.Model.versionId();
  return B;
}
