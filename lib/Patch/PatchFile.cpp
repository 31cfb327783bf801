//===- PatchFile.cpp - patch files: encoding, checking, signing ----------===//
//
// The layout is include/dsu/patch_format.h's. decodePatchFile performs the
// runtime's file-level checks (header, the three checksums, the signature
// when there is one) so that `dsu apply` names a bad file before the process
// is asked; the runtime repeats every check, and the ELF check too.
//
// Signing (kpatch signs modules; dsu signs patches): an Ed25519 key pair from
// libsodium, kept as hex text. The secret key file is the 64-byte libsodium
// secret key (seed and public key), mode 0600; the public key file holds the
// 32-byte public key. The signature covers the whole file with the signature
// and header_hash fields zeroed (dsu_signing_header), so it binds the base
// and target versions, the payload and the plan; the signer's public key is
// in the header so that a process with several trusted keys knows which one
// to try, and a key it does not trust is refused by name.
//
//===----------------------------------------------------------------------===//
#include "dsu/Patch/PatchFile.h"
#include "dsu/Support/Error.h"

extern "C" {
#include "dsu/patch_format.h"
}

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

#include <sodium.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
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
  // NUL-padded, every byte significant: a 32-character id fills the field.
  std::memcpy(H.base_version, P.BaseVersion.data(),
              std::min<size_t>(P.BaseVersion.size(), DSU_VERSION_ID_SIZE));
  std::memcpy(H.target_version, P.TargetVersion.data(),
              std::min<size_t>(P.TargetVersion.size(), DSU_VERSION_ID_SIZE));
  H.payload_size = P.SharedObject.size();
  H.payload_hash = dsu_fnv1a64(P.SharedObject.data(), P.SharedObject.size());
  H.plan_size = P.Plan.size();
  H.plan_hash = dsu_fnv1a64(P.Plan.data(), P.Plan.size());
  H.header_hash = 0;
  H.header_hash = dsu_fnv1a64(&H, sizeof(H));
  std::string Out(reinterpret_cast<const char *>(&H), sizeof(H));
  Out += P.SharedObject;
  Out += P.Plan;
  return Out;
}

Expected<PatchFile> dsu::decodePatchFile(StringRef Bytes) {
  auto Bad = [](const Twine &Why) { return failure(Why); };
  dsu_patch_header H;
  // The magic first: a short file that is no patch is named as such.
  if (Bytes.size() >= 8 && std::memcmp(Bytes.data(), DSU_PATCH_MAGIC, 8) != 0)
    return Bad("not a dsu patch (bad magic)");
  if (Bytes.size() < sizeof(H))
    return Bad("truncated patch (" + Twine(Bytes.size()) + " bytes)");
  std::memcpy(&H, Bytes.data(), sizeof(H));
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
  StringRef Plan = Bytes.substr(sizeof(H) + H.payload_size);
  if (dsu_fnv1a64(Plan.data(), Plan.size()) != H.plan_hash)
    return Bad("corrupt patch (plan checksum mismatch)");
  if ((H.flags & ~DSU_PATCH_SIGNED) || H.reserved)
    return Bad("unsupported patch flags " + Twine(H.flags));
  if (H.flags & DSU_PATCH_SIGNED) {
    if (sodium_init() < 0)
      return Bad("cannot initialise libsodium to check the signature");
    std::string Msg = Bytes.str();
    dsu_patch_header S = H;
    dsu_signing_header(&S);
    std::memcpy(Msg.data(), &S, sizeof(S));
    if (crypto_sign_verify_detached(
            H.signature, reinterpret_cast<const unsigned char *>(Msg.data()),
            Msg.size(), H.signer) != 0)
      return Bad("bad signature (the patch was changed after it was signed)");
  }
  PatchFile P;
  P.BaseVersion = std::string(H.base_version,
                              strnlen(H.base_version, DSU_VERSION_ID_SIZE));
  P.TargetVersion = std::string(
      H.target_version, strnlen(H.target_version, DSU_VERSION_ID_SIZE));
  P.SharedObject = Payload.str();
  P.Plan = Plan.str();
  if (H.flags & DSU_PATCH_SIGNED)
    P.Signer = toHex(StringRef(reinterpret_cast<const char *>(H.signer),
                               DSU_SIGN_KEY_SIZE),
                     /*LowerCase=*/true);
  return P;
}

/// Reads a key file: hex text of Size bytes, surrounding whitespace allowed.
static Expected<std::string> readKeyFile(StringRef Path, size_t Size,
                                         const char *What) {
  auto Fail = [&](const Twine &Why) { return failure(Path + ": " + Why); };
  struct stat St;
  if (stat(Path.str().c_str(), &St) != 0)
    return Fail(strerror(errno));
  if (!S_ISREG(St.st_mode) || St.st_size > 4096)
    return Fail(Twine("not a ") + What + " file");
  auto Buf = MemoryBuffer::getFile(Path, /*IsText=*/true);
  if (!Buf)
    return Fail(Buf.getError().message());
  std::string Raw;
  StringRef Text = (*Buf)->getBuffer().trim();
  if (Text.size() != 2 * Size || !tryGetFromHex(Text, Raw))
    return Fail(Twine("not a ") + What + " file (" + Twine(2 * Size) +
                " hex digits expected)");
  return Raw;
}

Error dsu::generateSigningKey(StringRef SecretPath, StringRef PublicPath) {
  if (sodium_init() < 0)
    return failure("cannot initialise libsodium");
  unsigned char Pk[crypto_sign_PUBLICKEYBYTES], Sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(Pk, Sk);
  std::string SkHex =
      toHex(StringRef(reinterpret_cast<char *>(Sk), sizeof(Sk)), true) + "\n";
  std::string PkHex =
      toHex(StringRef(reinterpret_cast<char *>(Pk), sizeof(Pk)), true) + "\n";
  sodium_memzero(Sk, sizeof(Sk));
  // The secret key is created 0600 and never replaces an existing file.
  int Fd = open(SecretPath.str().c_str(),
                O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (Fd < 0)
    return failure(SecretPath + ": " + strerror(errno));
  bool Ok = write(Fd, SkHex.data(), SkHex.size()) == ssize_t(SkHex.size());
  Ok = close(Fd) == 0 && Ok;
  sodium_memzero(SkHex.data(), SkHex.size());
  if (!Ok)
    return failure(SecretPath + ": cannot write the key");
  return writePatchFile(PublicPath, PkHex);
}

Expected<std::string> dsu::signPatchFile(StringRef Bytes, StringRef KeyPath) {
  auto Raw = readKeyFile(KeyPath, crypto_sign_SECRETKEYBYTES, "secret key");
  if (!Raw)
    return Raw.takeError();
  if (sodium_init() < 0)
    return failure("cannot initialise libsodium");
  auto Sk = reinterpret_cast<const unsigned char *>(Raw->data());
  // Decode first: only a sound patch is signed.
  if (auto P = decodePatchFile(Bytes); !P)
    return P.takeError();
  std::string Out = Bytes.str();
  dsu_patch_header H;
  std::memcpy(&H, Out.data(), sizeof(H));
  H.flags |= DSU_PATCH_SIGNED;
  crypto_sign_ed25519_sk_to_pk(H.signer, Sk);
  dsu_signing_header(&H);
  std::memcpy(Out.data(), &H, sizeof(H));
  crypto_sign_detached(H.signature, nullptr,
                       reinterpret_cast<const unsigned char *>(Out.data()),
                       Out.size(), Sk);
  sodium_memzero(Raw->data(), Raw->size());
  H.header_hash = dsu_fnv1a64(&H, sizeof(H));
  std::memcpy(Out.data(), &H, sizeof(H));
  return Out;
}

Error dsu::writePatchFile(StringRef Path, StringRef Bytes) {
  auto Fail = [&](const Twine &Why) { return failure(Path + ": " + Why); };
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
