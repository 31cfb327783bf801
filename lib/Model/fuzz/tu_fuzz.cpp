//===- tu_fuzz.cpp - libFuzzer target for the .dsu.tu records -------------===//
//
// The bytes of a .dsu.tu section as `dsu diff`/`dsu patch`/`dsu model` read
// them (decodeTURecords: framing, checksum, decompression, bitcode magic,
// model JSON and its validation). Mutated bytes rarely pass the checksum, so
// the input is also wrapped in records whose checksum is made right here:
// once stored as it is, as the model JSON (that reaches the JSON parser and
// the model validation, what a deliberate edit of a build would aim at), and
// once as the compressed payload, with the unpacked sizes taken from the
// input (that reaches zstd's frame checks and decompressor with hostile
// frames). The bitcode itself is not given to LLVM's reader here (the
// section's checks decide whether it may be).
//
//   ninja -C build dsu-fuzz-tu
//   build/bin/dsu-fuzz-tu build/fuzz/tu lib/Model/fuzz/corpus \
//       -max_total_time=600
//
//===----------------------------------------------------------------------===//
#include "dsu/Model/TURecord.h"

extern "C" {
#include "dsu/patch_format.h"
}

#include "llvm/Support/Endian.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <zstd.h>

using namespace llvm;

static uint64_t fnvMore(uint64_t H, const std::string &Bytes) {
  for (unsigned char C : Bytes) {
    H ^= C;
    H *= 0x100000001b3ULL;
  }
  return H;
}

/// A format 3 record with a right checksum around Payload.
static std::string record(uint64_t Method, uint64_t JsonLen, uint64_t BcLen,
                          const std::string &Payload) {
  std::string Rec("DSUTU003", 8);
  char Word[8];
  for (uint64_t V : {Method, JsonLen, BcLen, uint64_t(Payload.size())}) {
    support::endian::write64le(Word, V);
    Rec.append(Word, 8);
  }
  uint64_t Sum = fnvMore(dsu_fnv1a64(Rec.data(), Rec.size()), Payload);
  support::endian::write64le(Word, Sum);
  Rec.append(Word, 8);
  return Rec + Payload;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  if (Size > (1 << 20))
    return 0;
  StringRef In(reinterpret_cast<const char *>(Data), Size);
  if (auto R = dsu::decodeTURecords(In); !R)
    consumeError(R.takeError());

  std::string Bitcode("BC\xC0\xDE\x35\x14\x00\x00", 8);
  // Stored: the input is the JSON.
  std::string Json = In.str();
  std::string Rec = record(0, Json.size(), Bitcode.size(), Json + Bitcode);
  if (auto R = dsu::decodeTURecords(Rec); !R)
    consumeError(R.takeError());
  // Compressed: the input is the zstd payload after 8 bytes that say how
  // it splits into JSON and bitcode once unpacked; the unpacked size is
  // the one the frame declares (up to 16 MiB), or the input's size.
  if (Size >= 8) {
    uint64_t Split = support::endian::read64le(Data) & 0xffffff;
    std::string Payload = In.substr(8).str();
    unsigned long long Declared =
        ZSTD_getFrameContentSize(Payload.data(), Payload.size());
    uint64_t Total = Declared <= (1u << 24) ? Declared : Size;
    Rec = record(1, std::min(Split, Total), Total - std::min(Split, Total),
                 Payload);
    if (auto R = dsu::decodeTURecords(Rec); !R)
      consumeError(R.takeError());
  }
  return 0;
}
