//===- Hash.h - stable content hashes -----------------------------*- C++ -*-===//
//
// Hashes that identify program entities across builds: they must not depend on
// addresses, iteration order or the host, only on the bytes fed in.
//
//===----------------------------------------------------------------------===//
#ifndef DSU_SUPPORT_HASH_H
#define DSU_SUPPORT_HASH_H

#include "llvm/ADT/StringRef.h"
#include <cstdint>
#include <string>

namespace dsu {

/// Incremental 64-bit hash over a sequence of fields. Each field is framed by
/// its length so that ("ab","c") and ("a","bc") differ.
class StableHasher {
public:
  StableHasher &add(llvm::StringRef Field);
  StableHasher &add(uint64_t Value);
  uint64_t finish() const { return State; }
  std::string hex(unsigned Digits = 16) const;

private:
  uint64_t State = 0x9e3779b97f4a7c15ULL;
};

/// Lowercase hex of the low `Digits` hex digits of `Value`.
std::string toHex(uint64_t Value, unsigned Digits = 16);

uint64_t hashString(llvm::StringRef Bytes);

} // namespace dsu

#endif
