//===- Memory.cpp - Object contents: flat bytes and array terms -----------===//
//
// See Memory.h for the model. Reads at concrete offsets from flat objects are
// the fast path: all-concrete bytes fold to an APInt, bytes 0..N-1 of one
// N-byte term return that term, anything else becomes a concat of byte
// terms. Everything else goes through the array term.
//
//===----------------------------------------------------------------------===//

#include "Memory.h"

#include <cassert>

using namespace dsu::symex;
using llvm::APInt;

/// Folds equal subtrees: a table with runs of equal entries (zeroes, the
/// same pointer) gives a much smaller term.
static Z3_ast mkIte(Z3_context Z, Z3_ast C, Z3_ast T, Z3_ast F) {
  if (T == F)
    return T;
  return Z3_mk_ite(Z, C, T, F);
}

Z3_ast MemoryOps::positionTree(const MemObject &O, Z3_ast Off, unsigned N,
                               uint64_t Lo, unsigned Bit, uint64_t Count) {
  if (Bit == 0)
    return B.bv(read(O, SVal::concrete(64, Lo), N));
  uint64_t Half = uint64_t(1) << (Bit - 1);
  Z3_ast Left = positionTree(O, Off, N, Lo, Bit - 1, Count);
  if (Lo + Half >= Count)
    return Left;
  Z3_ast Right = positionTree(O, Off, N, Lo + Half, Bit - 1, Count);
  ExprContext &C = B.context();
  Z3_context Z = C.z3();
  Z3_ast IsSet = Z3_mk_eq(Z, Z3_mk_extract(Z, Bit - 1, Bit - 1, Off),
                          C.numeral(APInt(1, 1)));
  return mkIte(Z, IsSet, Right, Left);
}

AddressSpace::Chunk &AddressSpace::chunkForWrite(uint64_t Base) {
  std::shared_ptr<Chunk> &P = Chunks[Base >> ChunkBits];
  if (!P)
    P = std::make_shared<Chunk>();
  else if (P.use_count() > 1)
    P = std::make_shared<Chunk>(*P);
  return *P;
}

const MemObject *AddressSpace::byBase(uint64_t Base) const {
  auto C = Chunks.find(Base >> ChunkBits);
  if (C == Chunks.end())
    return nullptr;
  auto It = C->second->find(Base);
  return It == C->second->end() ? nullptr : It->second.get();
}

const MemObject *AddressSpace::find(uint64_t Addr) const {
  const MemObject *O = nearest(Addr);
  return O && O->contains(Addr) ? O : nullptr;
}

const MemObject *AddressSpace::nearest(uint64_t Addr) const {
  uint64_t Key = Addr >> ChunkBits;
  // The chunks at or below Addr's, from Addr's down: the first object at or
  // below Addr is the answer (an object may start in a lower chunk).
  for (auto C = Chunks.upper_bound(Key); C != Chunks.begin();) {
    --C;
    const Chunk &Objects = *C->second;
    if (C->first == Key) {
      auto It = Objects.upper_bound(Addr);
      if (It != Objects.begin())
        return std::prev(It)->second.get();
    } else if (!Objects.empty()) {
      return Objects.rbegin()->second.get();
    }
  }
  return nullptr;
}

MemObject &AddressSpace::writable(uint64_t Base) {
  auto &P = chunkForWrite(Base).at(Base);
  if (P.use_count() > 1)
    P = std::make_shared<MemObject>(*P);
  P->CachedArray = nullptr;
  for (ObjectFamily &F : Families)
    if (F.hasMember(Base)) {
      F.Checked = false;
      F.Fields.clear();
    }
  return *P;
}

Z3_ast MemoryOps::byteTerm(const Byte &Bt) {
  ExprContext &C = B.context();
  if (!Bt.E)
    return C.numeral(APInt(8, Bt.Val));
  Z3_ast E = Bt.E;
  if (C.isBool(E))
    E = B.bv(SVal::symbolic(E, 1));
  if (C.width(E) == 8)
    return E;
  return Z3_mk_extract(C.z3(), Bt.Idx * 8 + 7, Bt.Idx * 8, E);
}

Z3_ast MemoryOps::arrayOf(const MemObject &O) {
  if (O.Array)
    return O.Array;
  if (O.CachedArray)
    return O.CachedArray;
  ExprContext &C = B.context();
  Z3_context Z = C.z3();
  Z3_sort Idx = C.bvSort(64);
  Z3_ast A = Z3_mk_const_array(Z, Idx, C.numeral(APInt(8, 0)));
  for (uint64_t I = 0; I < O.Bytes.size(); ++I) {
    const Byte &Bt = O.Bytes[I];
    if (!Bt.E && Bt.Val == 0)
      continue;
    A = Z3_mk_store(Z, A, C.numeral(APInt(64, I)), byteTerm(Bt));
  }
  O.CachedArray = A;
  return A;
}

SVal MemoryOps::readByte(const MemObject &O, uint64_t Off) {
  return read(O, SVal::concrete(64, Off), 1);
}

SVal MemoryOps::read(const MemObject &O, const SVal &Offset, unsigned N) {
  ExprContext &C = B.context();
  Z3_context Z = C.z3();
  if (Offset.isConcrete() && !O.Array) {
    uint64_t Off = Offset.zext();
    assert(Off + N <= O.Bytes.size() && "read out of bounds");
    bool AllConcrete = true;
    for (unsigned I = 0; I < N; ++I)
      AllConcrete &= !O.Bytes[Off + I].E;
    if (AllConcrete) {
      APInt V(N * 8, 0);
      for (unsigned I = 0; I < N; ++I)
        V.insertBits(APInt(8, O.Bytes[Off + I].Val), I * 8);
      return SVal::concrete(V);
    }
    Z3_ast E0 = O.Bytes[Off].E;
    bool Whole = E0 && C.width(E0) == N * 8;
    for (unsigned I = 0; Whole && I < N; ++I)
      Whole = O.Bytes[Off + I].E == E0 && O.Bytes[Off + I].Idx == I;
    if (Whole)
      return B.wrap(E0);
    Z3_ast R = byteTerm(O.Bytes[Off]);
    for (unsigned I = 1; I < N; ++I)
      R = Z3_mk_concat(Z, byteTerm(O.Bytes[Off + I]), R);
    return B.wrap(C.simplify(R));
  }
  if (!O.Array && !Offset.isConcrete() && O.Bytes.size() <= TreeLimit &&
      O.Bytes.size() >= N) {
    // A flat object read at a symbolic offset: a balanced if-then-else tree
    // that tests the offset's bits, with one leaf per start position. Z3
    // bit-blasts such terms much faster than it decides array terms built
    // from hundreds of stores (measured: a 768-byte ctype table went from
    // seconds per query to milliseconds). It used to be a chain (one ite per
    // position); a chain over redis's 10,000-pointer table was 80,000 terms
    // deep and crashed Z3's recursive passes. The tree is log2(size) deep.
    uint64_t Count = O.Bytes.size() - N + 1;
    unsigned Bits = 0;
    while (Bits < 64 && (uint64_t(1) << Bits) < Count)
      ++Bits;
    return B.wrap(positionTree(O, B.bv(Offset), N, 0, Bits, Count));
  }
  Z3_ast A = arrayOf(O);
  Z3_ast Base = B.bv(Offset);
  Z3_ast R = nullptr;
  for (unsigned I = 0; I < N; ++I) {
    Z3_ast Idx = I ? Z3_mk_bvadd(Z, Base, C.numeral(APInt(64, I))) : Base;
    Z3_ast Sel = Z3_mk_select(Z, A, Idx);
    R = R ? Z3_mk_concat(Z, Sel, R) : Sel;
  }
  if (Offset.isConcrete())
    R = C.simplify(R);
  return B.wrap(R);
}

void MemoryOps::writeByte(MemObject &O, uint64_t Off, const SVal &V) {
  write(O, SVal::concrete(64, Off), V);
}

void MemoryOps::write(MemObject &O, const SVal &Offset, const SVal &V) {
  ExprContext &C = B.context();
  Z3_context Z = C.z3();
  unsigned N = V.width() / 8;
  assert(V.width() % 8 == 0 && "store of a non-byte-sized value");
  O.CachedArray = nullptr;
  if (Offset.isConcrete() && !O.Array) {
    uint64_t Off = Offset.zext();
    assert(Off + N <= O.Bytes.size() && "write out of bounds");
    if (V.isConcrete()) {
      for (unsigned I = 0; I < N; ++I) {
        Byte &Bt = O.Bytes[Off + I];
        Bt.E = nullptr;
        Bt.Val = (uint8_t)V.value().extractBitsAsZExtValue(8, I * 8);
      }
    } else {
      Z3_ast E = B.bv(V);
      for (unsigned I = 0; I < N; ++I) {
        Byte &Bt = O.Bytes[Off + I];
        Bt.E = E;
        Bt.Idx = I;
      }
    }
    return;
  }
  // Switch to the array form and store each byte.
  Z3_ast A = arrayOf(O);
  O.CachedArray = nullptr;
  Z3_ast Base = B.bv(Offset);
  Z3_ast Val = B.bv(V);
  for (unsigned I = 0; I < N; ++I) {
    Z3_ast Idx = I ? Z3_mk_bvadd(Z, Base, C.numeral(APInt(64, I))) : Base;
    Z3_ast Bt = N == 1 ? Val : Z3_mk_extract(Z, I * 8 + 7, I * 8, Val);
    A = Z3_mk_store(Z, A, Idx, Bt);
  }
  O.Array = A;
  O.Bytes.clear();
  O.Bytes.shrink_to_fit();
}
