//===- Tables.cpp - Strided tables and the families of objects they name --===//
//
// Real servers keep tables of pointers to objects they allocated one after
// another: redis's 10,000 shared integers (a stored value below 10,000 is
// replaced by shared.integers[value], so the table is indexed by the value
// a client sent). Under symbolic execution the index is symbolic and can
// take every one of its 10,000 values. Forking once per value, or once per
// object the loaded pointer may name, is far too slow (KLEE forks too), and
// an if-then-else term over 10,000 addresses makes every later query slow.
// This file reads such tables as what they are.
//
// Strided runs. A load at a symbolic offset from a large table first takes
// one model of the offset and looks at the entries around it: if entry j of
// a maximal run of N-byte entries is first + j * delta (constants), and the
// solver proves that every value the offset can take on the path lands on
// an entry of the run, the load is `first + index * delta`, with `index` the
// run position as a term, and `index < count` is added to the path (it is
// implied). One query, and a small linear term.
//
// Families. When a run holds pointers to the same offset of count live
// objects of one size whose bases are delta apart (malloc in a loop), the
// objects form a family (Memory.h). A later load or store whose address is
// `numeral + term * delta` with the numeral inside the family reads or
// writes "field f of member index" without forking: a field's value over
// all members is one term over a placeholder index X (its members' common
// value, an affine `v0 + X * d` when they count up, or a balanced tree over
// X's bits), instantiated with the access's index. A store through the
// family writes `ite(index == k, value, old)` into every member, so a
// member later read through a plain pointer sees it, and records the
// field as `ite(X == index, value, old field)`, so the next access through
// the family stays small. Any other write to a member forgets the recorded
// fields (they are rebuilt from the members), and a family whose members
// are not all alive and of one size is not followed: such an access ends
// the path as unknown, as do library calls handed a family pointer.
//
//===----------------------------------------------------------------------===//

#include "Executor.h"

using namespace dsu::symex;
using llvm::APInt;

namespace {
/// Folds equal subtrees, as Memory.cpp's position tree does.
Z3_ast mkIte(Z3_context Z, Z3_ast C, Z3_ast T, Z3_ast F) {
  return T == F ? T : Z3_mk_ite(Z, C, T, F);
}
} // namespace

bool Executor::readStridedRun(ExecutionState &S, const MemObject &O,
                              const SVal &Off, unsigned N, SVal &Result) {
  if (O.Array || (N != 1 && N != 2 && N != 4 && N != 8))
    return false;
  APInt Model;
  if (!getValue(S, Off, Model) || Model.getActiveBits() > 63)
    return false;
  uint64_t P0 = Model.getZExtValue();
  // The entry at offset P when all of its bytes are concrete.
  auto Entry = [&](uint64_t P, APInt &E) {
    if (P + N > O.Size || P + N < P)
      return false;
    E = APInt(N * 8, 0);
    for (unsigned I = 0; I < N; ++I) {
      const Byte &Bt = O.Bytes[P + I];
      if (Bt.E)
        return false;
      E.insertBits(APInt(8, Bt.Val), I * 8);
    }
    return true;
  };
  APInt E0, E1, Delta;
  if (!Entry(P0, E0))
    return false;
  if (Entry(P0 + N, E1))
    Delta = E1 - E0;
  else if (P0 >= N && Entry(P0 - N, E1))
    Delta = E0 - E1;
  else
    return false;
  uint64_t Lo = P0, Hi = P0;
  APInt First = E0, Last = E0, E;
  while (Lo >= N && Entry(Lo - N, E) && E == First - Delta) {
    Lo -= N;
    First = E;
  }
  while (Entry(Hi + N, E) && E == Last + Delta) {
    Hi += N;
    Last = E;
  }
  uint64_t Count = (Hi - Lo) / N + 1;
  if (Count < 2)
    return false;

  Z3_context Z = Ctx.z3();
  Z3_ast Rel = Z3_mk_bvsub(Z, B.bv(Off), Ctx.numeral(APInt(64, Lo)));
  Z3_ast Cond = Z3_mk_bvule(Z, Rel, Ctx.numeral(APInt(64, Hi - Lo)));
  unsigned Shift = N == 1 ? 0 : N == 2 ? 1 : N == 4 ? 2 : 3;
  if (Shift) {
    Z3_ast Args[2] = {Cond, Z3_mk_eq(Z, Z3_mk_extract(Z, Shift - 1, 0, Rel),
                                     Ctx.numeral(APInt(Shift, 0)))};
    Cond = Z3_mk_and(Z, 2, Args);
  }
  bool Outside;
  if (!mayBeTrue(S, Z3_mk_not(Z, Cond), Outside) || Outside)
    return false;
  Z3_ast Index =
      Shift ? Z3_mk_bvlshr(Z, Rel, Ctx.numeral(APInt(64, Shift))) : Rel;
  addConstraint(S, Z3_mk_bvult(Z, Index, Ctx.numeral(APInt(64, Count))));
  Z3_ast Narrow = N == 8 ? Index : Z3_mk_extract(Z, N * 8 - 1, 0, Index);
  Result = B.wrap(Z3_mk_bvadd(Z, Ctx.numeral(First),
                              Z3_mk_bvmul(Z, Ctx.numeral(Delta), Narrow)));
  if (N == 8 && Delta.getActiveBits() <= 32 && !Delta.isZero())
    registerFamily(S, First.getZExtValue(), Delta.getZExtValue(), Count);
  return true;
}

void Executor::registerFamily(ExecutionState &S, uint64_t FirstTarget,
                              uint64_t Stride, uint64_t Count) {
  const MemObject *O0 = S.Mem.find(FirstTarget);
  if (!O0 || O0->Kind != ObjectKind::Heap)
    return;
  ObjectFamily F;
  F.First = O0->Base;
  F.Stride = Stride;
  F.Count = Count;
  F.Size = O0->Size;
  for (const ObjectFamily &G : S.Mem.Families) {
    if (G.First == F.First && G.Stride == F.Stride && G.Count == F.Count)
      return; // known
    if (G.First < F.end() && F.First < G.end())
      return; // overlaps another family: keep to the first
  }
  for (uint64_t K = 0; K < Count; ++K) {
    const MemObject *O = S.Mem.byBase(F.member(K));
    if (!O || O->Size != F.Size || !O->Alive || O->Kind != ObjectKind::Heap)
      return;
  }
  F.Checked = true;
  S.Mem.Families.push_back(std::move(F));
}

Z3_ast Executor::familyIndexPlaceholder() {
  if (!FamilyX)
    FamilyX =
        Z3_mk_const(Ctx.z3(), Z3_mk_string_symbol(Ctx.z3(), "dsu.family.index"),
                    Ctx.bvSort(64));
  return FamilyX;
}

Executor::FamilyMatch Executor::matchFamily(ExecutionState &S, const SVal &Addr,
                                            uint64_t N, FamilyAccess &A) {
  if (Addr.isConcrete() || S.Mem.Families.empty() || N == 0 || N > 8)
    return FamilyMatch::None;
  // The shape readStridedRun gives a pointer, after address arithmetic:
  // numeral + (stride * index), the numeral inside the family.
  Z3_context Z = Ctx.z3();
  Z3_ast AE = Addr.sym();
  Z3_app App =
      Z3_get_ast_kind(Z, AE) == Z3_APP_AST ? Z3_to_app(Z, AE) : nullptr;
  APInt C, D;
  if (!App || Z3_get_decl_kind(Z, Z3_get_app_decl(Z, App)) != Z3_OP_BADD ||
      Z3_get_app_num_args(Z, App) != 2 ||
      !Ctx.numeralValue(Z3_get_app_arg(Z, App, 0), C))
    return FamilyMatch::None;
  Z3_ast Rest = Z3_get_app_arg(Z, App, 1);
  Z3_app Mul =
      Z3_get_ast_kind(Z, Rest) == Z3_APP_AST ? Z3_to_app(Z, Rest) : nullptr;
  if (!Mul || Z3_get_decl_kind(Z, Z3_get_app_decl(Z, Mul)) != Z3_OP_BMUL ||
      Z3_get_app_num_args(Z, Mul) != 2)
    return FamilyMatch::None;
  Z3_ast Index = Z3_get_app_arg(Z, Mul, 1);
  if (!Ctx.numeralValue(Z3_get_app_arg(Z, Mul, 0), D)) {
    Index = Z3_get_app_arg(Z, Mul, 0);
    if (!Ctx.numeralValue(Z3_get_app_arg(Z, Mul, 1), D))
      return FamilyMatch::None;
  }
  uint64_t Num = C.getZExtValue();
  for (size_t I = 0; I < S.Mem.Families.size(); ++I) {
    ObjectFamily &F = S.Mem.Families[I];
    if (Num < F.First || Num >= F.end() || D != F.Stride)
      continue;
    uint64_t Shift = (Num - F.First) / F.Stride;
    uint64_t Field = (Num - F.First) % F.Stride;
    if (Field + N > F.Size)
      return FamilyMatch::None; // past a member: the bounds check says so
    if (Shift)
      Index = Z3_mk_bvadd(Z, Index, Ctx.numeral(APInt(64, Shift)));
    std::string Why;
    if (!F.Checked) {
      for (uint64_t K = 0; K < F.Count && Why.empty(); ++K) {
        const MemObject *O = S.Mem.byBase(F.member(K));
        if (!O || !O->Alive || O->Size != F.Size || O->ReadOnly)
          Why = "member " + std::to_string(K) + " is no longer alive";
      }
      if (Why.empty())
        F.Checked = true;
    }
    bool Past = false;
    if (Why.empty()) {
      if (!mayBeTrue(S, Z3_mk_bvuge(Z, Index, Ctx.numeral(APInt(64, F.Count))),
                     Past)) {
        terminateEarly(S, solverFailure());
        return FamilyMatch::Unsure;
      }
      if (Past)
        Why = "the index may be past its end";
    }
    if (!Why.empty()) {
      terminateEarly(S, "symbolic pointer into a table's " +
                            std::to_string(F.Count) + " objects, " + Why);
      return FamilyMatch::Unsure;
    }
    A.Family = I;
    A.Offset = Field;
    A.Index = Index;
    return FamilyMatch::Member;
  }
  return FamilyMatch::None;
}

Z3_ast Executor::familyField(ExecutionState &S, ObjectFamily &F, uint64_t Off,
                             unsigned N) {
  auto Key = std::make_pair(Off, N);
  auto It = F.Fields.find(Key);
  if (It != F.Fields.end())
    return It->second;
  Z3_context Z = Ctx.z3();
  // Bytes of a known wider (or overlapping) field come from its term: the
  // members' own bytes hold one if-then-else per member after a store
  // through the family.
  bool Overlaps = false;
  for (const auto &[K, T] : F.Fields)
    Overlaps |= K.first < Off + N && Off < K.first + K.second;
  if (Overlaps) {
    Z3_ast R = nullptr;
    for (unsigned I = 0; I < N; ++I) {
      Z3_ast Bt = nullptr;
      for (const auto &[K, T] : F.Fields)
        if (K.first <= Off + I && Off + I < K.first + K.second) {
          unsigned Lo = (unsigned)(Off + I - K.first) * 8;
          Bt = Z3_mk_extract(Z, Lo + 7, Lo, T);
          break;
        }
      if (!Bt)
        Bt = familyField(S, F, Off + I, 1);
      R = R ? Z3_mk_concat(Z, Bt, R) : Bt;
    }
    F.Fields[Key] = R;
    return R;
  }
  std::vector<SVal> Leaves;
  Leaves.reserve(F.Count);
  bool AllConcrete = true;
  for (uint64_t K = 0; K < F.Count; ++K) {
    Leaves.push_back(
        Mem.read(*S.Mem.byBase(F.member(K)), SVal::concrete(64, Off), N));
    AllConcrete &= Leaves.back().isConcrete();
  }
  Z3_ast X = familyIndexPlaceholder();
  Z3_ast Phi = nullptr;
  if (AllConcrete) {
    // Equal (D = 0) or counting up: v0 + X * D.
    APInt V0 = Leaves[0].value(), D = Leaves[1].value() - V0;
    bool Affine = true;
    for (uint64_t K = 2; K < F.Count && Affine; ++K)
      Affine = Leaves[K].value() == Leaves[K - 1].value() + D;
    if (Affine) {
      Z3_ast Narrow = N == 8 ? X : Z3_mk_extract(Z, N * 8 - 1, 0, X);
      Phi = D.isZero() ? Ctx.numeral(V0)
                       : Z3_mk_bvadd(Z, Ctx.numeral(V0),
                                     Z3_mk_bvmul(Z, Ctx.numeral(D), Narrow));
    }
  }
  if (!Phi) {
    // A balanced tree over X's bits, one leaf per member.
    unsigned Bits = 0;
    while ((uint64_t(1) << Bits) < F.Count)
      ++Bits;
    std::function<Z3_ast(uint64_t, unsigned)> Tree = [&](uint64_t Lo,
                                                         unsigned Bit) {
      if (Bit == 0)
        return B.bv(Leaves[Lo]);
      uint64_t Half = uint64_t(1) << (Bit - 1);
      Z3_ast Left = Tree(Lo, Bit - 1);
      if (Lo + Half >= F.Count)
        return Left;
      Z3_ast IsSet = Z3_mk_eq(Z, Z3_mk_extract(Z, Bit - 1, Bit - 1, X),
                              Ctx.numeral(APInt(1, 1)));
      return mkIte(Z, IsSet, Tree(Lo + Half, Bit - 1), Left);
    };
    Phi = Tree(0, Bits);
  }
  F.Fields[Key] = Phi;
  return Phi;
}

SVal Executor::familyLoad(ExecutionState &S, const FamilyAccess &A,
                          unsigned N) {
  Z3_ast Phi = familyField(S, S.Mem.Families[A.Family], A.Offset, N);
  Z3_ast X = familyIndexPlaceholder();
  return B.wrap(Z3_substitute(Ctx.z3(), Phi, 1, &X, &A.Index));
}

void Executor::familyStore(ExecutionState &S, const FamilyAccess &A,
                           const SVal &V) {
  Z3_context Z = Ctx.z3();
  unsigned N = V.width() / 8;
  ObjectFamily &F = S.Mem.Families[A.Family];
  Z3_ast Old = familyField(S, F, A.Offset, N);
  // The fields this store does not touch stay exact.
  auto Kept = F.Fields;
  for (auto It = Kept.begin(); It != Kept.end();)
    if (It->first.first < A.Offset + N &&
        A.Offset < It->first.first + It->first.second)
      It = Kept.erase(It);
    else
      ++It;
  Z3_ast Val = B.bv(V);
  for (uint64_t K = 0; K < F.Count; ++K) {
    MemObject &O = S.Mem.writable(F.member(K));
    SVal Before = Mem.read(O, SVal::concrete(64, A.Offset), N);
    Z3_ast Hit = Z3_mk_eq(Z, A.Index, Ctx.numeral(APInt(64, K)));
    Mem.write(O, SVal::concrete(64, A.Offset),
              B.wrap(mkIte(Z, Hit, Val, B.bv(Before))));
  }
  // writable() forgot the fields; what is known still holds.
  Z3_ast X = familyIndexPlaceholder();
  Kept[{A.Offset, N}] = Z3_mk_ite(Z, Z3_mk_eq(Z, X, A.Index), Val, Old);
  ObjectFamily &G = S.Mem.Families[A.Family];
  G.Fields = std::move(Kept);
  G.Checked = true;
}
