//===- tu_fuzz.cpp - libFuzzer target for the .dsu.tu records -------------===//
//
// The bytes of a .dsu.tu section as `dsu diff`/`dsu patch`/`dsu model` read
// them (decodeTURecords: framing, checksum, bitcode magic, model JSON and its
// validation). Mutated bytes rarely pass the checksum, so the input is also
// wrapped in a record whose checksum is made right here, with the input as
// the model JSON: that reaches the JSON parser and the model validation, what
// a deliberate edit of a build would aim at. The bitcode itself is not given
// to LLVM's reader here (the section's checks decide whether it may be).
//
//   ninja -C build dsu-fuzz-tu
//   build/bin/dsu-fuzz-tu build/fuzz/tu lib/Model/fuzz/corpus \
//       -max_total_time=600
//
//===----------------------------------------------------------------------===//
#include "dsu/Model/Manifest.h"

extern "C" {
#include "dsu/patch_format.h"
}

#include "llvm/Support/Endian.h"

#include <cstdint>
#include <string>

using namespace llvm;

static uint64_t fnvMore(uint64_t H, const std::string &Bytes) {
  for (unsigned char C : Bytes) {
    H ^= C;
    H *= 0x100000001b3ULL;
  }
  return H;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  if (Size > (1 << 20))
    return 0;
  StringRef In(reinterpret_cast<const char *>(Data), Size);
  if (auto R = dsu::decodeTURecords(In); !R)
    consumeError(R.takeError());

  std::string Json = In.str();
  std::string Bitcode("BC\xC0\xDE\x35\x14\x00\x00", 8);
  std::string Rec("DSUTU002", 8);
  char Len[8];
  support::endian::write64le(Len, Json.size());
  Rec.append(Len, 8);
  support::endian::write64le(Len, Bitcode.size());
  Rec.append(Len, 8);
  uint64_t Sum = fnvMore(fnvMore(dsu_fnv1a64(Rec.data(), Rec.size()), Json),
                         Bitcode);
  support::endian::write64le(Len, Sum);
  Rec.append(Len, 8);
  Rec += Json;
  Rec += Bitcode;
  if (auto R = dsu::decodeTURecords(Rec); !R)
    consumeError(R.takeError());
  return 0;
}
