#include "dsu/Patch/PatchFile.h"

extern "C" {
#include "dsu/patch_format.h"
}

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"

#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

using namespace dsu;
using namespace llvm;

std::string dsu::encodePatchFile(const PatchFile &P) {
  dsu_patch_header H;
  std::memset(&H, 0, sizeof(H));
  std::memcpy(H.magic, DSU_PATCH_MAGIC, 8);
  H.format = DSU_PATCH_FORMAT;
  H.header_size = sizeof(H);
  std::strncpy(H.base_version, P.BaseVersion.c_str(), DSU_VERSION_ID_SIZE - 1);
  std::strncpy(H.target_version, P.TargetVersion.c_str(),
               DSU_VERSION_ID_SIZE - 1);
  H.payload_size = P.SharedObject.size();
  H.payload_hash = dsu_fnv1a64(P.SharedObject.data(), P.SharedObject.size());
  H.plan_size = P.Plan.size();
  H.header_hash = 0;
  H.header_hash = dsu_fnv1a64(&H, sizeof(H));
  std::string Out(reinterpret_cast<const char *>(&H), sizeof(H));
  Out += P.SharedObject;
  Out += P.Plan;
  return Out;
}

Expected<PatchFile> dsu::decodePatchFile(StringRef Bytes) {
  auto Bad = [](const Twine &Why) {
    return createStringError(inconvertibleErrorCode(), Why);
  };
  dsu_patch_header H;
  if (Bytes.size() < sizeof(H))
    return Bad("truncated patch (" + Twine(Bytes.size()) + " bytes)");
  std::memcpy(&H, Bytes.data(), sizeof(H));
  if (std::memcmp(H.magic, DSU_PATCH_MAGIC, 8) != 0)
    return Bad("not a dsu patch (bad magic)");
  if (H.format != DSU_PATCH_FORMAT || H.header_size != sizeof(H))
    return Bad("unsupported patch format " + Twine(H.format));
  uint64_t Want = H.header_hash;
  H.header_hash = 0;
  if (dsu_fnv1a64(&H, sizeof(H)) != Want)
    return Bad("corrupt patch (header checksum mismatch)");
  if (H.payload_size > Bytes.size() - sizeof(H) ||
      H.plan_size != Bytes.size() - sizeof(H) - H.payload_size)
    return Bad("truncated or corrupt patch (size mismatch)");
  StringRef Payload = Bytes.substr(sizeof(H), H.payload_size);
  if (dsu_fnv1a64(Payload.data(), Payload.size()) != H.payload_hash)
    return Bad("corrupt patch (payload checksum mismatch)");
  PatchFile P;
  P.BaseVersion = std::string(H.base_version,
                              strnlen(H.base_version, DSU_VERSION_ID_SIZE));
  P.TargetVersion = std::string(
      H.target_version, strnlen(H.target_version, DSU_VERSION_ID_SIZE));
  P.SharedObject = Payload.str();
  P.Plan = Bytes.substr(sizeof(H) + H.payload_size).str();
  return P;
}

Error dsu::writePatchFile(StringRef Path, StringRef Bytes) {
  auto Fail = [&](const Twine &Why) {
    return createStringError(inconvertibleErrorCode(), Path + ": " + Why);
  };
  std::string P = Path.str();
  struct stat St;
  if (lstat(P.c_str(), &St) == 0 && !S_ISREG(St.st_mode))
    return Fail("exists and is not a regular file; refusing to replace it");
  SmallString<256> Tmp;
  int Fd;
  if (std::error_code EC = sys::fs::createUniqueFile(P + ".tmp-%%%%%%%%", Fd,
                                                     Tmp, sys::fs::OF_None,
                                                     0600))
    return Fail("cannot create a file beside it: " + EC.message());
  auto Discard = [&](const Twine &Why) {
    close(Fd);
    sys::fs::remove(Tmp);
    return Fail(Why);
  };
  // Our own new file: its mode does not depend on the umask.
  if (fchmod(Fd, 0644) != 0)
    return Discard("cannot set the mode of " + Tmp + ": " + strerror(errno));
  for (size_t Done = 0; Done < Bytes.size();) {
    ssize_t N = write(Fd, Bytes.data() + Done, Bytes.size() - Done);
    if (N < 0 && errno == EINTR)
      continue;
    if (N < 0)
      return Discard("cannot write " + Tmp + ": " + strerror(errno));
    Done += size_t(N);
  }
  if (fsync(Fd) != 0)
    return Discard("cannot write " + Tmp + ": " + strerror(errno));
  if (close(Fd) != 0) {
    sys::fs::remove(Tmp);
    return Fail("cannot write " + Tmp + ": " + strerror(errno));
  }
  if (rename(Tmp.c_str(), P.c_str()) != 0) {
    int E = errno;
    sys::fs::remove(Tmp);
    return Fail("cannot replace it: " + Twine(strerror(E)));
  }
  return Error::success();
}
