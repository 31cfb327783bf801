//===- Memory.h - Objects and address spaces --------------------*- C++ -*-===//
//
// Memory is a set of objects (globals, stack slots, heap blocks, argv and
// variadic argument areas), each at a concrete base address that is never
// reused in a run, with red zones between them, so an address determines
// its object and a stale pointer still names the freed object it came from.
//
// An object's contents are a vector of bytes. A byte is concrete, or byte
// Idx of a symbolic term (stored lazily: storing a symbolic i32 records the
// term four times with indices 0..3, and loading the same four bytes back
// returns the term itself, with no extract/concat). Once a store goes to a
// symbolic offset, the object switches to an array form: a Z3 array term
// (BV64 -> BV8) that later stores update with `store` and loads read with
// `select`. Loads at symbolic offsets from flat objects build that array
// term on the fly (cached until the next write).
//
// States share objects copy-on-write: an address space maps base address
// to a shared_ptr, and the first write through a shared pointer clones it.
//
//===----------------------------------------------------------------------===//

#ifndef DSU_SYMEX_MEMORY_H
#define DSU_SYMEX_MEMORY_H

#include "Expr.h"

#include "llvm/IR/Value.h"
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace dsu::symex {

enum class ObjectKind { Global, Stack, Heap, Argv, VarArgs };

struct Byte {
  Z3_ast E = nullptr; ///< Null: concrete byte Val. Else byte Idx of E.
  uint32_t Idx = 0;
  uint8_t Val = 0;
};

struct MemObject {
  uint64_t Base = 0;
  uint64_t Size = 0;
  ObjectKind Kind = ObjectKind::Heap;
  std::string Name;
  const llvm::Value *Site = nullptr; ///< The alloca, global or call.
  bool Alive = true;
  bool ReadOnly = false;
  std::vector<Byte> Bytes; ///< Flat form (when Array is null).
  Z3_ast Array = nullptr;  ///< Array form.
  mutable Z3_ast CachedArray = nullptr;

  bool contains(uint64_t Addr) const {
    return Addr >= Base && Addr - Base < Size;
  }
  /// One past the end counts for the nearest-object search.
  bool containsOrEnds(uint64_t Addr) const {
    return Addr >= Base && Addr - Base <= Size;
  }
};

/// Objects laid out like the targets of a table of pointers (redis's
/// 10,000 shared integers): Count live objects of one Size whose bases are
/// Stride apart from First. A pointer read from such a table at a symbolic
/// index points into one of them, and the executor reads and writes a field
/// of "member Index" through one term over the index instead of forking
/// per member (see Tables.cpp).
struct ObjectFamily {
  uint64_t First = 0;
  uint64_t Stride = 0;
  uint64_t Count = 0;
  uint64_t Size = 0;
  /// Every member was alive, of Size and writable when last checked; any
  /// write to a member clears it (AddressSpace::writable).
  bool Checked = false;
  /// (offset in a member, bytes) -> a term over Executor's placeholder
  /// index X such that, for every member k, those bytes of member k equal
  /// the term with X := k. Cleared by any write to a member but the
  /// executor's own writes through the family, which keep it exact.
  std::map<std::pair<uint64_t, unsigned>, Z3_ast> Fields;

  uint64_t end() const { return First + Count * Stride; }
  bool hasMember(uint64_t Base) const {
    return Base >= First && Base < end() && (Base - First) % Stride == 0;
  }
  uint64_t member(uint64_t K) const { return First + K * Stride; }
};

/// The objects of one path, by base address. Copying an address space (a
/// fork) is cheap: the objects sit in chunks of ChunkBytes of address
/// space, shared between copies and copied (the chunk's index, not its
/// objects) when a path first binds or writes an object in one. A flat map
/// copied per fork was a tenth of a redis run (tens of thousands of
/// objects, thousands of forks).
class AddressSpace {
public:
  void bind(std::shared_ptr<MemObject> O) {
    uint64_t Base = O->Base;
    chunkForWrite(Base)[Base] = std::move(O);
  }
  /// The object containing \p Addr, or null.
  const MemObject *find(uint64_t Addr) const;
  /// The object containing \p Addr or the last one below it, or null.
  const MemObject *nearest(uint64_t Addr) const;
  const MemObject *byBase(uint64_t Base) const;
  /// A private copy of the object at \p Base (copy-on-write). Forgets what
  /// is known about the family the object belongs to.
  MemObject &writable(uint64_t Base);

  std::vector<ObjectFamily> Families;

private:
  using Chunk = std::map<uint64_t, std::shared_ptr<MemObject>>;
  static constexpr unsigned ChunkBits = 14;
  /// The chunk holding bases in [Key << ChunkBits, (Key + 1) << ChunkBits),
  /// made private to this address space.
  Chunk &chunkForWrite(uint64_t Base);
  std::map<uint64_t, std::shared_ptr<Chunk>> Chunks;
};

/// Reads and writes object contents, building terms where needed.
class MemoryOps {
public:
  explicit MemoryOps(ExprBuilder &B) : B(B) {}
  /// Reads \p N bytes at \p Offset (64-bit) as a little-endian value.
  SVal read(const MemObject &O, const SVal &Offset, unsigned N);
  /// Writes \p V (a multiple of 8 bits) at \p Offset.
  void write(MemObject &O, const SVal &Offset, const SVal &V);
  /// Reads one byte at a concrete offset.
  SVal readByte(const MemObject &O, uint64_t Off);

  /// Largest flat object read at a symbolic offset (through a balanced ite
  /// tree); the executor fixes the offsets of larger ones.
  static constexpr uint64_t TreeLimit = 1 << 18;
  /// Largest flat object written at a symbolic offset (its contents become
  /// a chain of array stores, one per byte); the executor fixes the offsets
  /// into larger ones.
  static constexpr uint64_t ArrayLimit = 4096;
  void writeByte(MemObject &O, uint64_t Off, const SVal &V);

private:
  Z3_ast arrayOf(const MemObject &O);
  /// The value of the \p N bytes at \p Off for the start positions in
  /// [Lo, Lo + 2^Bit) below \p Count, deciding on bits Bit-1 .. 0 of Off.
  Z3_ast positionTree(const MemObject &O, Z3_ast Off, unsigned N, uint64_t Lo,
                      unsigned Bit, uint64_t Count);
  Z3_ast byteTerm(const Byte &B);
  ExprBuilder &B;
};

} // namespace dsu::symex

#endif
