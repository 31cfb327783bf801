#include "dsu/Support/Hash.h"

#include "llvm/Support/xxhash.h"

using namespace dsu;

uint64_t dsu::hashString(llvm::StringRef Bytes) {
  return llvm::xxh3_64bits(
      llvm::ArrayRef<uint8_t>(Bytes.bytes_begin(), Bytes.bytes_end()));
}

StableHasher &StableHasher::add(llvm::StringRef Field) {
  State = hashString(Field) ^ (State * 0x100000001b3ULL) ^ Field.size();
  State = llvm::xxh3_64bits(llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(&State), sizeof(State)));
  return *this;
}

StableHasher &StableHasher::add(uint64_t Value) {
  uint64_t Buf[2] = {State, Value};
  State = llvm::xxh3_64bits(llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(Buf), sizeof(Buf)));
  return *this;
}

std::string StableHasher::hex(unsigned Digits) const {
  return toHex(State, Digits);
}

std::string dsu::toHex(uint64_t Value, unsigned Digits) {
  static const char *HexDigits = "0123456789abcdef";
  std::string Out(Digits, '0');
  for (unsigned I = 0; I < Digits; ++I) {
    Out[Digits - 1 - I] = HexDigits[Value & 0xf];
    Value >>= 4;
  }
  return Out;
}
