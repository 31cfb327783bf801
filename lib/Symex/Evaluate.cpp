//===- Evaluate.cpp - Native evaluation of terms under an assignment ------===//
//
// The solver asks, many times per path, whether a term is true under some
// assignment of the variables: a recent model tried on a new question, or
// each value of a small domain tried in turn (Solver.cpp). Z3_model_eval
// walks and rebuilds the term through Z3 at every call; here a term is
// compiled once into a flat table of nodes (shared between all terms, since
// Z3's terms are hash-consed and the same constraints recur on every path),
// and a set of terms to evaluate together becomes a program: their nodes in
// an order where operands come first. Running a program is one pass over
// an array of 64-bit words, with no allocation.
//
// Coverage. Bool terms and bit-vector terms of at most 64 bits, with the
// operations the executor builds (ExprBuilder) and Z3's simplifier
// produces from them: arithmetic, bitwise, shifts, comparisons,
// extract/concat/extensions, ite, rotations, and division and remainder with
// SMT-LIB's meaning at a zero divisor (x / 0 is all ones, x % 0 is x; the
// signed forms follow from their definition by unsigned division). A term
// with anything else (arrays, wider vectors, signed modulo, Z3's internal
// division operators) is not compiled, and the question goes to Z3. The
// evaluator is a decision procedure's building block: SMT-LIB semantics
// exactly, or no answer.
//
//===----------------------------------------------------------------------===//

#include "Evaluate.h"

#include "llvm/ADT/SmallVector.h"
#include <algorithm>

using namespace dsu::symex;

namespace {
enum Op : uint8_t {
  Const,
  Var,
  Not,
  And,
  Or,
  Xor,
  Implies,
  Eq,
  Ite,
  Neg,
  BitNot,
  Add,
  Sub,
  Mul,
  UDiv,
  URem,
  SDiv,
  SRem,
  BitAnd,
  BitOr,
  BitXor,
  Nand,
  Nor,
  Xnor,
  ULe,
  ULt,
  SLe,
  SLt,
  Shl,
  LShr,
  AShr,
  Concat,  // A << width(B) | B
  Extract, // (A >> Imm) & mask
  ZExt,
  SExt, // Imm: the operand's width
  RotL, // Imm: the amount
  RedOr,
  RedAnd,
};

unsigned arity(uint8_t O) {
  switch (O) {
  case Const:
  case Var:
    return 0;
  case Not:
  case Neg:
  case BitNot:
  case Extract:
  case ZExt:
  case SExt:
  case RotL:
  case RedOr:
  case RedAnd:
    return 1;
  case Ite:
    return 3;
  default:
    return 2;
  }
}

uint64_t maskOf(unsigned W) { return W >= 64 ? ~0ull : (1ull << W) - 1; }

int64_t signedOf(uint64_t V, unsigned W) {
  return W >= 64 ? int64_t(V) : int64_t(V << (64 - W)) >> (64 - W);
}
} // namespace

uint32_t TermEvaluator::add(Node N) {
  Nodes.push_back(N);
  Values.push_back(N.Op == Const ? N.Imm : 0);
  Visited.push_back(0);
  return Nodes.size() - 1;
}

int64_t TermEvaluator::nodeOf(Z3_ast Root) {
  auto Found = NodeOfTerm.find(Ctx.id(Root));
  if (Found != NodeOfTerm.end())
    return Found->second;
  Z3_context Z = Ctx.z3();
  // Iterative post-order: terms can be deep (long ite chains, sums).
  struct Item {
    Z3_ast E;
    bool Expanded;
  };
  llvm::SmallVector<Item, 32> Stack{{Root, false}};
  while (!Stack.empty()) {
    Z3_ast E = Stack.back().E;
    unsigned Id = Ctx.id(E);
    if (NodeOfTerm.count(Id)) {
      Stack.pop_back();
      continue;
    }
    Z3_ast_kind Kind = Z3_get_ast_kind(Z, E);
    if (Kind != Z3_APP_AST && Kind != Z3_NUMERAL_AST) {
      NodeOfTerm[Id] = -1;
      Stack.pop_back();
      continue;
    }
    Z3_app App = Z3_to_app(Z, E);
    unsigned N = Z3_get_app_num_args(Z, App);
    if (!Stack.back().Expanded) {
      Stack.back().Expanded = true;
      for (unsigned I = N; I-- > 0;) {
        Z3_ast Arg = Z3_get_app_arg(Z, App, I);
        if (!NodeOfTerm.count(Ctx.id(Arg)))
          Stack.push_back({Arg, false});
      }
      continue;
    }
    llvm::SmallVector<uint32_t, 4> Args;
    bool Ok = true;
    for (unsigned I = 0; I < N && Ok; ++I) {
      int64_t A = NodeOfTerm.lookup(Ctx.id(Z3_get_app_arg(Z, App, I)));
      Ok = A >= 0;
      Args.push_back(uint32_t(A));
    }
    int64_t Node = Ok ? compileApp(E, Args) : -1;
    NodeOfTerm[Id] = Node;
    Stack.pop_back();
  }
  return NodeOfTerm.lookup(Ctx.id(Root));
}

int64_t TermEvaluator::compileApp(Z3_ast E, llvm::ArrayRef<uint32_t> Args) {
  Z3_context Z = Ctx.z3();
  Z3_sort Sort = Z3_get_sort(Z, E);
  unsigned W;
  switch (Z3_get_sort_kind(Z, Sort)) {
  case Z3_BOOL_SORT:
    W = 1;
    break;
  case Z3_BV_SORT:
    W = Z3_get_bv_sort_size(Z, Sort);
    break;
  default:
    return -1;
  }
  if (W > 64)
    return -1;
  Z3_func_decl Decl = Z3_get_app_decl(Z, Z3_to_app(Z, E));
  auto Param = [&](unsigned I) {
    return unsigned(Z3_get_decl_int_parameter(Z, Decl, I));
  };
  auto Make = [&](uint8_t O, unsigned Width, uint32_t A = 0, uint32_t B = 0,
                  uint32_t C = 0, uint64_t Imm = 0) -> int64_t {
    Node N;
    N.Op = O;
    N.Width = uint8_t(Width);
    N.A = A;
    N.B = B;
    N.C = C;
    N.Imm = Imm;
    return add(N);
  };
  // An n-ary associative operation as a chain of binary nodes; the
  // intermediate nodes have no term of their own.
  auto Chain = [&](uint8_t O, uint64_t Identity) -> int64_t {
    if (Args.empty())
      return Make(Const, W, 0, 0, 0, Identity & maskOf(W));
    uint32_t Acc = Args[0];
    for (size_t I = 1; I < Args.size(); ++I)
      Acc = uint32_t(Make(O, W, Acc, Args[I]));
    return Acc;
  };
  auto Binary = [&](uint8_t O, unsigned Width) -> int64_t {
    if (Args.size() != 2)
      return -1;
    return Make(O, Width, Args[0], Args[1]);
  };
  auto Unary = [&](uint8_t O, unsigned Width, uint64_t Imm = 0) -> int64_t {
    if (Args.size() != 1)
      return -1;
    return Make(O, Width, Args[0], 0, 0, Imm);
  };
  switch (Z3_get_decl_kind(Z, Decl)) {
  case Z3_OP_TRUE:
    return Make(Const, 1, 0, 0, 0, 1);
  case Z3_OP_FALSE:
    return Make(Const, 1, 0, 0, 0, 0);
  case Z3_OP_BNUM: {
    uint64_t V = 0;
    if (!Z3_get_numeral_uint64(Z, E, &V))
      return -1;
    return Make(Const, W, 0, 0, 0, V & maskOf(W));
  }
  case Z3_OP_UNINTERPRETED:
    if (!Args.empty() || Ctx.variableById(Ctx.id(E)) != E)
      return -1;
    return Make(Var, W, 0, 0, 0, Ctx.id(E));
  case Z3_OP_NOT:
    return Unary(Not, 1);
  case Z3_OP_AND:
    return Chain(And, 1);
  case Z3_OP_OR:
    return Chain(Or, 0);
  case Z3_OP_XOR:
    return Binary(Xor, 1);
  case Z3_OP_IMPLIES:
    return Binary(Implies, 1);
  case Z3_OP_EQ:
  case Z3_OP_IFF:
    return Binary(Eq, 1);
  case Z3_OP_DISTINCT:
    if (Args.size() != 2)
      return -1;
    return Make(Not, 1, uint32_t(Make(Eq, 1, Args[0], Args[1])));
  case Z3_OP_BCOMP:
    return Binary(Eq, 1);
  case Z3_OP_ITE:
    if (Args.size() != 3)
      return -1;
    return Make(Ite, W, Args[0], Args[1], Args[2]);
  case Z3_OP_BNEG:
    return Unary(Neg, W);
  case Z3_OP_BNOT:
    return Unary(BitNot, W);
  case Z3_OP_BADD:
    return Chain(Add, 0);
  case Z3_OP_BSUB:
    return Args.empty() ? -1 : Chain(Sub, 0);
  case Z3_OP_BMUL:
    return Chain(Mul, 1);
  case Z3_OP_BAND:
    return Chain(BitAnd, ~0ull);
  case Z3_OP_BOR:
    return Chain(BitOr, 0);
  case Z3_OP_BXOR:
    return Chain(BitXor, 0);
  case Z3_OP_BNAND:
    return Binary(Nand, W);
  case Z3_OP_BNOR:
    return Binary(Nor, W);
  case Z3_OP_BXNOR:
    return Binary(Xnor, W);
  case Z3_OP_BUDIV:
    return Binary(UDiv, W);
  case Z3_OP_BUREM:
    return Binary(URem, W);
  case Z3_OP_BSDIV:
    return Binary(SDiv, W);
  case Z3_OP_BSREM:
    return Binary(SRem, W);
  case Z3_OP_ULEQ:
    return Binary(ULe, 1);
  case Z3_OP_ULT:
    return Binary(ULt, 1);
  case Z3_OP_SLEQ:
    return Binary(SLe, 1);
  case Z3_OP_SLT:
    return Binary(SLt, 1);
  // a >= b is b <= a; a > b is b < a.
  case Z3_OP_UGEQ:
    return Args.size() != 2 ? -1 : Make(ULe, 1, Args[1], Args[0]);
  case Z3_OP_UGT:
    return Args.size() != 2 ? -1 : Make(ULt, 1, Args[1], Args[0]);
  case Z3_OP_SGEQ:
    return Args.size() != 2 ? -1 : Make(SLe, 1, Args[1], Args[0]);
  case Z3_OP_SGT:
    return Args.size() != 2 ? -1 : Make(SLt, 1, Args[1], Args[0]);
  case Z3_OP_BSHL:
    return Binary(Shl, W);
  case Z3_OP_BLSHR:
    return Binary(LShr, W);
  case Z3_OP_BASHR:
    return Binary(AShr, W);
  case Z3_OP_CONCAT: {
    if (Args.empty())
      return -1;
    uint32_t Acc = Args[0];
    unsigned AccWidth = Nodes[Acc].Width;
    for (size_t I = 1; I < Args.size(); ++I) {
      AccWidth += Nodes[Args[I]].Width;
      Acc = uint32_t(Make(Concat, AccWidth, Acc, Args[I]));
    }
    return AccWidth == W ? int64_t(Acc) : -1;
  }
  case Z3_OP_EXTRACT:
    return Unary(Extract, W, Param(1));
  case Z3_OP_ZERO_EXT:
    return Unary(ZExt, W);
  case Z3_OP_SIGN_EXT:
    return Args.size() != 1 ? -1 : Unary(SExt, W, Nodes[Args[0]].Width);
  case Z3_OP_ROTATE_LEFT:
    return Unary(RotL, W, Param(0) % W);
  case Z3_OP_ROTATE_RIGHT:
    return Unary(RotL, W, (W - Param(0) % W) % W);
  case Z3_OP_REPEAT: {
    if (Args.size() != 1 || Param(0) == 0)
      return -1;
    uint32_t Acc = Args[0];
    unsigned Each = Nodes[Acc].Width, AccWidth = Each;
    for (unsigned I = 1; I < Param(0); ++I) {
      AccWidth += Each;
      Acc = uint32_t(Make(Concat, AccWidth, Acc, Args[0]));
    }
    return Acc;
  }
  case Z3_OP_BREDOR:
    return Unary(RedOr, 1);
  case Z3_OP_BREDAND:
    return Unary(RedAnd, 1);
  default:
    return -1;
  }
}

bool TermEvaluator::compile(llvm::ArrayRef<Z3_ast> Terms, Program &P) {
  P = Program();
  for (Z3_ast T : Terms) {
    int64_t N = nodeOf(T);
    if (N < 0)
      return false;
    P.Roots.push_back(uint32_t(N));
  }
  if (++Stamp == 0) {
    std::fill(Visited.begin(), Visited.end(), 0);
    Stamp = 1;
  }
  std::vector<std::pair<unsigned, uint32_t>> Vars;
  struct Item {
    uint32_t Node;
    unsigned Next; // the next operand to visit
  };
  llvm::SmallVector<Item, 32> Stack;
  for (uint32_t Root : P.Roots) {
    if (Visited[Root] == Stamp)
      continue;
    Visited[Root] = Stamp;
    Stack.push_back({Root, 0});
    while (!Stack.empty()) {
      Item &Top = Stack.back();
      const Node &N = Nodes[Top.Node];
      if (Top.Next < arity(N.Op)) {
        uint32_t Operand = Top.Next == 0 ? N.A : Top.Next == 1 ? N.B : N.C;
        ++Top.Next;
        if (Visited[Operand] != Stamp) {
          Visited[Operand] = Stamp;
          Stack.push_back({Operand, 0});
        }
        continue;
      }
      if (N.Op == Var)
        Vars.push_back({unsigned(N.Imm), Top.Node});
      else if (N.Op != Const)
        P.Order.push_back(Top.Node);
      Stack.pop_back();
    }
  }
  std::sort(Vars.begin(), Vars.end());
  for (auto &[Id, Node] : Vars) {
    P.VarIds.push_back(Id);
    P.VarNodes.push_back(Node);
  }
  return true;
}

void TermEvaluator::run(const Program &P, llvm::ArrayRef<uint64_t> VarValues) {
  for (size_t I = 0; I < P.VarNodes.size(); ++I)
    Values[P.VarNodes[I]] = VarValues[I] & maskOf(Nodes[P.VarNodes[I]].Width);
  uint64_t *V = Values.data();
  for (uint32_t Index : P.Order) {
    const Node &N = Nodes[Index];
    unsigned W = N.Width;
    uint64_t M = maskOf(W);
    uint64_t A = V[N.A], B = V[N.B];
    uint64_t R = 0;
    switch (N.Op) {
    case Not:
      R = !A;
      break;
    case And:
      R = A & B;
      break;
    case Or:
      R = A | B;
      break;
    case Xor:
      R = A ^ B;
      break;
    case Implies:
      R = !A || B;
      break;
    case Eq:
      R = A == B;
      break;
    case Ite:
      R = A ? B : V[N.C];
      break;
    case Neg:
      R = -A;
      break;
    case BitNot:
      R = ~A;
      break;
    case Add:
      R = A + B;
      break;
    case Sub:
      R = A - B;
      break;
    case Mul:
      R = A * B;
      break;
    case UDiv:
      R = B == 0 ? M : A / B;
      break;
    case URem:
      R = B == 0 ? A : A % B;
      break;
    case SDiv:
    case SRem: {
      // SMT-LIB: by unsigned division of the magnitudes, then the sign.
      bool NegA = signedOf(A, W) < 0, NegB = signedOf(B, W) < 0;
      uint64_t MagA = (NegA ? -A : A) & M, MagB = (NegB ? -B : B) & M;
      if (N.Op == SDiv) {
        uint64_t Q = MagB == 0 ? M : MagA / MagB;
        R = NegA != NegB ? -Q : Q;
      } else {
        uint64_t Rem = MagB == 0 ? MagA : MagA % MagB;
        R = NegA ? -Rem : Rem;
      }
      break;
    }
    case BitAnd:
      R = A & B;
      break;
    case BitOr:
      R = A | B;
      break;
    case BitXor:
      R = A ^ B;
      break;
    case Nand:
      R = ~(A & B);
      break;
    case Nor:
      R = ~(A | B);
      break;
    case Xnor:
      R = ~(A ^ B);
      break;
    case ULe:
      R = A <= B;
      break;
    case ULt:
      R = A < B;
      break;
    case SLe:
      R = signedOf(A, Nodes[N.A].Width) <= signedOf(B, Nodes[N.B].Width);
      break;
    case SLt:
      R = signedOf(A, Nodes[N.A].Width) < signedOf(B, Nodes[N.B].Width);
      break;
    case Shl:
      R = B >= W ? 0 : A << B;
      break;
    case LShr:
      R = B >= W ? 0 : A >> B;
      break;
    case AShr: {
      int64_t S = signedOf(A, W);
      R = uint64_t(B >= W ? (S < 0 ? -1 : 0) : S >> B);
      break;
    }
    case Concat:
      R = (A << Nodes[N.B].Width) | B;
      break;
    case Extract:
      R = A >> N.Imm;
      break;
    case ZExt:
      R = A;
      break;
    case SExt:
      R = uint64_t(signedOf(A, unsigned(N.Imm)));
      break;
    case RotL:
      R = N.Imm == 0 ? A : (A << N.Imm) | (A >> (W - N.Imm));
      break;
    case RedOr:
      R = A != 0;
      break;
    case RedAnd:
      R = A == maskOf(Nodes[N.A].Width);
      break;
    }
    V[Index] = R & M;
  }
}
