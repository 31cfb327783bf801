//===- Executor.cpp - The symbolic interpreter of LLVM IR -----------------===//
//
// The executor interprets LLVM IR one instruction at a time on execution
// states (State.h). Values are concrete APInts until an input made symbolic
// flows into them; then they are Z3 bit-vector terms (Expr.h).
//
// Forking. A conditional branch, switch, klee_assert, division, shift or
// memory access whose outcome depends on symbolic values asks the solver
// which outcomes are feasible under the path condition. One feasible
// outcome continues in place; each further one gets a copy of the state
// with the outcome's condition added. Error outcomes (division by zero,
// out-of-bounds, ...) become error reports with a test case: a model of the
// path condition gives a concrete value to every byte of every symbolic
// object, and to the bytes of the output trace.
//
// Pointers. A pointer is a 64-bit value; objects sit at distinct concrete
// addresses (Memory.h). A concrete address names its object directly. For a
// symbolic address A the executor first looks for the object the pointer
// was derived from: address arithmetic keeps "numeral + term" form, and the
// object containing (or ending at) that numeral is the candidate. It then
// asks whether A can lie inside the candidate (that outcome continues with
// the offset A - base, symbolic) and whether it can lie outside (that
// outcome is an out-of-bounds error). When no numeral names a candidate
// (e.g. A = c ? &x : &y), models of A pick objects one at a time, forking
// once per object A can point into, up to a bound.
//
// Concretization. Some values must be concrete for the engine to go on: an
// allocation size, the size of a write, a freed pointer. Fixing a symbolic
// one to a model's value used to drop every other value silently, so such a
// path could never prove anything. forEachValue asks first whether a second
// value is possible (one query, which the cache answers for repeated
// questions): often it is not (the path condition pins a length that went
// through arithmetic), and nothing is lost. Otherwise, as KLEE does for
// symbolic sizes, it forks: one state per value, each constrained to it, up
// to --max-concretize-values; past the bound, the last state keeps one more
// value and the loss is reported with the source line where it happened.
//
// Bounds. Each frame counts the visits to each basic block: a block entered
// more than N+1 times in one call means a loop ran more than N iterations,
// and the path stops with an "unknown" reason, as do paths that exceed the
// instruction bound or call a function without a model. Such paths make the
// verdict unknown unless an error was found, so "holds" is only claimed
// when every path ran to its end.
//
// Trampolines. A program built by dsu-cc (and a merged program of `dsu
// merge`) calls its updatable functions through slots: pointer variables
// holding the current body. Direct calls load the slot in IR, but a
// function's stable address is a trampoline written as module-level
// assembly (lib/Transform/Slots.cpp), `S: jmpq *SLOT(%rip)`, and its plain
// C name (main included) is an assembler alias `.set NAME, S`; in the IR
// both are declarations without a body. The executor reads those two
// shapes from the module's assembly, and a call to such a declaration
// (directly or through a pointer) is a call through the pointer the slot
// holds on that path, with the same arguments: what the jump does, since it
// leaves the argument registers and the stack as the caller set them. Any
// other assembly is still not modelled.
//
//===----------------------------------------------------------------------===//

#include "Executor.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/GetElementPtrTypeIterator.h"
#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/Operator.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/thread.h"
#include <optional>

using namespace dsu::symex;
using namespace llvm;

Executor::Executor(Module &M, const Options &O, const Callbacks &CB)
    : M(M), DL(M.getDataLayout()), Opts(O), CB(CB), B(Ctx), Mem(B) {
  SolverOptions SO;
  SO.Cache = O.QueryCache;
  SO.Independence = O.Independence;
  SO.RecentModels = O.ModelReuse ? SO.RecentModels : 0;
  SO.TimeoutMs = O.SolverTimeoutMs;
  SO.Dump = O.QueryDump;
  Slv = createSolver(Ctx, SO, SStats);
}

Executor::~Executor() {
  for (ExecutionState *S : Live)
    delete S;
}

//===----------------------------------------------------------------------===//
// Setup
//===----------------------------------------------------------------------===//

uint64_t Executor::allocate(uint64_t Size, uint64_t Align) {
  Align = std::max<uint64_t>(Align, 16);
  uint64_t Base = (NextAddr + Align - 1) / Align * Align;
  NextAddr = Base + std::max<uint64_t>(Size, 1) + RedZone;
  return Base;
}

uint64_t Executor::newObject(ExecutionState &S, uint64_t Size, ObjectKind K,
                             StringRef Name, const Value *Site,
                             uint64_t Align) {
  auto O = std::make_shared<MemObject>();
  O->Base = allocate(Size, Align);
  O->Size = Size;
  O->Kind = K;
  O->Name = Name.str();
  O->Site = Site;
  O->Bytes.resize(Size);
  uint64_t Base = O->Base;
  S.Mem.bind(std::move(O));
  return Base;
}

Error Executor::initialize(ExecutionState &S) {
  indexFunctionsAndLines();
  indexTrampolines();
  layOutGlobals(S);
  return enterMain(S);
}

void Executor::indexFunctionsAndLines() {
  // Runtime functions are those compiled from the libc model.
  for (const Function &F : M) {
    if (const DISubprogram *SP = F.getSubprogram())
      if (SP->getFilename().ends_with("dsu-libc.c"))
        RuntimeFns.insert(&F);
  }
  // Line table for coverage.
  std::map<std::pair<std::string, unsigned>, unsigned> LineIds;
  for (const Function &F : M) {
    if (F.isDeclaration() || isRuntime(&F))
      continue;
    for (const BasicBlock &BB : F) {
      std::vector<unsigned> Ids;
      for (const Instruction &I : BB) {
        const DebugLoc &L = I.getDebugLoc();
        if (!L || L.getLine() == 0)
          continue;
        auto Key = std::make_pair(L->getFilename().str(), L.getLine());
        auto [It, New] = LineIds.try_emplace(Key, LineKeys.size());
        if (New)
          LineKeys.push_back(Key);
        if (std::find(Ids.begin(), Ids.end(), It->second) == Ids.end())
          Ids.push_back(It->second);
      }
      BlockLines[&BB] = std::move(Ids);
    }
  }
  LineCovered.assign(LineKeys.size(), false);
}

void Executor::indexTrampolines() {
  // The shapes installSlots writes, one statement a line:
  //   S:                                  (a label)
  //   jmpq *SLOT(%rip)                    (an executable's trampoline)
  //   movq SLOT@GOTPCREL(%rip), %r11      (a shared object's, then
  //   jmpq *(%r11)                         the jump through %r11)
  //   .set NAME, S                        (the plain C name)
  SmallVector<StringRef, 64> Lines;
  StringRef(M.getModuleInlineAsm()).split(Lines, '\n');
  StringRef Label, GotSlot;
  for (StringRef Line : Lines) {
    Line = Line.trim();
    if (Line.consume_front(".set ")) {
      auto [Name, Target] = Line.split(',');
      AsmAliases[Name.trim()] = Target.trim().str();
      continue;
    }
    if (Line.ends_with(":") && !Line.contains(' ')) {
      Label = Line.drop_back();
      GotSlot = "";
      continue;
    }
    StringRef Slot;
    if (Line.consume_front("movq ") &&
        Line.consume_back("@GOTPCREL(%rip), %r11")) {
      GotSlot = Line;
      continue;
    }
    if (Line == "jmpq *(%r11)")
      Slot = GotSlot;
    else if (Line.consume_front("jmpq *") && Line.consume_back("(%rip)"))
      Slot = Line;
    if (Label.empty() || Slot.empty())
      continue;
    if (const GlobalVariable *G = M.getNamedGlobal(Slot))
      if (G->getValueType()->isPointerTy())
        Trampolines[Label] = G;
    Label = "";
  }
}

const GlobalVariable *Executor::trampolineSlot(StringRef Name) const {
  // Aliases may chain; a cycle would be an assembler error, but bound it.
  for (unsigned Hops = 0; Hops < 8; ++Hops) {
    auto T = Trampolines.find(Name);
    if (T != Trampolines.end())
      return T->second;
    auto A = AsmAliases.find(Name);
    if (A == AsmAliases.end())
      return nullptr;
    Name = A->second;
  }
  return nullptr;
}

SVal Executor::readSlot(ExecutionState &S, const GlobalVariable *Slot) {
  return Mem.read(*S.Mem.byBase(GlobalAddrs.lookup(Slot)),
                  SVal::concrete(64, 0), 8);
}

void Executor::layOutGlobals(ExecutionState &S) {
  uint64_t FnIndex = 0;
  for (const Function &F : M) {
    uint64_t A = FunctionBase + 16 * FnIndex++;
    FuncAddrs[&F] = A;
    FuncByAddr[A] = &F;
  }
  for (const GlobalVariable &G : M.globals()) {
    // An undefined weak declaration is null, as the native link makes it:
    // programs test its address (the merge runtime's optional tables).
    if (G.isDeclaration() && G.hasExternalWeakLinkage()) {
      GlobalAddrs[&G] = 0;
      continue;
    }
    uint64_t Size = DL.getTypeAllocSize(G.getValueType());
    uint64_t Base = newObject(S, Size, ObjectKind::Global, G.getName(), &G,
                              G.getAlign() ? G.getAlign()->value() : 16);
    GlobalAddrs[&G] = Base;
  }
  for (const GlobalVariable &G : M.globals()) {
    if (!GlobalAddrs[&G])
      continue; /* an undefined weak declaration */
    MemObject &O = S.Mem.writable(GlobalAddrs[&G]);
    O.ReadOnly = G.isConstant();
    if (!G.hasInitializer())
      continue;
    std::vector<uint8_t> Bytes(O.Size, 0);
    constantBytes(G.getInitializer(), 0, Bytes);
    for (uint64_t I = 0; I < O.Size; ++I)
      O.Bytes[I].Val = Bytes[I];
  }
}

Error Executor::enterMain(ExecutionState &S) {
  const Function *Main = M.getFunction("main");
  if (!Main || Main->isDeclaration())
    if (const GlobalVariable *Slot = trampolineSlot("main")) {
      // dsu-cc's main: an alias of a trampoline; start in the body its slot
      // holds.
      SVal P = readSlot(S, Slot);
      if (P.isConcrete())
        Main = FuncByAddr.count(P.value().getZExtValue())
                   ? FuncByAddr[P.value().getZExtValue()]
                   : nullptr;
    }
  if (!Main || Main->isDeclaration())
    return createStringError(inconvertibleErrorCode(),
                             "error: the program has no main function");
  std::vector<SVal> Args;
  if (Main->arg_size() >= 1)
    Args.push_back(SVal::concrete(bitsOf(Main->getArg(0)->getType()), 1));
  if (Main->arg_size() >= 2) {
    const char Prog[] = "program";
    uint64_t Str =
        newObject(S, sizeof Prog, ObjectKind::Argv, "argv[0]", nullptr);
    MemObject &SO = S.Mem.writable(Str);
    for (size_t I = 0; I < sizeof Prog; ++I)
      SO.Bytes[I].Val = Prog[I];
    uint64_t Argv = newObject(S, 16, ObjectKind::Argv, "argv", nullptr);
    Mem.write(S.Mem.writable(Argv), SVal::concrete(64, 0),
              SVal::concrete(64, Str));
    Args.push_back(SVal::concrete(64, Argv));
  }
  if (Main->arg_size() >= 3) {
    uint64_t Env = newObject(S, 8, ObjectKind::Argv, "envp", nullptr);
    Args.push_back(SVal::concrete(64, Env));
  }
  callFunction(S, nullptr, Main, std::move(Args));
  return Error::success();
}

unsigned Executor::bitsOf(Type *T) const {
  if (T->isIntegerTy())
    return T->getIntegerBitWidth();
  if (T->isPointerTy())
    return 64;
  if (T->isFloatTy())
    return 32;
  if (T->isDoubleTy())
    return 64;
  if (T->isX86_FP80Ty())
    return 80;
  return (unsigned)DL.getTypeStoreSize(T) * 8;
}

void Executor::constantBytes(const Constant *C, uint64_t Off,
                             std::vector<uint8_t> &Out) {
  Type *T = C->getType();
  if (isa<ConstantAggregateZero>(C) || isa<UndefValue>(C))
    return;
  if (auto *CDS = dyn_cast<ConstantDataSequential>(C)) {
    uint64_t ES = DL.getTypeAllocSize(CDS->getElementType());
    for (unsigned I = 0, E = CDS->getNumElements(); I < E; ++I)
      constantBytes(CDS->getElementAsConstant(I), Off + I * ES, Out);
    return;
  }
  if (auto *CA = dyn_cast<ConstantArray>(C)) {
    uint64_t ES = DL.getTypeAllocSize(CA->getType()->getElementType());
    for (unsigned I = 0, E = CA->getNumOperands(); I < E; ++I)
      constantBytes(CA->getOperand(I), Off + I * ES, Out);
    return;
  }
  if (auto *CV = dyn_cast<ConstantVector>(C)) {
    uint64_t ES =
        DL.getTypeAllocSize(cast<VectorType>(CV->getType())->getElementType());
    for (unsigned I = 0, E = CV->getNumOperands(); I < E; ++I)
      constantBytes(CV->getOperand(I), Off + I * ES, Out);
    return;
  }
  if (auto *CS = dyn_cast<ConstantStruct>(C)) {
    const StructLayout *SL = DL.getStructLayout(CS->getType());
    for (unsigned I = 0, E = CS->getNumOperands(); I < E; ++I)
      constantBytes(CS->getOperand(I), Off + SL->getElementOffset(I), Out);
    return;
  }
  SVal V = evalConstant(C);
  if (!V.isConcrete())
    return;
  uint64_t N = DL.getTypeStoreSize(T);
  APInt Bits = V.value().zextOrTrunc(N * 8);
  for (uint64_t I = 0; I < N && Off + I < Out.size(); ++I)
    Out[Off + I] = (uint8_t)Bits.extractBitsAsZExtValue(8, I * 8);
}

SVal Executor::evalConstant(const Constant *C) {
  auto It = ConstCache.find(C);
  if (It != ConstCache.end())
    return It->second;
  SVal R;
  Type *T = C->getType();
  if (auto *CI = dyn_cast<ConstantInt>(C)) {
    R = SVal::concrete(CI->getValue());
  } else if (auto *CF = dyn_cast<ConstantFP>(C)) {
    R = SVal::concrete(CF->getValueAPF().bitcastToAPInt());
  } else if (isa<ConstantPointerNull>(C)) {
    R = SVal::concrete(64, 0);
  } else if (auto *G = dyn_cast<GlobalVariable>(C)) {
    R = SVal::concrete(64, GlobalAddrs.lookup(G));
  } else if (auto *F = dyn_cast<Function>(C)) {
    R = SVal::concrete(64, FuncAddrs.lookup(F));
  } else if (auto *GA = dyn_cast<GlobalAlias>(C)) {
    R = evalConstant(GA->getAliasee());
  } else if (auto *CE = dyn_cast<ConstantExpr>(C)) {
    R = evalConstantExpr(CE);
  } else if (isa<UndefValue>(C) || isa<ConstantAggregateZero>(C) ||
             isa<ConstantTokenNone>(C)) {
    R = SVal::concrete(std::max(1u, bitsOf(T)), 0);
  } else if (T->isAggregateType() || T->isVectorTy()) {
    std::vector<uint8_t> Bytes(DL.getTypeStoreSize(T), 0);
    constantBytes(C, 0, Bytes);
    APInt V(Bytes.size() * 8, 0);
    for (size_t I = 0; I < Bytes.size(); ++I)
      V.insertBits(APInt(8, Bytes[I]), I * 8);
    R = SVal::concrete(V);
  } else {
    R = SVal::concrete(std::max(1u, bitsOf(T)), 0);
  }
  ConstCache[C] = R;
  return R;
}

SVal Executor::evalConstantExpr(const ConstantExpr *CE) {
  Type *T = CE->getType();
  switch (CE->getOpcode()) {
  case Instruction::GetElementPtr: {
    auto *GEP = cast<GEPOperator>(CE);
    APInt Off(64, 0);
    SVal Base = evalConstant(CE->getOperand(0));
    if (GEP->accumulateConstantOffset(DL, Off))
      return SVal::concrete(Base.value() + Off);
    return Base;
  }
  case Instruction::BitCast:
  case Instruction::AddrSpaceCast:
    return evalConstant(CE->getOperand(0));
  case Instruction::PtrToInt:
  case Instruction::IntToPtr:
  case Instruction::Trunc:
    return B.zextOrTrunc(evalConstant(CE->getOperand(0)), bitsOf(T));
  case Instruction::Add:
    return B.add(evalConstant(CE->getOperand(0)),
                 evalConstant(CE->getOperand(1)));
  case Instruction::Sub:
    return B.sub(evalConstant(CE->getOperand(0)),
                 evalConstant(CE->getOperand(1)));
  case Instruction::Mul:
    return B.mul(evalConstant(CE->getOperand(0)),
                 evalConstant(CE->getOperand(1)));
  case Instruction::Xor:
    return B.xorOp(evalConstant(CE->getOperand(0)),
                   evalConstant(CE->getOperand(1)));
  default:
    return SVal::concrete(bitsOf(T), 0);
  }
}

SVal Executor::eval(ExecutionState &S, const Value *V) {
  if (auto *C = dyn_cast<Constant>(V))
    return evalConstant(C);
  auto It = S.top().Locals.find(V);
  if (It != S.top().Locals.end())
    return It->second;
  if (isa<MetadataAsValue>(V))
    return SVal::concrete(64, 0);
  return SVal::concrete(std::max(1u, bitsOf(V->getType())), 0);
}

//===----------------------------------------------------------------------===//
// Solver helpers
//===----------------------------------------------------------------------===//

bool Executor::mayBeTrue(ExecutionState &S, Z3_ast Cond, bool &Res) {
  // A condition the path holds already, or the negation of one, needs no
  // solver (a program that tests the same condition twice; a third of
  // kvparse's unsatisfiable questions were of this kind).
  Z3_context Z = Ctx.z3();
  Z3_ast Negated = Z3_mk_not(Z, Cond);
  Z3_ast Inner = nullptr;
  if (Z3_get_ast_kind(Z, Cond) == Z3_APP_AST) {
    Z3_app App = Z3_to_app(Z, Cond);
    if (Z3_get_decl_kind(Z, Z3_get_app_decl(Z, App)) == Z3_OP_NOT)
      Inner = Z3_get_app_arg(Z, App, 0);
  }
  for (Z3_ast C : S.Constraints) {
    if (C == Cond) {
      Res = true;
      return true;
    }
    if (C == Negated || C == Inner) {
      Res = false;
      return true;
    }
  }
  Query Q;
  Q.Constraints = S.Constraints;
  Q.Expr = Cond;
  auto R = Slv->check(Q, {}, nullptr);
  if (!R) {
    LastSolverFailure = toString(R.takeError());
    return false;
  }
  if (*R == SatResult::Unknown) {
    LastSolverFailure = "solver failure (unknown)";
    return false;
  }
  Res = *R == SatResult::Sat;
  return true;
}

bool Executor::getValue(ExecutionState &S, const SVal &V, APInt &Res) {
  if (V.isConcrete()) {
    Res = V.value();
    return true;
  }
  Query Q;
  Q.Constraints = S.Constraints;
  std::vector<APInt> Values;
  Z3_ast W = B.bv(V);
  auto R = Slv->check(Q, {W}, &Values);
  if (!R) {
    LastSolverFailure = toString(R.takeError());
    return false;
  }
  if (*R != SatResult::Sat) {
    LastSolverFailure = "solver failure (path condition unsatisfiable or "
                        "unknown)";
    return false;
  }
  Res = Values[0];
  return true;
}

void Executor::addConstraint(ExecutionState &S, Z3_ast Cond) {
  Z3_ast C = Ctx.simplify(Cond);
  if (Z3_get_bool_value(Ctx.z3(), C) == Z3_L_TRUE)
    return;
  S.Constraints.push_back(C);
}

std::string Executor::userLocation(ExecutionState &S) {
  for (auto It = S.Stack.rbegin(); It != S.Stack.rend(); ++It)
    if (!isRuntime(It->F))
      return formatLocation(locationOf(It->Cur));
  return "?";
}

void Executor::forEachValue(ExecutionState &S, const SVal &V, StringRef What,
                            const ValueFn &Fn) {
  if (V.isConcrete()) {
    Fn(S, V.value());
    return;
  }
  Z3_context Z = Ctx.z3();
  ExecutionState *Cur = &S;
  for (unsigned K = 1;; ++K) {
    APInt X;
    if (!getValue(*Cur, V, X)) {
      terminateEarly(*Cur, solverFailure());
      return;
    }
    Z3_ast Eq = Z3_mk_eq(Z, B.bv(V), Ctx.numeral(X));
    bool Other = false;
    if (!mayBeTrue(*Cur, Z3_mk_not(Z, Eq), Other)) {
      terminateEarly(*Cur, solverFailure());
      return;
    }
    if (!Other) {
      // The only value left: the path condition already implies V == X.
      Fn(*Cur, X);
      return;
    }
    if (K >= std::max(1u, Opts.MaxConcretizeValues)) {
      // Beyond the bound: this path keeps one value, the others are lost.
      addConstraint(*Cur, Eq);
      ++Concretizations["symbolic " + What.str() + " concretized at " +
                        userLocation(*Cur) + " (more than " +
                        std::to_string(Opts.MaxConcretizeValues) +
                        " values)"];
      Fn(*Cur, X);
      return;
    }
    // Several values: this path takes X, a copy made before Fn runs takes
    // the others.
    ExecutionState *Rest = clone(*Cur);
    addConstraint(*Cur, Eq);
    addConstraint(*Rest, Z3_mk_not(Z, Eq));
    Fn(*Cur, X);
    Cur = Rest;
  }
}

bool Executor::fewValues(ExecutionState &S, const SVal &V, unsigned Limit,
                         std::vector<APInt> &Values) {
  Values.clear();
  if (V.isConcrete()) {
    Values.push_back(V.value());
    return true;
  }
  Z3_context Z = Ctx.z3();
  std::vector<Z3_ast> Cs(S.Constraints.begin(), S.Constraints.end());
  Z3_ast W = B.bv(V);
  while (Values.size() <= Limit) {
    Query Q;
    Q.Constraints = Cs;
    std::vector<APInt> Model;
    auto R = Slv->check(Q, {W}, &Model);
    if (!R) {
      consumeError(R.takeError());
      return false;
    }
    if (*R == SatResult::Unsat)
      return !Values.empty();
    if (*R != SatResult::Sat)
      return false;
    Values.push_back(Model[0]);
    Cs.push_back(Z3_mk_not(Z, Z3_mk_eq(Z, W, Ctx.numeral(Model[0]))));
  }
  return false;
}

void Executor::forkOverValues(ExecutionState &S, const SVal &V,
                              const std::vector<APInt> &Values,
                              const ValueFn &Fn) {
  Z3_context Z = Ctx.z3();
  ExecutionState *Cur = &S;
  for (size_t I = 0; I < Values.size(); ++I) {
    Z3_ast Eq = Z3_mk_eq(Z, B.bv(V), Ctx.numeral(Values[I]));
    if (I + 1 == Values.size()) {
      addConstraint(*Cur, Eq);
      Fn(*Cur, Values[I]);
      return;
    }
    ExecutionState *Rest = clone(*Cur);
    addConstraint(*Cur, Eq);
    addConstraint(*Rest, Z3_mk_not(Z, Eq));
    Fn(*Cur, Values[I]);
    Cur = Rest;
  }
}

ExecutionState *Executor::clone(ExecutionState &S) {
  auto *N = new ExecutionState(S);
  N->Id = NextStateId++;
  N->ForkedFrom = &S;
  ++S.Depth;
  ++N->Depth;
  ++Stats.Forks;
  Live.insert(N);
  Added.push_back(N);
  return N;
}

std::pair<ExecutionState *, ExecutionState *> Executor::fork(ExecutionState &S,
                                                             Z3_ast Cond) {
  Z3_context Z = Ctx.z3();
  Cond = Ctx.simplify(Cond);
  if (Z3_get_bool_value(Z, Cond) == Z3_L_TRUE)
    return {&S, nullptr};
  if (Z3_get_bool_value(Z, Cond) == Z3_L_FALSE)
    return {nullptr, &S};
  bool MayT = false, MayF = false;
  if (!mayBeTrue(S, Cond, MayT)) {
    terminateEarly(S, solverFailure());
    return {nullptr, nullptr};
  }
  if (!MayT)
    return {nullptr, &S};
  Z3_ast Not = Z3_mk_not(Z, Cond);
  if (!mayBeTrue(S, Not, MayF)) {
    terminateEarly(S, solverFailure());
    return {nullptr, nullptr};
  }
  if (!MayF)
    return {&S, nullptr};
  ExecutionState *F = clone(S);
  if (getenv("DSU_DEBUG_FORKS")) {
    const Instruction *I = S.top().Cur;
    Location L = locationOf(I);
    fprintf(stderr, "FORK %s:%u %s\n", L.File.c_str(), L.Line,
            L.Function.c_str());
  }
  addConstraint(S, Cond);
  addConstraint(*F, Not);
  return {&S, F};
}

//===----------------------------------------------------------------------===//
// Termination and reports
//===----------------------------------------------------------------------===//

void Executor::terminate(ExecutionState &S) {
  if (S.Terminated)
    return;
  S.Terminated = true;
  Removed.push_back(&S);
}

Location Executor::locationOf(const Instruction *I) {
  Location L;
  if (!I)
    return L;
  L.Function = I->getFunction()->getName().str();
  if (const DebugLoc &D = I->getDebugLoc()) {
    L.File = D->getFilename().str();
    L.Line = D.getLine();
  }
  return L;
}

std::vector<Location> Executor::stackOf(ExecutionState &S) {
  std::vector<Location> R;
  for (auto It = S.Stack.rbegin(); It != S.Stack.rend(); ++It)
    R.push_back(locationOf(It->Cur));
  return R;
}

bool Executor::makeTestCase(ExecutionState &S, TestCase &T) {
  std::vector<Z3_ast> Wanted;
  for (const SymbolicObject &O : S.Symbolics)
    Wanted.insert(Wanted.end(), O.Vars.begin(), O.Vars.end());
  std::vector<size_t> OutSym;
  for (size_t I = 0; I < S.Output.size(); ++I) {
    const Byte &Bt = S.Output[I];
    if (!Bt.E)
      continue;
    Z3_ast E = Bt.E;
    if (Ctx.isBool(E))
      E = B.bv(SVal::symbolic(E, 1));
    if (Ctx.width(E) != 8)
      E = Z3_mk_extract(Ctx.z3(), Bt.Idx * 8 + 7, Bt.Idx * 8, E);
    Wanted.push_back(E);
    OutSym.push_back(I);
  }
  std::vector<APInt> Values;
  Query Q;
  Q.Constraints = S.Constraints;
  if (!Wanted.empty()) {
    auto R = Slv->check(Q, Wanted, &Values);
    if (!R) {
      consumeError(R.takeError());
      return false;
    }
    if (*R != SatResult::Sat)
      return false;
  }
  size_t K = 0;
  for (const SymbolicObject &O : S.Symbolics) {
    std::vector<uint8_t> Bytes;
    for (size_t I = 0; I < O.Vars.size(); ++I)
      Bytes.push_back((uint8_t)Values[K++].getZExtValue());
    if (O.IsStdin) {
      T.Stdin = Bytes;
      continue;
    }
    T.Objects.push_back({O.Name, Bytes});
  }
  std::string Out;
  size_t J = 0;
  for (size_t I = 0; I < S.Output.size(); ++I) {
    if (J < OutSym.size() && OutSym[J] == I) {
      Out.push_back((char)Values[K++].getZExtValue());
      ++J;
    } else {
      Out.push_back((char)S.Output[I].Val);
    }
  }
  T.Output = Out;
  return true;
}

void Executor::terminateExit(ExecutionState &S, int Code) {
  ++Stats.PathsCompleted;
  if (Opts.PathCases && CB.OnPath) {
    TestCase T;
    T.ExitCode = Code;
    if (makeTestCase(S, T))
      CB.OnPath(T);
  }
  terminate(S);
  if (Opts.MaxPaths &&
      Stats.PathsCompleted + Stats.PathsErrored + Stats.PathsEarly >=
          Opts.MaxPaths) {
    Stop = true;
    if (StopReason.empty())
      StopReason = "max-paths reached";
  }
}

void Executor::terminateEarly(ExecutionState &S, const std::string &Reason) {
  ++Stats.PathsEarly;
  ++EarlyReasons[Reason];
  terminate(S);
}

void Executor::warn(ExecutionState &S, const std::string &Msg) {
  Location L;
  for (auto It = S.Stack.rbegin(); It != S.Stack.rend(); ++It) {
    if (!isRuntime(It->F)) {
      L = locationOf(It->Cur);
      break;
    }
  }
  std::string Text = formatLocation(L) + ": warning: " + Msg;
  if (Warned.insert(Text).second && CB.OnWarning)
    CB.OnWarning(Text);
}

void Executor::terminateError(ExecutionState &S, StringRef Kind,
                              const std::string &Message, unsigned Depth) {
  const Instruction *Site = S.Stack.size() <= Depth
                                ? nullptr
                                : S.Stack[S.Stack.size() - 1 - Depth].Cur;
  if (S.FiberEndsOnError && S.Fiber != 0) {
    // Only the fiber ends (at the next step); the failure waits for
    // __dsu_symex_excused_exit, or is dropped when the path is judged.
    if (!S.PendingExcuse) {
      S.PendingExcuse =
          std::make_shared<ErrorReport>(errorReport(S, Kind, Message, Depth));
      S.PendingExcuseSite = Site;
    }
    S.FiberFailed[S.Fiber] = true;
    S.EndFiber = true;
    return;
  }
  ++(S.ErrorsExcused ? Stats.PathsExcused : Stats.PathsErrored);
  auto &Sites = S.ErrorsExcused ? ExcusedSites : ErrorSites;
  if (!Sites.insert({Site, Kind.str()}).second) {
    terminate(S);
    return;
  }
  ErrorReport R = errorReport(S, Kind, Message, Depth);
  if (S.ErrorsExcused) {
    Result.Excused.push_back(R);
    terminate(S);
    return;
  }
  Result.Errors.push_back(R);
  if (CB.OnError)
    CB.OnError(R);
  terminate(S);
  if (Opts.ExitOnError)
    Stop = true;
}

void Executor::excusedExit(ExecutionState &S) {
  if (!S.PendingExcuse) {
    terminateError(S, "reported",
                   "__dsu_symex_excused_exit without a failed fiber");
    return;
  }
  ++Stats.PathsExcused;
  if (ExcusedSites.insert({S.PendingExcuseSite, S.PendingExcuse->Kind}).second)
    Result.Excused.push_back(*S.PendingExcuse);
  terminate(S);
}

ErrorReport Executor::errorReport(ExecutionState &S, StringRef Kind,
                                  const std::string &Message, unsigned Depth) {
  ErrorReport R;
  R.Kind = Kind.str();
  R.Message = Message;
  R.Stack = stackOf(S);
  for (size_t I = Depth; I < S.Stack.size(); ++I) {
    const Frame &F = S.Stack[S.Stack.size() - 1 - I];
    if (!isRuntime(F.F)) {
      R.Where = R.Stack[I];
      break;
    }
  }
  R.Case.Error = Message;
  R.Case.Kind = R.Kind;
  R.Case.Where = formatLocation(R.Where);
  if (!makeTestCase(S, R.Case))
    R.Case.Error += " (no test case: solver failure)";
  return R;
}

//===----------------------------------------------------------------------===//
// Control flow
//===----------------------------------------------------------------------===//

void Executor::enterBlock(ExecutionState &S, const BasicBlock *BB) {
  if (CoveredBlocks.insert(BB).second) {
    auto It = BlockLines.find(BB);
    if (It != BlockLines.end())
      for (unsigned Id : It->second)
        if (!LineCovered[Id]) {
          LineCovered[Id] = true;
          ++LinesCovered;
          S.SinceCovNew = 0;
        }
  }
}

void Executor::transfer(ExecutionState &S, const BasicBlock *To) {
  Frame &F = S.top();
  const BasicBlock *From = F.BB;
  uint64_t &Visits = F.Visits[To];
  ++Visits;
  if (Opts.MaxLoopIterations && Visits > Opts.MaxLoopIterations + 1) {
    terminateEarly(S, "loop bound (--max-loop-iterations " +
                          std::to_string(Opts.MaxLoopIterations) + ") reached");
    return;
  }
  F.BB = To;
  F.PC = To->begin();
  enterBlock(S, To);
  if (!isa<PHINode>(*F.PC))
    return;
  SmallVector<std::pair<const PHINode *, SVal>, 8> Values;
  for (const PHINode &P : To->phis())
    Values.push_back({&P, eval(S, P.getIncomingValueForBlock(From))});
  for (auto &[P, V] : Values)
    F.Locals[P] = V;
  while (isa<PHINode>(*F.PC))
    ++F.PC;
}

void Executor::callFunction(ExecutionState &S, const CallBase *Call,
                            const Function *F, std::vector<SVal> Args) {
  if (S.Stack.size() >= Opts.MaxStackDepth) {
    terminateEarly(S, "stack depth bound reached");
    return;
  }
  Frame Fr;
  Fr.F = F;
  Fr.Caller = Call;
  unsigned I = 0;
  for (const Argument &A : F->args()) {
    if (I < Args.size()) {
      unsigned W = bitsOf(A.getType());
      Fr.Locals[&A] =
          Args[I].width() == W ? Args[I] : B.zextOrTrunc(Args[I], W);
    }
    ++I;
  }
  S.Stack.push_back(std::move(Fr));
  if (F->isVarArg())
    placeVarArgs(S, Call, F, Args);
  S.top().BB = &F->getEntryBlock();
  S.top().PC = S.top().BB->begin();
  enterBlock(S, S.top().BB);
}

void Executor::placeVarArgs(ExecutionState &S, const CallBase *Call,
                            const Function *F, const std::vector<SVal> &Args) {
  // The variadic arguments live in one object laid out like the x86-64
  // overflow area: 8-byte slots, read through va_list by va_arg.
  uint64_t Size = 0;
  std::vector<std::pair<uint64_t, SVal>> Slots;
  for (size_t J = F->arg_size(); J < Args.size(); ++J) {
    SVal V = Args[J];
    unsigned Bytes = (V.width() + 7) / 8;
    if (Bytes > 8)
      Size = (Size + 15) / 16 * 16;
    Slots.push_back({Size, V});
    Size += (Bytes + 7) / 8 * 8;
  }
  uint64_t Base = newObject(S, Size, ObjectKind::VarArgs, "varargs", Call);
  MemObject &O = S.Mem.writable(Base);
  for (auto &[Off, V] : Slots) {
    unsigned Bytes = (V.width() + 7) / 8;
    Mem.write(O, SVal::concrete(64, Off), B.zext(V, Bytes * 8));
  }
  S.top().VarArgs = Base;
}

void Executor::returnFrom(ExecutionState &S, SVal R) {
  Frame &F = S.top();
  for (uint64_t A : F.Allocas)
    S.Mem.writable(A).Alive = false;
  if (F.VarArgs)
    S.Mem.writable(F.VarArgs).Alive = false;
  const CallBase *Call = F.Caller;
  S.Stack.pop_back();
  if (S.Stack.empty() && S.Fiber != 0) {
    // A fiber's function returned: the path goes on in fiber 0, after its
    // last switch.
    S.FiberDone[S.Fiber] = true;
    S.Stack = std::move(S.Suspended[0]);
    S.Fiber = 0;
    return;
  }
  if (S.Stack.empty()) {
    int Code = R.valid() && R.isConcrete() ? (int)R.value().getSExtValue() : 0;
    terminateExit(S, Code);
    return;
  }
  if (Call && !Call->getType()->isVoidTy() && R.valid())
    setResult(S, Call, R);
}

void Executor::step(ExecutionState &S) {
  if (S.EndFiber) {
    // A fiber failed under __dsu_symex_excuse_errors(2): the path goes on
    // in fiber 0, after its last switch.
    S.EndFiber = false;
    S.FiberDone[S.Fiber] = true;
    S.Stack = std::move(S.Suspended[0]);
    S.Suspended[0].clear();
    S.Fiber = 0;
  }
  Frame &F = S.top();
  const Instruction *I = &*F.PC;
  ++F.PC;
  F.Cur = I;
  ++S.Instructions;
  ++S.SinceCovNew;
  ++Stats.Instructions;
  if (Opts.MaxInstructions && S.Instructions > Opts.MaxInstructions) {
    terminateEarly(S, "instruction bound (--max-instructions " +
                          std::to_string(Opts.MaxInstructions) + ") reached");
    return;
  }
  if (ProfileFunctions)
    ++InstructionsIn[I];
  execute(S, I);
}

//===----------------------------------------------------------------------===//
// Memory access
//===----------------------------------------------------------------------===//

void Executor::accessError(ExecutionState &S, uint64_t Addr, uint64_t N,
                           bool Write, const MemObject *Near) {
  const char *What = Write ? "write" : "read";
  if (Addr < NullLimit) {
    terminateError(S, "null-dereference",
                   std::string("null pointer dereference (") + What + " of " +
                       std::to_string(N) + " bytes at address " +
                       std::to_string(Addr) + ")");
    return;
  }
  std::string Msg = std::string("out-of-bounds ") + What + " of " +
                    std::to_string(N) + " bytes";
  if (Near) {
    int64_t Off = (int64_t)(Addr - Near->Base);
    Msg += " at offset " + std::to_string(Off) + " of '" + Near->Name + "' (" +
           std::to_string(Near->Size) + " bytes)";
  }
  terminateError(S, "out-of-bounds", Msg);
}

bool Executor::checkObject(ExecutionState &S, const MemObject &O, uint64_t N,
                           bool Write) {
  if (!O.Alive) {
    if (O.Kind == ObjectKind::Heap)
      terminateError(S, "use-after-free",
                     std::string(Write ? "write to" : "read of") +
                         " freed memory '" + O.Name + "'");
    else
      terminateError(S, "use-after-return",
                     std::string(Write ? "write to" : "read of") +
                         " stack object '" + O.Name +
                         "' after its function returned");
    return false;
  }
  if (Write && O.ReadOnly) {
    terminateError(S, "read-only", "write to constant object '" + O.Name + "'");
    return false;
  }
  return true;
}

const MemObject *Executor::concreteObject(ExecutionState &S, uint64_t Addr,
                                          uint64_t N, bool Write) {
  const MemObject *O = S.Mem.find(Addr);
  if (!O || Addr + N > O->Base + O->Size || Addr + N < Addr) {
    accessError(S, Addr, N, Write, O ? O : S.Mem.nearest(Addr));
    return nullptr;
  }
  if (!checkObject(S, *O, N, Write))
    return nullptr;
  return O;
}

void Executor::access(ExecutionState &S, const SVal &Addr, uint64_t N,
                      bool Write, const AccessFn &Fn) {
  if (Addr.isConcrete()) {
    uint64_t A = Addr.zext();
    if (const MemObject *O = concreteObject(S, A, N, Write))
      Fn(S, *O, SVal::concrete(64, A - O->Base));
    return;
  }
  // Only loads and stores follow a pointer into a family of objects
  // (Tables.cpp); the library functions that come here do not.
  FamilyAccess FA;
  switch (matchFamily(S, Addr, N, FA)) {
  case FamilyMatch::Member:
    terminateEarly(S, "symbolic pointer into a table's " +
                          std::to_string(S.Mem.Families[FA.Family].Count) +
                          " objects passed to a library function");
    return;
  case FamilyMatch::Unsure:
    return;
  case FamilyMatch::None:
    break;
  }
  // A symbolic address: check it against the object it was derived from when
  // that is visible, else enumerate the objects it can point into.
  if (const MemObject *Cand = derivedObject(S, Addr.sym()))
    accessDerived(S, Addr, N, Write, *Cand, Fn);
  else
    accessEnumerated(S, Addr, N, Write, Fn);
}

const MemObject *Executor::derivedObject(ExecutionState &S, Z3_ast AE) {
  Z3_context Z = Ctx.z3();
  APInt C;
  Z3_app App =
      Z3_get_ast_kind(Z, AE) == Z3_APP_AST ? Z3_to_app(Z, AE) : nullptr;
  if (App && Z3_get_decl_kind(Z, Z3_get_app_decl(Z, App)) == Z3_OP_BADD &&
      Z3_get_app_num_args(Z, App) == 2 &&
      Ctx.numeralValue(Z3_get_app_arg(Z, App, 0), C)) {
    const MemObject *O = S.Mem.nearest(C.getZExtValue());
    if (O && O->containsOrEnds(C.getZExtValue()))
      return O;
  }
  return nullptr;
}

Z3_ast Executor::inBounds(Z3_ast AE, const MemObject &O, uint64_t N) {
  Z3_context Z = Ctx.z3();
  if (N > O.Size)
    return Ctx.boolVal(false);
  Z3_ast Args[2] = {
      Z3_mk_bvuge(Z, AE, Ctx.numeral(APInt(64, O.Base))),
      Z3_mk_bvule(Z, AE, Ctx.numeral(APInt(64, O.Base + O.Size - N)))};
  return Z3_mk_and(Z, 2, Args);
}

void Executor::accessObject(ExecutionState &S, const SVal &Addr, uint64_t N,
                            bool Write, const MemObject &O,
                            const AccessFn &Fn) {
  if (!checkObject(S, O, N, Write))
    return;
  SVal Off = B.sub(Addr, SVal::concrete(64, O.Base));
  Fn(S, O, Off);
}

void Executor::accessDerived(ExecutionState &S, const SVal &Addr, uint64_t N,
                             bool Write, const MemObject &Cand,
                             const AccessFn &Fn) {
  Z3_context Z = Ctx.z3();
  Z3_ast AE = Addr.sym();
  uint64_t Base = Cand.Base;
  Z3_ast In = inBounds(AE, Cand, N);
  auto [T, F] = fork(S, In);
  if (F) {
    APInt Bad;
    SVal A = Addr;
    if (getValue(*F, A, Bad)) {
      addConstraint(*F, Z3_mk_eq(Z, AE, Ctx.numeral(Bad)));
      const MemObject *Near = F->Mem.byBase(Base);
      accessError(*F, Bad.getZExtValue(), N, Write, Near);
    } else {
      terminateEarly(*F, solverFailure());
    }
  }
  if (T)
    accessObject(*T, Addr, N, Write, *T->Mem.byBase(Base), Fn);
}

void Executor::accessEnumerated(ExecutionState &S, const SVal &Addr, uint64_t N,
                                bool Write, const AccessFn &Fn) {
  Z3_context Z = Ctx.z3();
  Z3_ast AE = Addr.sym();
  ExecutionState *Cur = &S;
  for (unsigned K = 0; K < MaxPointerTargets; ++K) {
    APInt V;
    if (!getValue(*Cur, Addr, V)) {
      terminateEarly(*Cur, solverFailure());
      return;
    }
    uint64_t A = V.getZExtValue();
    const MemObject *O = Cur->Mem.find(A);
    if (!O || A + N > O->Base + O->Size) {
      addConstraint(*Cur, Z3_mk_eq(Z, AE, Ctx.numeral(V)));
      accessError(*Cur, A, N, Write, O ? O : Cur->Mem.nearest(A));
      return;
    }
    if (K == 0) {
      // A pointer read from symbolic memory often has one possible value
      // (the only entry of a hash bucket): follow it as that address, so
      // what is loaded through it keeps its shape (Tables.cpp needs it).
      bool Other;
      if (!mayBeTrue(*Cur, Z3_mk_not(Z, Z3_mk_eq(Z, AE, Ctx.numeral(V))),
                     Other)) {
        terminateEarly(*Cur, solverFailure());
        return;
      }
      if (!Other) {
        accessObject(*Cur, SVal::concrete(V), N, Write, *O, Fn);
        return;
      }
    }
    uint64_t Base = O->Base;
    Z3_ast In = inBounds(AE, *O, N);
    auto [T, F] = fork(*Cur, In);
    if (T)
      accessObject(*T, Addr, N, Write, *T->Mem.byBase(Base), Fn);
    if (!F)
      return;
    Cur = F;
  }
  terminateEarly(*Cur, "symbolic pointer with too many targets at " +
                           userLocation(*Cur));
}

std::string Executor::readString(ExecutionState &S, const SVal &Addr) {
  std::string R;
  if (!Addr.isConcrete())
    return "<symbolic>";
  uint64_t A = Addr.zext();
  const MemObject *O = S.Mem.find(A);
  if (!O || O->Array)
    return "<unknown>";
  for (uint64_t I = A - O->Base; I < O->Size; ++I) {
    const Byte &Bt = O->Bytes[I];
    if (Bt.E) {
      R += '?';
      continue;
    }
    if (!Bt.Val)
      break;
    R += (char)Bt.Val;
  }
  return R;
}

bool Executor::copyMemory(ExecutionState &S, uint64_t Dst, uint64_t Src,
                          uint64_t N) {
  if (N == 0)
    return true;
  const MemObject *SO = concreteObject(S, Src, N, false);
  if (!SO)
    return false;
  const MemObject *DO = concreteObject(S, Dst, N, true);
  if (!DO)
    return false;
  uint64_t SB = SO->Base, DB = DO->Base;
  // Read everything first: source and destination may overlap.
  std::vector<SVal> Bytes;
  std::vector<Byte> Raw;
  const MemObject &Src0 = *S.Mem.byBase(SB);
  bool Flat = !Src0.Array;
  if (Flat)
    Raw.assign(Src0.Bytes.begin() + (Src - SB),
               Src0.Bytes.begin() + (Src - SB) + N);
  else
    for (uint64_t I = 0; I < N; ++I)
      Bytes.push_back(Mem.readByte(Src0, Src - SB + I));
  MemObject &D = S.Mem.writable(DB);
  if (Flat && !D.Array) {
    std::copy(Raw.begin(), Raw.end(), D.Bytes.begin() + (Dst - DB));
    return true;
  }
  for (uint64_t I = 0; I < N; ++I) {
    SVal V;
    if (Flat) {
      const Byte &Bt = Raw[I];
      if (!Bt.E)
        V = SVal::concrete(8, Bt.Val);
      else
        V = B.extract(B.wrap(Bt.E), Bt.Idx * 8, 8);
    } else {
      V = Bytes[I];
    }
    Mem.writeByte(D, Dst - DB + I, V);
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Instructions
//===----------------------------------------------------------------------===//

static CmpKind cmpKind(CmpInst::Predicate P) {
  switch (P) {
  case CmpInst::ICMP_EQ:
    return CmpKind::Eq;
  case CmpInst::ICMP_NE:
    return CmpKind::Ne;
  case CmpInst::ICMP_ULT:
    return CmpKind::Ult;
  case CmpInst::ICMP_ULE:
    return CmpKind::Ule;
  case CmpInst::ICMP_UGT:
    return CmpKind::Ugt;
  case CmpInst::ICMP_UGE:
    return CmpKind::Uge;
  case CmpInst::ICMP_SLT:
    return CmpKind::Slt;
  case CmpInst::ICMP_SLE:
    return CmpKind::Sle;
  case CmpInst::ICMP_SGT:
    return CmpKind::Sgt;
  default:
    return CmpKind::Sge;
  }
}

void Executor::executeBinary(ExecutionState &S, const BinaryOperator *I) {
  SVal L = eval(S, I->getOperand(0)), R = eval(S, I->getOperand(1));
  auto Op = I->getOpcode();
  ExecutionState *T = &S;
  switch (Op) {
  case Instruction::UDiv:
  case Instruction::SDiv:
  case Instruction::URem:
  case Instruction::SRem:
    T = checkDivisor(S, R);
    break;
  case Instruction::Shl:
  case Instruction::LShr:
  case Instruction::AShr:
    if (Opts.OvershiftIsError)
      T = checkShift(S, R);
    break;
  default:
    break;
  }
  if (!T)
    return;
  SVal V;
  switch (Op) {
  case Instruction::Add:
    V = B.add(L, R);
    break;
  case Instruction::Sub:
    V = B.sub(L, R);
    break;
  case Instruction::Mul:
    V = B.mul(L, R);
    break;
  case Instruction::UDiv:
    V = divideByConstant(*T, /*WantRemainder=*/false, L, R);
    break;
  case Instruction::SDiv:
    V = B.sdiv(L, R);
    break;
  case Instruction::URem:
    V = divideByConstant(*T, /*WantRemainder=*/true, L, R);
    break;
  case Instruction::SRem:
    V = B.srem(L, R);
    break;
  case Instruction::Shl:
    V = B.shl(L, R);
    break;
  case Instruction::LShr:
    V = B.lshr(L, R);
    break;
  case Instruction::AShr:
    V = B.ashr(L, R);
    break;
  case Instruction::And:
    V = B.andOp(L, R);
    break;
  case Instruction::Or:
    V = B.orOp(L, R);
    break;
  case Instruction::Xor:
    V = B.xorOp(L, R);
    break;
  default:
    executeFloat(*T, I);
    return;
  }
  setResult(*T, I, V);
}

ExecutionState *Executor::checkDivisor(ExecutionState &S, const SVal &R) {
  SVal Zero = SVal::concrete(R.width(), 0);
  SVal IsZero = B.cmp(CmpKind::Eq, R, Zero);
  if (IsZero.isConcrete()) {
    if (IsZero.value().getBoolValue()) {
      terminateError(S, "division-by-zero", "division by zero");
      return nullptr;
    }
    return &S;
  }
  auto [Bad, Good] = fork(S, B.boolean(IsZero));
  if (Bad)
    terminateError(*Bad, "division-by-zero", "division by zero");
  return Good;
}

ExecutionState *Executor::checkShift(ExecutionState &S, const SVal &R) {
  SVal Over = B.cmp(CmpKind::Uge, R, SVal::concrete(R.width(), R.width()));
  if (Over.isConcrete()) {
    if (Over.value().getBoolValue()) {
      terminateError(S, "overshift",
                     "shift by " + std::to_string(R.zext()) + " of a " +
                         std::to_string(R.width()) + "-bit value");
      return nullptr;
    }
    return &S;
  }
  auto [Bad, Good] = fork(S, B.boolean(Over));
  if (Bad)
    terminateError(*Bad, "overshift",
                   "shift amount can reach the width of a " +
                       std::to_string(R.width()) + "-bit value");
  return Good;
}

void Executor::executeGEP(ExecutionState &S, const GetElementPtrInst *I) {
  SVal Addr = eval(S, I->getPointerOperand());
  APInt ConstOff(64, 0);
  for (auto GTI = gep_type_begin(I), E = gep_type_end(I); GTI != E; ++GTI) {
    const Value *Idx = GTI.getOperand();
    if (StructType *ST = GTI.getStructTypeOrNull()) {
      unsigned F = (unsigned)cast<ConstantInt>(Idx)->getZExtValue();
      ConstOff += DL.getStructLayout(ST)->getElementOffset(F);
      continue;
    }
    uint64_t Size = GTI.getSequentialElementStride(DL);
    SVal V = B.sextOrTrunc(eval(S, Idx), 64);
    if (V.isConcrete()) {
      ConstOff += V.value() * Size;
    } else {
      Addr = B.add(Addr, B.mul(V, SVal::concrete(64, Size)));
    }
  }
  if (!ConstOff.isZero())
    Addr = B.add(Addr, SVal::concrete(ConstOff));
  setResult(S, I, Addr);
}

void Executor::executeSwitch(ExecutionState &S, const SwitchInst *I) {
  SVal C = eval(S, I->getCondition());
  if (C.isConcrete()) {
    for (auto &Case : I->cases())
      if (Case.getCaseValue()->getValue() == C.value()) {
        transfer(S, Case.getCaseSuccessor());
        return;
      }
    transfer(S, I->getDefaultDest());
    return;
  }
  Z3_context Z = Ctx.z3();
  // Group the cases by target, in order of first appearance.
  std::vector<const BasicBlock *> Targets;
  std::map<const BasicBlock *, std::vector<Z3_ast>> Conds;
  std::vector<Z3_ast> NotAny;
  Z3_ast CE = B.bv(C);
  for (auto &Case : I->cases()) {
    const BasicBlock *BB = Case.getCaseSuccessor();
    Z3_ast Eq = Z3_mk_eq(Z, CE, Ctx.numeral(Case.getCaseValue()->getValue()));
    if (!Conds.count(BB))
      Targets.push_back(BB);
    Conds[BB].push_back(Eq);
    NotAny.push_back(Z3_mk_not(Z, Eq));
  }
  const BasicBlock *Def = I->getDefaultDest();
  Z3_ast DefCond = Z3_mk_and(Z, NotAny.size(), NotAny.data());
  if (Conds.count(Def)) {
    Z3_ast Args[2] = {DefCond,
                      Z3_mk_or(Z, Conds[Def].size(), Conds[Def].data())};
    DefCond = Z3_mk_or(Z, 2, Args);
    Targets.erase(std::find(Targets.begin(), Targets.end(), Def));
  }
  // Peel off one target at a time; the remainder continues in place.
  ExecutionState *Cur = &S;
  for (const BasicBlock *BB : Targets) {
    auto &V = Conds[BB];
    Z3_ast Cond = Z3_mk_or(Z, V.size(), V.data());
    auto [T, F] = fork(*Cur, Cond);
    if (T)
      transfer(*T, BB);
    if (!F)
      return;
    Cur = F;
  }
  (void)DefCond;
  transfer(*Cur, Def);
}

uint64_t Executor::aggregateOffset(Type *T, ArrayRef<unsigned> Idx,
                                   Type *&Leaf) {
  uint64_t Off = 0;
  for (unsigned I : Idx) {
    if (auto *ST = dyn_cast<StructType>(T)) {
      Off += DL.getStructLayout(ST)->getElementOffset(I);
      T = ST->getElementType(I);
    } else if (auto *AT = dyn_cast<ArrayType>(T)) {
      Off += I * DL.getTypeAllocSize(AT->getElementType());
      T = AT->getElementType();
    } else {
      auto *VT = cast<FixedVectorType>(T);
      Off += I * DL.getTypeAllocSize(VT->getElementType());
      T = VT->getElementType();
    }
  }
  Leaf = T;
  return Off;
}

void Executor::execute(ExecutionState &S, const Instruction *I) {
  switch (I->getOpcode()) {
  case Instruction::Ret: {
    auto *R = cast<ReturnInst>(I);
    returnFrom(S, R->getReturnValue() ? eval(S, R->getReturnValue()) : SVal());
    return;
  }
  case Instruction::Br:
    executeBranch(S, cast<BranchInst>(I));
    return;
  case Instruction::Switch:
    executeSwitch(S, cast<SwitchInst>(I));
    return;
  case Instruction::Unreachable:
    terminateError(S, "unreachable", "unreachable code reached");
    return;
  case Instruction::Add:
  case Instruction::Sub:
  case Instruction::Mul:
  case Instruction::UDiv:
  case Instruction::SDiv:
  case Instruction::URem:
  case Instruction::SRem:
  case Instruction::Shl:
  case Instruction::LShr:
  case Instruction::AShr:
  case Instruction::And:
  case Instruction::Or:
  case Instruction::Xor:
  case Instruction::FAdd:
  case Instruction::FSub:
  case Instruction::FMul:
  case Instruction::FDiv:
  case Instruction::FRem:
    executeBinary(S, cast<BinaryOperator>(I));
    return;
  case Instruction::FNeg:
  case Instruction::FCmp:
  case Instruction::FPToSI:
  case Instruction::FPToUI:
  case Instruction::SIToFP:
  case Instruction::UIToFP:
  case Instruction::FPExt:
  case Instruction::FPTrunc:
    executeFloat(S, I);
    return;
  case Instruction::ICmp: {
    auto *C = cast<ICmpInst>(I);
    setResult(S, I,
              B.cmp(cmpKind(C->getPredicate()), eval(S, C->getOperand(0)),
                    eval(S, C->getOperand(1))));
    return;
  }
  case Instruction::Trunc:
  case Instruction::PtrToInt:
  case Instruction::IntToPtr:
    setResult(S, I,
              B.zextOrTrunc(eval(S, I->getOperand(0)), bitsOf(I->getType())));
    return;
  case Instruction::ZExt:
    setResult(S, I, B.zext(eval(S, I->getOperand(0)), bitsOf(I->getType())));
    return;
  case Instruction::SExt:
    setResult(S, I, B.sext(eval(S, I->getOperand(0)), bitsOf(I->getType())));
    return;
  case Instruction::BitCast:
  case Instruction::AddrSpaceCast:
  case Instruction::Freeze:
    setResult(S, I, eval(S, I->getOperand(0)));
    return;
  case Instruction::Select: {
    auto *Sel = cast<SelectInst>(I);
    setResult(S, I,
              B.select(eval(S, Sel->getCondition()),
                       eval(S, Sel->getTrueValue()),
                       eval(S, Sel->getFalseValue())));
    return;
  }
  case Instruction::PHI:
    return; // Evaluated on block entry.
  case Instruction::Alloca:
    executeAlloca(S, cast<AllocaInst>(I));
    return;
  case Instruction::Load:
    executeLoad(S, cast<LoadInst>(I));
    return;
  case Instruction::Store:
    executeStore(S, cast<StoreInst>(I));
    return;
  case Instruction::GetElementPtr:
    executeGEP(S, cast<GetElementPtrInst>(I));
    return;
  case Instruction::Call:
    executeCall(S, cast<CallBase>(I));
    return;
  case Instruction::ExtractValue: {
    auto *EV = cast<ExtractValueInst>(I);
    Type *Leaf;
    uint64_t Off = aggregateOffset(EV->getAggregateOperand()->getType(),
                                   EV->getIndices(), Leaf);
    SVal A = eval(S, EV->getAggregateOperand());
    setResult(S, I, B.extract(A, (unsigned)Off * 8, bitsOf(Leaf)));
    return;
  }
  case Instruction::InsertValue: {
    auto *IV = cast<InsertValueInst>(I);
    Type *Leaf;
    uint64_t Off = aggregateOffset(IV->getAggregateOperand()->getType(),
                                   IV->getIndices(), Leaf);
    SVal A = eval(S, IV->getAggregateOperand());
    SVal V = eval(S, IV->getInsertedValueOperand());
    setResult(S, I, B.insert(A, (unsigned)Off * 8, V));
    return;
  }
  case Instruction::ShuffleVector:
  case Instruction::ExtractElement:
  case Instruction::InsertElement: {
    // Vectors are flat bit-vectors, element i at bits [i*W, (i+1)*W), as
    // memory lays them out; only byte-sized elements and constant indices
    // (what -O2 emits for a struct copied field by field).
    auto *VT = cast<FixedVectorType>(I->getOperand(0)->getType());
    unsigned W = VT->getElementType()->getPrimitiveSizeInBits();
    if (W == 0 || W % 8 || W != DL.getTypeAllocSize(VT->getElementType()) * 8)
      break;
    SVal A = eval(S, I->getOperand(0));
    if (auto *SV = dyn_cast<ShuffleVectorInst>(I)) {
      SVal Bv = eval(S, SV->getOperand(1));
      unsigned N = VT->getNumElements();
      SVal R;
      for (int M : SV->getShuffleMask()) {
        SVal E = M < 0             ? SVal::concrete(W, 0)
                 : (unsigned)M < N ? B.extract(A, (unsigned)M * W, W)
                                   : B.extract(Bv, ((unsigned)M - N) * W, W);
        R = R.valid() ? B.concat(E, R) : E;
      }
      setResult(S, I, R);
      return;
    }
    auto *Idx = dyn_cast<ConstantInt>(
        I->getOperand(I->getOpcode() == Instruction::ExtractElement ? 1 : 2));
    if (!Idx || Idx->getZExtValue() >= VT->getNumElements())
      break;
    unsigned Lo = (unsigned)Idx->getZExtValue() * W;
    if (I->getOpcode() == Instruction::ExtractElement)
      setResult(S, I, B.extract(A, Lo, W));
    else
      setResult(S, I, B.insert(A, Lo, eval(S, I->getOperand(1))));
    return;
  }
  case Instruction::Fence:
    return;
  default:
    break;
  }
  {
    terminateEarly(S, std::string("unsupported instruction '") +
                          I->getOpcodeName() + "'");
    return;
  }
}

void Executor::executeBranch(ExecutionState &S, const BranchInst *Br) {
  if (Br->isUnconditional()) {
    transfer(S, Br->getSuccessor(0));
    return;
  }
  SVal C = eval(S, Br->getCondition());
  if (C.isConcrete()) {
    transfer(S, Br->getSuccessor(C.value().getBoolValue() ? 0 : 1));
    return;
  }
  auto [T, F] = fork(S, B.boolean(C));
  if (T)
    transfer(*T, Br->getSuccessor(0));
  if (F)
    transfer(*F, Br->getSuccessor(1));
}

void Executor::executeAlloca(ExecutionState &S, const AllocaInst *A) {
  uint64_t Size = DL.getTypeAllocSize(A->getAllocatedType());
  SVal N = eval(S, A->getArraySize());
  forEachValue(S, N, "alloca size", [&](ExecutionState &S, const APInt &C) {
    if (C.getActiveBits() > 40 || Size * C.getZExtValue() > MaxAlloc) {
      terminateEarly(S, "stack allocation too large");
      return;
    }
    uint64_t Base = newObject(S, Size * C.getZExtValue(), ObjectKind::Stack,
                              A->getName(), A, A->getAlign().value());
    S.top().Allocas.push_back(Base);
    setResult(S, A, SVal::concrete(64, Base));
  });
}

void Executor::executeLoad(ExecutionState &S, const LoadInst *L) {
  Type *T = L->getType();
  uint64_t N = DL.getTypeStoreSize(T);
  unsigned W = bitsOf(T);
  SVal Addr = eval(S, L->getPointerOperand());
  FamilyAccess FA;
  switch (matchFamily(S, Addr, N, FA)) {
  case FamilyMatch::Member:
    setResult(S, L, B.trunc(familyLoad(S, FA, (unsigned)N), W));
    return;
  case FamilyMatch::Unsure:
    return;
  case FamilyMatch::None:
    break;
  }
  access(S, Addr, N, false,
         [&](ExecutionState &St, const MemObject &O, const SVal &Off) {
           std::vector<APInt> Offs;
           if (!Off.isConcrete() && !O.Array &&
               O.Size > MemoryOps::ArrayLimit &&
               fewValues(St, Off, MaxSmallReadOffsets, Offs)) {
             // A large table read at an index with a few possible values
             // (a digit indexing redis's 10,000 shared integers): one
             // state per value is cheaper than a term over every entry.
             uint64_t Base = O.Base;
             forkOverValues(St, Off, Offs,
                            [&](ExecutionState &St, const APInt &C) {
                              SVal V = Mem.read(*St.Mem.byBase(Base),
                                                SVal::concrete(C), (unsigned)N);
                              setResult(St, L, B.trunc(V, W));
                            });
             return;
           }
           SVal Run;
           if (!Off.isConcrete() && !O.Array &&
               O.Size > MemoryOps::ArrayLimit &&
               readStridedRun(St, O, Off, (unsigned)N, Run)) {
             // More values: a table that counts up (Tables.cpp).
             setResult(St, L, B.trunc(Run, W));
             return;
           }
           if (!Off.isConcrete() && !O.Array &&
               O.Size > MemoryOps::TreeLimit) {
             // Too large for a term over every position: fix the offset.
             uint64_t Base = O.Base;
             forEachValue(St, Off, "read offset into a large object",
                          [&](ExecutionState &St, const APInt &C) {
                            SVal V = Mem.read(*St.Mem.byBase(Base),
                                              SVal::concrete(C), (unsigned)N);
                            setResult(St, L, B.trunc(V, W));
                          });
             return;
           }
           SVal V = Mem.read(O, Off, (unsigned)N);
           setResult(St, L, B.trunc(V, W));
         });
}

void Executor::executeStore(ExecutionState &S, const StoreInst *St) {
  SVal V = eval(S, St->getValueOperand());
  uint64_t N = DL.getTypeStoreSize(St->getValueOperand()->getType());
  SVal Stored = B.zext(V, (unsigned)N * 8);
  SVal Addr = eval(S, St->getPointerOperand());
  FamilyAccess FA;
  switch (matchFamily(S, Addr, N, FA)) {
  case FamilyMatch::Member:
    familyStore(S, FA, Stored);
    return;
  case FamilyMatch::Unsure:
    return;
  case FamilyMatch::None:
    break;
  }
  access(S, Addr, N, true,
         [&](ExecutionState &T, const MemObject &O, const SVal &Off) {
           if (!Off.isConcrete() && !O.Array &&
               O.Size > MemoryOps::ArrayLimit) {
             // The array form of a large object is one store per byte, a
             // term too deep for Z3: fix the offset instead.
             uint64_t Base = O.Base;
             forEachValue(T, Off, "write offset into a large object",
                          [&](ExecutionState &T, const APInt &C) {
                            Mem.write(T.Mem.writable(Base), SVal::concrete(C),
                                      Stored);
                          });
             return;
           }
           Mem.write(T.Mem.writable(O.Base), Off, Stored);
         });
}

//===----------------------------------------------------------------------===//
// Calls
//===----------------------------------------------------------------------===//

void Executor::executeCall(ExecutionState &S, const CallBase *Call) {
  if (Call->isInlineAsm()) {
    terminateEarly(S, "inline assembly");
    return;
  }
  std::vector<SVal> Args;
  for (const Use &A : Call->args())
    Args.push_back(eval(S, A.get()));
  const Value *Callee = Call->getCalledOperand()->stripPointerCasts();
  if (auto *F = dyn_cast<Function>(Callee)) {
    if (F->isDeclaration()) {
      callDeclaration(S, Call, F, Args);
      return;
    }
    callFunction(S, Call, F, std::move(Args));
    return;
  }
  executeIndirectCall(S, Call, eval(S, Callee), Args);
}

void Executor::callDeclaration(ExecutionState &S, const CallBase *Call,
                               const Function *F, std::vector<SVal> &Args) {
  if (F->isIntrinsic())
    callIntrinsic(S, Call, F, Args);
  else if (const GlobalVariable *Slot = trampolineSlot(F->getName()))
    executeIndirectCall(S, Call, readSlot(S, Slot), Args);
  else
    callExternal(S, Call, F->getName(), Args);
}

void Executor::executeIndirectCall(ExecutionState &S, const CallBase *Call,
                                   const SVal &P,
                                   const std::vector<SVal> &Args) {
  Z3_context Z = Ctx.z3();
  ExecutionState *Cur = &S;
  for (unsigned K = 0; K < MaxCallTargets; ++K) {
    APInt V;
    if (!getValue(*Cur, P, V)) {
      terminateEarly(*Cur, solverFailure());
      return;
    }
    auto It = FuncByAddr.find(V.getZExtValue());
    ExecutionState *T = Cur, *F = nullptr;
    if (!P.isConcrete()) {
      auto TF = fork(*Cur, Z3_mk_eq(Z, B.bv(P), Ctx.numeral(V)));
      T = TF.first;
      F = TF.second;
    }
    if (T) {
      if (It == FuncByAddr.end()) {
        terminateError(*T,
                       V.getZExtValue() < NullLimit ? "null-dereference"
                                                    : "bad-function-pointer",
                       "call through " +
                           std::string(V.isZero() ? "a null" : "an invalid") +
                           " function pointer");
      } else if (It->second->isDeclaration()) {
        std::vector<SVal> A = Args;
        callDeclaration(*T, Call, It->second, A);
      } else {
        callFunction(*T, Call, It->second, Args);
      }
    }
    if (!F)
      return;
    Cur = F;
  }
  terminateEarly(*Cur, "function pointer with too many targets");
}

//===----------------------------------------------------------------------===//
// The main loop
//===----------------------------------------------------------------------===//

void Executor::progress(bool Final) {
  double T =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - Start)
          .count();
  if (!Final && T - LastProgress < 2.0)
    return;
  LastProgress = T;
  if (!Opts.Progress || Final)
    return;
  *Opts.Progress << format(
      "symex: %.1fs, %llu paths, %zu states, %llu instructions, "
      "%llu queries\n",
      T,
      (unsigned long long)(Stats.PathsCompleted + Stats.PathsErrored +
                           Stats.PathsEarly),
      Live.size(), (unsigned long long)Stats.Instructions,
      (unsigned long long)SStats.Queries);
}

Expected<RunResult> Executor::run() {
  Start = std::chrono::steady_clock::now();
  Search = createSearcher(Opts.Search, Opts.Seed);
  auto *Init = new ExecutionState();
  Init->Id = NextStateId++;
  Live.insert(Init);
  if (Error E = initialize(*Init))
    return std::move(E);
  Search->update(nullptr, {Init}, {});
  if (Init->Terminated) {
    Search->update(nullptr, {}, {Init});
    Live.erase(Init);
    delete Init;
  }
  uint64_t Ticks = 0;
  while (!Search->empty() && !Stop) {
    ExecutionState *S = Search->select();
    unsigned Quantum = Search->quantum();
    while (Quantum-- && !S->Terminated && Added.empty()) {
      step(*S);
      if ((++Ticks & 1023) == 0) {
        progress(false);
        if (Opts.MaxTime > 0 && elapsed() > Opts.MaxTime) {
          Stop = true;
          StopReason = "max-time reached";
          break;
        }
      }
    }
    Search->update(S, Added, Removed);
    for (ExecutionState *R : Removed) {
      Live.erase(R);
      delete R;
    }
    Added.clear();
    Removed.clear();
  }
  progress(true);
  finish();
  return std::move(Result);
}

void Executor::finish() {
  if (ProfileFunctions) {
    // DSU_DEBUG_PROFILE=N: the N functions that ran the most instructions,
    // on standard error (profiling, not output).
    // By the function each instruction's source line belongs to, so that
    // code inlined into a caller is counted as its own function's.
    std::map<std::string, uint64_t> ByFunction;
    for (auto &[I, N] : InstructionsIn) {
      std::string Name = I->getFunction()->getName().str();
      if (const DebugLoc &D = I->getDebugLoc())
        if (auto *SP = D->getScope()->getSubprogram())
          Name = SP->getName().str() + " (in " + Name + ")";
      ByFunction[Name] += N;
    }
    std::vector<std::pair<uint64_t, std::string>> Top;
    for (auto &[Name, N] : ByFunction)
      Top.push_back({N, Name});
    std::sort(Top.rbegin(), Top.rend());
    Top.resize(std::min<size_t>(Top.size(), ProfileFunctions));
    for (auto &[N, Name] : Top)
      fprintf(stderr, "profile: %10llu %s\n", (unsigned long long)N,
              Name.c_str());
  }

  Stats.StatesLeft = Live.size();
  Stats.Queries = SStats.Queries;
  Stats.CacheHits = SStats.CacheHits;
  Stats.ModelHits = SStats.ModelHits;
  Stats.Z3Queries = SStats.Z3Queries;
  Stats.EnumerationAnswers = SStats.EnumerationAnswers;
  Stats.SlicedAway = SStats.SlicedAway;
  Stats.ConstraintsIn = SStats.ConstraintsIn;
  Stats.SolverSeconds = SStats.Z3Seconds;
  Stats.LinesTotal = LineKeys.size();
  Stats.LinesCovered = LinesCovered;
  Stats.Seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - Start)
          .count();
  Result.Stats = Stats;
  if (!Result.Errors.empty()) {
    Result.V = Verdict::Error;
    return;
  }
  std::vector<std::string> Reasons;
  if (!StopReason.empty() && !Live.empty())
    Reasons.push_back(StopReason);
  for (auto &[R, N] : EarlyReasons)
    if (N)
      Reasons.push_back(R +
                        (N > 1 ? " on " + std::to_string(N) + " paths" : ""));
  for (auto &[What, N] : Concretizations)
    Reasons.push_back(What +
                      (N > 1 ? " on " + std::to_string(N) + " paths" : ""));
  if (Reasons.empty()) {
    Result.V = Verdict::Holds;
  } else {
    Result.V = Verdict::Unknown;
    std::string R;
    for (size_t I = 0; I < Reasons.size(); ++I)
      R += (I ? "; " : "") + Reasons[I];
    Result.Reason = R;
  }
}

Expected<RunResult> dsu::symex::runSymex(Module &M, const Options &O,
                                         const Callbacks &CB) {
  // Z3 and the executor's own walks over terms recurse as deep as a term
  // is; terms from real code (long arithmetic chains over request bytes,
  // array stores) get thousands of levels deep. The main thread's 8 MB
  // stack made such a run die inside libz3 without a verdict; a thread
  // with a 256 MB stack (only touched pages are committed) does not.
  std::optional<Expected<RunResult>> Result;
  llvm::thread T(std::optional<unsigned>(ExecutorStackBytes), [&] {
    Executor E(M, O, CB);
    Result.emplace(E.run());
  });
  T.join();
  return std::move(*Result);
}
