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
// Bounds. Each frame counts the visits to each basic block: a block entered
// more than N+1 times in one call means a loop ran more than N iterations,
// and the path stops with an "unknown" reason, as do paths that exceed the
// instruction bound or call a function without a model. Such paths make the
// verdict unknown unless an error was found, so "holds" is only claimed
// when every path ran to its end.
//
//===----------------------------------------------------------------------===//

#include "Expr.h"
#include "Memory.h"
#include "Searcher.h"
#include "Solver.h"
#include "State.h"
#include "dsu/Symex/Symex.h"

#include "llvm/ADT/APSInt.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DataLayout.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/GetElementPtrTypeIterator.h"
#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Operator.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"
#include <chrono>
#include <cmath>
#include <map>
#include <set>

using namespace dsu::symex;
using namespace llvm;

namespace {

constexpr uint64_t NullLimit = 4096;
constexpr uint64_t FirstObject = 0x10000000;
constexpr uint64_t RedZone = 64;
constexpr uint64_t FunctionBase = 0x7f0000000000ULL;
constexpr uint64_t MaxAlloc = 1ULL << 28;
constexpr unsigned MaxPointerTargets = 8;

class Executor {
public:
  Executor(Module &M, const Options &O, const Callbacks &CB)
      : M(M), DL(M.getDataLayout()), Opts(O), CB(CB), B(Ctx), Mem(B) {
    SolverOptions SO;
    SO.Cache = O.QueryCache;
    SO.Independence = O.Independence;
    SO.TimeoutMs = O.SolverTimeoutMs;
    SO.Dump = O.QueryDump;
    Slv = createSolver(Ctx, SO, SStats);
  }
  ~Executor() {
    for (ExecutionState *S : Live)
      delete S;
  }

  Expected<RunResult> run();

private:
  // Setup.
  Error initialize(ExecutionState &S);
  bool isRuntime(const Function *F) const { return RuntimeFns.count(F); }

  // Values.
  unsigned bitsOf(Type *T) const;
  SVal eval(ExecutionState &S, const Value *V);
  SVal evalConstant(const Constant *C);
  void constantBytes(const Constant *C, uint64_t Off,
                     std::vector<uint8_t> &Out);
  uint64_t allocate(uint64_t Size, uint64_t Align);
  uint64_t newObject(ExecutionState &S, uint64_t Size, ObjectKind K,
                     StringRef Name, const Value *Site, uint64_t Align = 16);

  // Solver.
  bool mayBeTrue(ExecutionState &S, Z3_ast Cond, bool &Result);
  bool getValue(ExecutionState &S, const SVal &V, APInt &Result);
  void addConstraint(ExecutionState &S, Z3_ast Cond);
  bool concretize(ExecutionState &S, const SVal &V, APInt &Result,
                  StringRef What);
  /// Splits \p S on \p Cond: returns the states where it holds / fails.
  std::pair<ExecutionState *, ExecutionState *> fork(ExecutionState &S,
                                                     Z3_ast Cond);
  ExecutionState *clone(ExecutionState &S);

  // Termination.
  void terminate(ExecutionState &S);
  void terminateExit(ExecutionState &S, int Code);
  void terminateEarly(ExecutionState &S, const std::string &Reason);
  void terminateError(ExecutionState &S, StringRef Kind,
                      const std::string &Message);
  void terminateSilently(ExecutionState &S) {
    ++Stats.PathsInfeasible;
    terminate(S);
  }
  bool makeTestCase(ExecutionState &S, TestCase &T);
  std::vector<Location> stackOf(ExecutionState &S);
  Location locationOf(const Instruction *I);
  void warn(ExecutionState &S, const std::string &Msg);

  // Execution.
  void step(ExecutionState &S);
  void execute(ExecutionState &S, const Instruction *I);
  void transfer(ExecutionState &S, const BasicBlock *To);
  void enterBlock(ExecutionState &S, const BasicBlock *BB);
  void callFunction(ExecutionState &S, const CallBase *CB, const Function *F,
                    std::vector<SVal> Args);
  void returnFrom(ExecutionState &S, SVal Result);
  void setResult(ExecutionState &S, const Instruction *I, SVal V) {
    S.top().Locals[I] = std::move(V);
  }
  void executeCall(ExecutionState &S, const CallBase *CB);
  void callExternal(ExecutionState &S, const CallBase *CB, StringRef Name,
                    std::vector<SVal> &Args);
  void callIntrinsic(ExecutionState &S, const CallBase *CB, const Function *F,
                     std::vector<SVal> &Args);
  void executeBinary(ExecutionState &S, const BinaryOperator *I);
  void executeFloat(ExecutionState &S, const Instruction *I);
  void executeGEP(ExecutionState &S, const GetElementPtrInst *I);
  void executeSwitch(ExecutionState &S, const SwitchInst *I);
  uint64_t aggregateOffset(Type *T, ArrayRef<unsigned> Idx, Type *&Leaf);

  // Memory.
  using AccessFn =
      std::function<void(ExecutionState &, const MemObject &, const SVal &)>;
  void access(ExecutionState &S, const SVal &Addr, uint64_t N, bool Write,
              const AccessFn &Fn);
  void accessError(ExecutionState &S, uint64_t Addr, uint64_t N, bool Write,
                   const MemObject *Near);
  bool checkObject(ExecutionState &S, const MemObject &O, uint64_t N,
                   bool Write);
  const MemObject *concreteObject(ExecutionState &S, uint64_t Addr, uint64_t N,
                                  bool Write);
  std::string readString(ExecutionState &S, const SVal &Addr);
  void makeSymbolic(ExecutionState &S, uint64_t Addr, uint64_t N,
                    const std::string &Name, bool IsStdin);
  SVal freshSymbolic(ExecutionState &S, const std::string &Name,
                     unsigned Bytes);
  void executeFree(ExecutionState &S, const SVal &P);
  bool copyMemory(ExecutionState &S, uint64_t Dst, uint64_t Src, uint64_t N);
  uint64_t malloc(ExecutionState &S, const SVal &Size, const CallBase *Site,
                  bool &Ok);

  void progress(bool Final);
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         Start)
        .count();
  }

  Module &M;
  const DataLayout &DL;
  Options Opts;
  Callbacks CB;
  ExprContext Ctx;
  ExprBuilder B;
  MemoryOps Mem;
  SolverStats SStats;
  std::unique_ptr<Solver> Slv;
  std::unique_ptr<Searcher> Search;

  uint64_t NextAddr = FirstObject;
  uint64_t NextStateId = 0;
  DenseMap<const GlobalVariable *, uint64_t> GlobalAddrs;
  DenseMap<const Function *, uint64_t> FuncAddrs;
  std::map<uint64_t, const Function *> FuncByAddr;
  DenseMap<const Constant *, SVal> ConstCache;
  DenseSet<const Function *> RuntimeFns;

  std::set<ExecutionState *> Live;
  std::vector<ExecutionState *> Added, Removed;

  // Coverage.
  DenseMap<const BasicBlock *, std::vector<unsigned>> BlockLines;
  std::vector<std::pair<std::string, unsigned>> LineKeys;
  DenseSet<const BasicBlock *> CoveredBlocks;
  std::vector<bool> LineCovered;
  uint64_t LinesCovered = 0;

  Statistics Stats;
  RunResult Result;
  std::map<std::string, uint64_t> EarlyReasons;
  std::map<std::string, uint64_t> Concretizations;
  std::set<std::string> Warned;
  std::set<std::pair<const Instruction *, std::string>> ErrorSites;
  bool Stop = false;
  std::string StopReason;
  std::chrono::steady_clock::time_point Start;
  double LastProgress = 0;
};

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

  uint64_t FnIndex = 0;
  for (const Function &F : M) {
    uint64_t A = FunctionBase + 16 * FnIndex++;
    FuncAddrs[&F] = A;
    FuncByAddr[A] = &F;
  }
  for (const GlobalVariable &G : M.globals()) {
    uint64_t Size = DL.getTypeAllocSize(G.getValueType());
    uint64_t Base = newObject(S, Size, ObjectKind::Global, G.getName(), &G,
                              G.getAlign() ? G.getAlign()->value() : 16);
    GlobalAddrs[&G] = Base;
  }
  for (const GlobalVariable &G : M.globals()) {
    MemObject &O = S.Mem.writable(GlobalAddrs[&G]);
    O.ReadOnly = G.isConstant();
    if (!G.hasInitializer())
      continue;
    std::vector<uint8_t> Bytes(O.Size, 0);
    constantBytes(G.getInitializer(), 0, Bytes);
    for (uint64_t I = 0; I < O.Size; ++I)
      O.Bytes[I].Val = Bytes[I];
  }

  const Function *Main = M.getFunction("main");
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
    switch (CE->getOpcode()) {
    case Instruction::GetElementPtr: {
      auto *GEP = cast<GEPOperator>(CE);
      APInt Off(64, 0);
      SVal Base = evalConstant(CE->getOperand(0));
      if (GEP->accumulateConstantOffset(DL, Off))
        R = SVal::concrete(Base.value() + Off);
      else
        R = Base;
      break;
    }
    case Instruction::BitCast:
    case Instruction::AddrSpaceCast:
      R = evalConstant(CE->getOperand(0));
      break;
    case Instruction::PtrToInt:
    case Instruction::IntToPtr:
    case Instruction::Trunc:
      R = B.zextOrTrunc(evalConstant(CE->getOperand(0)), bitsOf(T));
      break;
    case Instruction::Add:
      R = B.add(evalConstant(CE->getOperand(0)),
                evalConstant(CE->getOperand(1)));
      break;
    case Instruction::Sub:
      R = B.sub(evalConstant(CE->getOperand(0)),
                evalConstant(CE->getOperand(1)));
      break;
    case Instruction::Mul:
      R = B.mul(evalConstant(CE->getOperand(0)),
                evalConstant(CE->getOperand(1)));
      break;
    case Instruction::Xor:
      R = B.xorOp(evalConstant(CE->getOperand(0)),
                  evalConstant(CE->getOperand(1)));
      break;
    default:
      R = SVal::concrete(bitsOf(T), 0);
      break;
    }
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
  Query Q;
  Q.Constraints = S.Constraints;
  Q.Expr = Cond;
  auto R = Slv->check(Q, {}, nullptr);
  if (!R) {
    consumeError(R.takeError());
    return false;
  }
  if (*R == SatResult::Unknown)
    return false;
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
    consumeError(R.takeError());
    return false;
  }
  if (*R != SatResult::Sat)
    return false;
  Res = Values[0];
  return true;
}

void Executor::addConstraint(ExecutionState &S, Z3_ast Cond) {
  Z3_ast C = Ctx.simplify(Cond);
  if (Z3_get_bool_value(Ctx.z3(), C) == Z3_L_TRUE)
    return;
  S.Constraints.push_back(C);
}

bool Executor::concretize(ExecutionState &S, const SVal &V, APInt &Res,
                          StringRef What) {
  if (V.isConcrete()) {
    Res = V.value();
    return true;
  }
  if (!getValue(S, V, Res)) {
    terminateEarly(S, "solver failure");
    return false;
  }
  addConstraint(S, Z3_mk_eq(Ctx.z3(), B.bv(V), Ctx.numeral(Res)));
  ++Concretizations[What.str()];
  return true;
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
    terminateEarly(S, "solver failure (timeout or unknown)");
    return {nullptr, nullptr};
  }
  if (!MayT)
    return {nullptr, &S};
  Z3_ast Not = Z3_mk_not(Z, Cond);
  if (!mayBeTrue(S, Not, MayF)) {
    terminateEarly(S, "solver failure (timeout or unknown)");
    return {nullptr, nullptr};
  }
  if (!MayF)
    return {&S, nullptr};
  ExecutionState *F = clone(S);
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
                              const std::string &Message) {
  ++Stats.PathsErrored;
  const Instruction *Site = S.Stack.empty() ? nullptr : S.top().Cur;
  if (!ErrorSites.insert({Site, Kind.str()}).second) {
    terminate(S);
    return;
  }
  ErrorReport R;
  R.Kind = Kind.str();
  R.Message = Message;
  R.Stack = stackOf(S);
  for (size_t I = 0; I < S.Stack.size(); ++I) {
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
  Result.Errors.push_back(R);
  if (CB.OnError)
    CB.OnError(R);
  terminate(S);
  if (Opts.ExitOnError)
    Stop = true;
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
  if (F->isVarArg()) {
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
  S.top().BB = &F->getEntryBlock();
  S.top().PC = S.top().BB->begin();
  enterBlock(S, S.top().BB);
}

void Executor::returnFrom(ExecutionState &S, SVal R) {
  Frame &F = S.top();
  for (uint64_t A : F.Allocas)
    S.Mem.writable(A).Alive = false;
  if (F.VarArgs)
    S.Mem.writable(F.VarArgs).Alive = false;
  const CallBase *Call = F.Caller;
  S.Stack.pop_back();
  if (S.Stack.empty()) {
    int Code = R.valid() && R.isConcrete() ? (int)R.value().getSExtValue() : 0;
    terminateExit(S, Code);
    return;
  }
  if (Call && !Call->getType()->isVoidTy() && R.valid())
    setResult(S, Call, R);
}

void Executor::step(ExecutionState &S) {
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
  Z3_context Z = Ctx.z3();
  if (Addr.isConcrete()) {
    uint64_t A = Addr.zext();
    if (const MemObject *O = concreteObject(S, A, N, Write))
      Fn(S, *O, SVal::concrete(64, A - O->Base));
    return;
  }
  Z3_ast AE = Addr.sym();
  auto InBounds = [&](const MemObject &O) -> Z3_ast {
    if (N > O.Size)
      return Ctx.boolVal(false);
    Z3_ast Args[2] = {
        Z3_mk_bvuge(Z, AE, Ctx.numeral(APInt(64, O.Base))),
        Z3_mk_bvule(Z, AE, Ctx.numeral(APInt(64, O.Base + O.Size - N)))};
    return Z3_mk_and(Z, 2, Args);
  };
  auto Go = [&](ExecutionState &T, const MemObject &O) {
    if (!checkObject(T, O, N, Write))
      return;
    SVal Off = B.sub(Addr, SVal::concrete(64, O.Base));
    Fn(T, O, Off);
  };

  // The object the pointer was derived from, when its base is visible.
  APInt C;
  const MemObject *Cand = nullptr;
  Z3_app App =
      Z3_get_ast_kind(Z, AE) == Z3_APP_AST ? Z3_to_app(Z, AE) : nullptr;
  if (App && Z3_get_decl_kind(Z, Z3_get_app_decl(Z, App)) == Z3_OP_BADD &&
      Z3_get_app_num_args(Z, App) == 2 &&
      Ctx.numeralValue(Z3_get_app_arg(Z, App, 0), C)) {
    const MemObject *O = S.Mem.nearest(C.getZExtValue());
    if (O && O->containsOrEnds(C.getZExtValue()))
      Cand = O;
  }
  if (Cand) {
    uint64_t Base = Cand->Base;
    Z3_ast In = InBounds(*Cand);
    auto [T, F] = fork(S, In);
    if (F) {
      APInt Bad;
      SVal A = Addr;
      if (getValue(*F, A, Bad)) {
        addConstraint(*F, Z3_mk_eq(Z, AE, Ctx.numeral(Bad)));
        const MemObject *Near = F->Mem.byBase(Base);
        accessError(*F, Bad.getZExtValue(), N, Write, Near);
      } else {
        terminateEarly(*F, "solver failure");
      }
    }
    if (T)
      Go(*T, *T->Mem.byBase(Base));
    return;
  }

  // Otherwise enumerate the objects the address can point into.
  ExecutionState *Cur = &S;
  for (unsigned K = 0; K < MaxPointerTargets; ++K) {
    APInt V;
    if (!getValue(*Cur, Addr, V)) {
      terminateEarly(*Cur, "solver failure");
      return;
    }
    uint64_t A = V.getZExtValue();
    const MemObject *O = Cur->Mem.find(A);
    if (!O || A + N > O->Base + O->Size) {
      addConstraint(*Cur, Z3_mk_eq(Z, AE, Ctx.numeral(V)));
      accessError(*Cur, A, N, Write, O ? O : Cur->Mem.nearest(A));
      return;
    }
    uint64_t Base = O->Base;
    Z3_ast In = InBounds(*O);
    auto [T, F] = fork(*Cur, In);
    if (T)
      Go(*T, *T->Mem.byBase(Base));
    if (!F)
      return;
    Cur = F;
  }
  terminateEarly(*Cur, "symbolic pointer with too many targets");
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
  Z3_context Z = Ctx.z3();
  auto Op = I->getOpcode();
  ExecutionState *T = &S;
  switch (Op) {
  case Instruction::UDiv:
  case Instruction::SDiv:
  case Instruction::URem:
  case Instruction::SRem: {
    SVal Zero = SVal::concrete(R.width(), 0);
    SVal IsZero = B.cmp(CmpKind::Eq, R, Zero);
    if (IsZero.isConcrete()) {
      if (IsZero.value().getBoolValue()) {
        terminateError(S, "division-by-zero", "division by zero");
        return;
      }
    } else {
      auto [Bad, Good] = fork(S, B.boolean(IsZero));
      if (Bad)
        terminateError(*Bad, "division-by-zero", "division by zero");
      if (!Good)
        return;
      T = Good;
    }
    break;
  }
  case Instruction::Shl:
  case Instruction::LShr:
  case Instruction::AShr: {
    if (!Opts.OvershiftIsError)
      break;
    SVal Over = B.cmp(CmpKind::Uge, R, SVal::concrete(R.width(), R.width()));
    if (Over.isConcrete()) {
      if (Over.value().getBoolValue()) {
        terminateError(S, "overshift",
                       "shift by " + std::to_string(R.zext()) + " of a " +
                           std::to_string(R.width()) + "-bit value");
        return;
      }
    } else {
      auto [Bad, Good] = fork(S, B.boolean(Over));
      if (Bad)
        terminateError(*Bad, "overshift",
                       "shift amount can reach the width of a " +
                           std::to_string(R.width()) + "-bit value");
      if (!Good)
        return;
      T = Good;
    }
    break;
  }
  default:
    break;
  }
  (void)Z;
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
    V = B.udiv(L, R);
    break;
  case Instruction::SDiv:
    V = B.sdiv(L, R);
    break;
  case Instruction::URem:
    V = B.urem(L, R);
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

static const fltSemantics &semanticsOf(Type *T) {
  if (T->isFloatTy())
    return APFloat::IEEEsingle();
  if (T->isX86_FP80Ty())
    return APFloat::x87DoubleExtended();
  return APFloat::IEEEdouble();
}

void Executor::executeFloat(ExecutionState &S, const Instruction *I) {
  for (const Use &U : I->operands())
    if (!eval(S, U.get()).isConcrete()) {
      terminateEarly(S, "symbolic floating point");
      return;
    }
  auto FP = [&](const Value *V) {
    return APFloat(semanticsOf(V->getType()), eval(S, V).value());
  };
  APFloat::roundingMode RM = APFloat::rmNearestTiesToEven;
  switch (I->getOpcode()) {
  case Instruction::FAdd:
  case Instruction::FSub:
  case Instruction::FMul:
  case Instruction::FDiv:
  case Instruction::FRem: {
    APFloat L = FP(I->getOperand(0)), R = FP(I->getOperand(1));
    switch (I->getOpcode()) {
    case Instruction::FAdd:
      L.add(R, RM);
      break;
    case Instruction::FSub:
      L.subtract(R, RM);
      break;
    case Instruction::FMul:
      L.multiply(R, RM);
      break;
    case Instruction::FDiv:
      L.divide(R, RM);
      break;
    default:
      L.mod(R);
      break;
    }
    setResult(S, I, SVal::concrete(L.bitcastToAPInt()));
    return;
  }
  case Instruction::FNeg: {
    APFloat L = FP(I->getOperand(0));
    L.changeSign();
    setResult(S, I, SVal::concrete(L.bitcastToAPInt()));
    return;
  }
  case Instruction::FCmp: {
    APFloat L = FP(I->getOperand(0)), R = FP(I->getOperand(1));
    auto C = L.compare(R);
    auto P = cast<FCmpInst>(I)->getPredicate();
    bool Res = false;
    bool Uno = C == APFloat::cmpUnordered;
    switch (P) {
    case FCmpInst::FCMP_FALSE:
      Res = false;
      break;
    case FCmpInst::FCMP_TRUE:
      Res = true;
      break;
    case FCmpInst::FCMP_OEQ:
    case FCmpInst::FCMP_UEQ:
      Res = C == APFloat::cmpEqual || (Uno && P == FCmpInst::FCMP_UEQ);
      break;
    case FCmpInst::FCMP_ONE:
    case FCmpInst::FCMP_UNE:
      Res =
          (C != APFloat::cmpEqual && !Uno) || (Uno && P == FCmpInst::FCMP_UNE);
      break;
    case FCmpInst::FCMP_OLT:
    case FCmpInst::FCMP_ULT:
      Res = C == APFloat::cmpLessThan || (Uno && P == FCmpInst::FCMP_ULT);
      break;
    case FCmpInst::FCMP_OLE:
    case FCmpInst::FCMP_ULE:
      Res = C == APFloat::cmpLessThan || C == APFloat::cmpEqual ||
            (Uno && P == FCmpInst::FCMP_ULE);
      break;
    case FCmpInst::FCMP_OGT:
    case FCmpInst::FCMP_UGT:
      Res = C == APFloat::cmpGreaterThan || (Uno && P == FCmpInst::FCMP_UGT);
      break;
    case FCmpInst::FCMP_OGE:
    case FCmpInst::FCMP_UGE:
      Res = C == APFloat::cmpGreaterThan || C == APFloat::cmpEqual ||
            (Uno && P == FCmpInst::FCMP_UGE);
      break;
    case FCmpInst::FCMP_ORD:
      Res = !Uno;
      break;
    case FCmpInst::FCMP_UNO:
      Res = Uno;
      break;
    default:
      break;
    }
    setResult(S, I, SVal::concrete(1, Res));
    return;
  }
  case Instruction::FPToSI:
  case Instruction::FPToUI: {
    APFloat L = FP(I->getOperand(0));
    APSInt R(bitsOf(I->getType()), I->getOpcode() == Instruction::FPToUI);
    bool Exact;
    L.convertToInteger(R, APFloat::rmTowardZero, &Exact);
    setResult(S, I, SVal::concrete(APInt(R)));
    return;
  }
  case Instruction::SIToFP:
  case Instruction::UIToFP: {
    APFloat R(semanticsOf(I->getType()));
    R.convertFromAPInt(eval(S, I->getOperand(0)).value(),
                       I->getOpcode() == Instruction::SIToFP, RM);
    setResult(S, I, SVal::concrete(R.bitcastToAPInt()));
    return;
  }
  case Instruction::FPExt:
  case Instruction::FPTrunc: {
    APFloat L = FP(I->getOperand(0));
    bool Lost;
    L.convert(semanticsOf(I->getType()), RM, &Lost);
    setResult(S, I, SVal::concrete(L.bitcastToAPInt()));
    return;
  }
  default:
    terminateEarly(S, std::string("unsupported instruction '") +
                          I->getOpcodeName() + "'");
  }
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
  case Instruction::Br: {
    auto *Br = cast<BranchInst>(I);
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
    return;
  }
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
  case Instruction::Alloca: {
    auto *A = cast<AllocaInst>(I);
    uint64_t Size = DL.getTypeAllocSize(A->getAllocatedType());
    SVal N = eval(S, A->getArraySize());
    APInt Count;
    if (!concretize(S, N, Count, "alloca size"))
      return;
    Size *= Count.getZExtValue();
    if (Size > MaxAlloc) {
      terminateEarly(S, "stack allocation too large");
      return;
    }
    uint64_t Base = newObject(S, Size, ObjectKind::Stack, A->getName(), A,
                              A->getAlign().value());
    S.top().Allocas.push_back(Base);
    setResult(S, I, SVal::concrete(64, Base));
    return;
  }
  case Instruction::Load: {
    auto *L = cast<LoadInst>(I);
    Type *T = L->getType();
    uint64_t N = DL.getTypeStoreSize(T);
    unsigned W = bitsOf(T);
    access(S, eval(S, L->getPointerOperand()), N, false,
           [&](ExecutionState &St, const MemObject &O, const SVal &Off) {
             SVal V = Mem.read(O, Off, (unsigned)N);
             setResult(St, I, B.trunc(V, W));
           });
    return;
  }
  case Instruction::Store: {
    auto *St = cast<StoreInst>(I);
    SVal V = eval(S, St->getValueOperand());
    uint64_t N = DL.getTypeStoreSize(St->getValueOperand()->getType());
    SVal Stored = B.zext(V, (unsigned)N * 8);
    access(S, eval(S, St->getPointerOperand()), N, true,
           [&](ExecutionState &T, const MemObject &O, const SVal &Off) {
             Mem.write(T.Mem.writable(O.Base), Off, Stored);
           });
    return;
  }
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
  case Instruction::Fence:
    return;
  default:
    terminateEarly(S, std::string("unsupported instruction '") +
                          I->getOpcodeName() + "'");
    return;
  }
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
      if (F->isIntrinsic())
        callIntrinsic(S, Call, F, Args);
      else
        callExternal(S, Call, F->getName(), Args);
      return;
    }
    callFunction(S, Call, F, std::move(Args));
    return;
  }
  // An indirect call: fork once per function the pointer can name.
  SVal P = eval(S, Callee);
  Z3_context Z = Ctx.z3();
  ExecutionState *Cur = &S;
  for (unsigned K = 0; K < 64; ++K) {
    APInt V;
    if (!getValue(*Cur, P, V)) {
      terminateEarly(*Cur, "solver failure");
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
        if (It->second->isIntrinsic())
          callIntrinsic(*T, Call, It->second, A);
        else
          callExternal(*T, Call, It->second->getName(), A);
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

void Executor::makeSymbolic(ExecutionState &S, uint64_t Addr, uint64_t N,
                            const std::string &Name, bool IsStdin) {
  const MemObject *O = concreteObject(S, Addr, N, true);
  if (!O)
    return;
  SymbolicObject SO;
  SO.Name = Name;
  SO.IsStdin = IsStdin;
  std::string Base = Name;
  for (char &C : Base)
    if (!isalnum((unsigned char)C) && C != '_')
      C = '_';
  Base += "#" + std::to_string(S.Symbolics.size());
  MemObject &W = S.Mem.writable(O->Base);
  for (uint64_t I = 0; I < N; ++I) {
    Z3_ast V = Ctx.variable(Base + "[" + std::to_string(I) + "]", 8);
    SO.Vars.push_back(V);
    Mem.write(W, SVal::concrete(64, Addr - W.Base + I), SVal::symbolic(V, 8));
  }
  S.Symbolics.push_back(std::move(SO));
}

SVal Executor::freshSymbolic(ExecutionState &S, const std::string &Name,
                             unsigned Bytes) {
  SymbolicObject SO;
  SO.Name = Name;
  std::string Base = Name;
  for (char &C : Base)
    if (!isalnum((unsigned char)C) && C != '_')
      C = '_';
  Base += "#" + std::to_string(S.Symbolics.size());
  SVal R;
  for (unsigned I = 0; I < Bytes; ++I) {
    Z3_ast V = Ctx.variable(Base + "[" + std::to_string(I) + "]", 8);
    SO.Vars.push_back(V);
    SVal BV = SVal::symbolic(V, 8);
    R = I ? B.concat(BV, R) : BV;
  }
  S.Symbolics.push_back(std::move(SO));
  return R;
}

uint64_t Executor::malloc(ExecutionState &S, const SVal &Size,
                          const CallBase *Site, bool &Ok) {
  Ok = false;
  APInt N;
  if (!concretize(S, Size, N, "allocation size"))
    return 0;
  Ok = true;
  if (N.getActiveBits() > 63 || N.getZExtValue() > MaxAlloc)
    return 0;
  std::string Name = "heap";
  if (Site) {
    Location L = locationOf(Site);
    if (L.Line)
      Name = "heap object allocated at " + formatLocation(L);
  }
  return newObject(S, N.getZExtValue(), ObjectKind::Heap, Name, Site);
}

void Executor::executeFree(ExecutionState &S, const SVal &PV) {
  APInt P;
  if (!concretize(S, PV, P, "freed pointer"))
    return;
  uint64_t A = P.getZExtValue();
  if (A == 0)
    return;
  const MemObject *O = S.Mem.find(A);
  if (!O || O->Base != A) {
    terminateError(S, "invalid-free",
                   O ? "free of a pointer into the middle of '" + O->Name + "'"
                     : "free of a pointer that malloc did not return");
    return;
  }
  if (O->Kind != ObjectKind::Heap) {
    terminateError(S, "invalid-free",
                   "free of non-heap object '" + O->Name + "'");
    return;
  }
  if (!O->Alive) {
    terminateError(S, "double-free", "double free of '" + O->Name + "'");
    return;
  }
  S.Mem.writable(A).Alive = false;
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

void Executor::callExternal(ExecutionState &S, const CallBase *Call,
                            StringRef Name, std::vector<SVal> &Args) {
  auto Arg = [&](unsigned I) {
    return I < Args.size() ? Args[I] : SVal::concrete(64, 0);
  };
  auto Ret = [&](SVal V) {
    if (Call && !Call->getType()->isVoidTy())
      setResult(S, Call, B.zextOrTrunc(V, bitsOf(Call->getType())));
  };
  auto Concrete = [&](unsigned I, uint64_t &Out, StringRef What) {
    APInt V;
    if (!concretize(S, Arg(I), V, What))
      return false;
    Out = V.getZExtValue();
    return true;
  };
  Z3_context Z = Ctx.z3();

  if (Name == "klee_make_symbolic" || Name == "__dsu_symbolic_stdin") {
    uint64_t Addr, N;
    if (!Concrete(0, Addr, "klee_make_symbolic address") ||
        !Concrete(1, N, "klee_make_symbolic size"))
      return;
    bool Stdin = Name == "__dsu_symbolic_stdin";
    std::string ObjName = Stdin ? "stdin" : readString(S, Arg(2));
    if (ObjName.empty())
      ObjName = "unnamed";
    makeSymbolic(S, Addr, N, ObjName, Stdin);
    return;
  }
  if (Name == "klee_int" || Name == "klee_range") {
    bool Range = Name == "klee_range";
    std::string ObjName = readString(S, Arg(Range ? 2 : 0));
    SVal V = freshSymbolic(S, ObjName.empty() ? "unnamed" : ObjName, 4);
    if (Range) {
      SVal Lo = B.trunc(Arg(0), 32), Hi = B.trunc(Arg(1), 32);
      SVal InRange =
          B.andOp(B.cmp(CmpKind::Sge, V, Lo), B.cmp(CmpKind::Slt, V, Hi));
      bool May = false;
      Z3_ast C = B.boolean(InRange);
      if (!mayBeTrue(S, C, May) || !May) {
        terminateError(S, "invalid-range", "klee_range with an empty range");
        return;
      }
      addConstraint(S, C);
    }
    Ret(V);
    return;
  }
  if (Name == "klee_assume") {
    SVal C = B.cmp(CmpKind::Ne, Arg(0), SVal::concrete(Arg(0).width(), 0));
    if (C.isConcrete()) {
      if (!C.value().getBoolValue())
        terminateSilently(S);
      return;
    }
    bool May = false;
    if (!mayBeTrue(S, B.boolean(C), May)) {
      terminateEarly(S, "solver failure");
      return;
    }
    if (!May) {
      terminateSilently(S);
      return;
    }
    addConstraint(S, B.boolean(C));
    return;
  }
  if (Name == "klee_is_symbolic") {
    Ret(SVal::concrete(32, !Arg(0).isConcrete()));
    return;
  }
  if (Name == "klee_prefer_cex" || Name == "klee_warning" ||
      Name == "klee_warning_once" || Name == "klee_print_expr") {
    return;
  }
  if (Name == "klee_silent_exit") {
    ++Stats.PathsCompleted;
    terminate(S);
    return;
  }
  if (Name == "klee_report_error") {
    std::string Msg = readString(S, Arg(2));
    std::string Suffix = readString(S, Arg(3));
    terminateError(S, Suffix == "assert.err" ? "assertion" : "reported",
                   Msg.empty() ? "error reported" : Msg);
    return;
  }
  if (Name == "__assert_fail" || Name == "__assert_rtn" || Name == "__assert") {
    terminateError(S, "assertion",
                   "assertion failed: " + readString(S, Arg(0)));
    return;
  }
  if (Name == "klee_abort" || Name == "abort") {
    terminateError(S, "abort", "abort() called");
    return;
  }
  if (Name == "__stack_chk_fail") {
    terminateError(S, "stack-smashing", "stack protector tripped");
    return;
  }
  if (Name == "exit" || Name == "_exit" || Name == "_Exit") {
    SVal C = Arg(0);
    terminateExit(S, C.isConcrete() ? (int)C.value().getSExtValue() : 0);
    return;
  }
  if (Name == "malloc" || Name == "calloc" || Name == "valloc") {
    SVal Size = Arg(0);
    if (Name == "calloc") {
      SVal N = B.zextOrTrunc(Arg(0), 64), Sz = B.zextOrTrunc(Arg(1), 64);
      Size = B.mul(N, Sz);
    }
    bool Ok;
    uint64_t P = malloc(S, Size, Call, Ok);
    if (Ok)
      Ret(SVal::concrete(64, P));
    return;
  }
  if (Name == "realloc") {
    APInt Old;
    if (!concretize(S, Arg(0), Old, "realloc pointer"))
      return;
    uint64_t OldA = Old.getZExtValue();
    const MemObject *O = OldA ? S.Mem.find(OldA) : nullptr;
    if (OldA && (!O || O->Base != OldA || O->Kind != ObjectKind::Heap)) {
      terminateError(S, "invalid-free",
                     "realloc of a pointer that malloc did not return");
      return;
    }
    if (O && !O->Alive) {
      terminateError(S, "use-after-free",
                     "realloc of freed memory '" + O->Name + "'");
      return;
    }
    bool Ok;
    uint64_t P = malloc(S, Arg(1), Call, Ok);
    if (!Ok)
      return;
    if (P && O) {
      uint64_t N = std::min(O->Size, S.Mem.byBase(P)->Size);
      if (!copyMemory(S, P, OldA, N))
        return;
      S.Mem.writable(OldA).Alive = false;
    }
    Ret(SVal::concrete(64, P));
    return;
  }
  if (Name == "free") {
    executeFree(S, Arg(0));
    return;
  }
  if (Name == "memcpy" || Name == "memmove" || Name == "memset") {
    SVal D = Arg(0), Src = Arg(1), N = B.zextOrTrunc(Arg(2), 64);
    if (!D.isConcrete() || !N.isConcrete() ||
        (Name != "memset" && !Src.isConcrete())) {
      std::string Loop = ("__dsu_" + Name + "_loop").str();
      const Function *LF = M.getFunction(Loop);
      if (!LF || LF->isDeclaration()) {
        terminateEarly(S, "symbolic " + Name.str() + " without loop model");
        return;
      }
      callFunction(S, Call, LF, Args);
      return;
    }
    if (Name == "memset") {
      uint64_t Len = N.zext(), A = D.zext();
      if (Len) {
        const MemObject *O = concreteObject(S, A, Len, true);
        if (!O)
          return;
        MemObject &W = S.Mem.writable(O->Base);
        SVal V = B.trunc(Src, 8);
        for (uint64_t I = 0; I < Len; ++I)
          Mem.writeByte(W, A - W.Base + I, V);
      }
    } else if (!copyMemory(S, D.zext(), Src.zext(), N.zext())) {
      return;
    }
    Ret(D);
    return;
  }
  if (Name == "__dsu_output") {
    uint64_t Fd, Addr, N;
    if (!Concrete(0, Fd, "output descriptor") ||
        !Concrete(1, Addr, "output buffer") || !Concrete(2, N, "output size"))
      return;
    if (N == 0)
      return;
    const MemObject *O = concreteObject(S, Addr, N, false);
    if (!O)
      return;
    if (Fd == 2)
      return;
    for (uint64_t I = 0; I < N; ++I) {
      SVal V = Mem.readByte(*O, Addr - O->Base + I);
      Byte Bt;
      if (V.isConcrete())
        Bt.Val = (uint8_t)V.zext();
      else
        Bt.E = B.bv(V);
      S.Output.push_back(Bt);
    }
    return;
  }
  if (Name == "__dsu_stdin_size") {
    Ret(SVal::concrete(64, Opts.SymStdin));
    return;
  }
  (void)Z;
  warn(S, "call to unmodelled function '" + Name.str() + "'");
  terminateEarly(S, "unmodelled function '" + Name.str() + "'");
}

void Executor::callIntrinsic(ExecutionState &S, const CallBase *Call,
                             const Function *F, std::vector<SVal> &Args) {
  auto Ret = [&](SVal V) {
    if (!Call->getType()->isVoidTy())
      setResult(S, Call, V);
  };
  switch (F->getIntrinsicID()) {
  case Intrinsic::dbg_declare:
  case Intrinsic::dbg_value:
  case Intrinsic::dbg_label:
  case Intrinsic::dbg_assign:
  case Intrinsic::lifetime_start:
  case Intrinsic::lifetime_end:
  case Intrinsic::assume:
  case Intrinsic::donothing:
  case Intrinsic::experimental_noalias_scope_decl:
  case Intrinsic::var_annotation:
  case Intrinsic::sideeffect:
  case Intrinsic::stackrestore:
  case Intrinsic::vaend:
    return;
  case Intrinsic::invariant_start:
  case Intrinsic::stacksave:
    Ret(SVal::concrete(64, 0));
    return;
  case Intrinsic::expect:
    Ret(Args[0]);
    return;
  case Intrinsic::is_constant:
    Ret(SVal::concrete(1, 0));
    return;
  case Intrinsic::objectsize: {
    bool Min = Args[1].isConcrete() && Args[1].value().getBoolValue();
    Ret(SVal::concrete(bitsOf(Call->getType()), Min ? 0 : ~0ULL));
    return;
  }
  case Intrinsic::memcpy:
  case Intrinsic::memmove:
  case Intrinsic::memset: {
    std::vector<SVal> A = {Args[0], Args[1], Args[2]};
    const char *Name = F->getIntrinsicID() == Intrinsic::memcpy    ? "memcpy"
                       : F->getIntrinsicID() == Intrinsic::memmove ? "memmove"
                                                                   : "memset";
    callExternal(S, Call, Name, A);
    return;
  }
  case Intrinsic::vastart: {
    Frame &Fr = S.top();
    // x86-64 va_list: {i32 gp_offset, i32 fp_offset, ptr overflow, ptr reg}.
    // Offsets 48 and 304 mark the register areas as used up, so va_arg
    // reads every argument from the overflow area.
    SVal Tag = SVal::concrete(APInt(192, 0));
    Tag = B.insert(Tag, 0, SVal::concrete(32, 48));
    Tag = B.insert(Tag, 32, SVal::concrete(32, 304));
    Tag = B.insert(Tag, 64, SVal::concrete(64, Fr.VarArgs));
    access(S, Args[0], 24, true,
           [&](ExecutionState &T, const MemObject &O, const SVal &Off) {
             Mem.write(T.Mem.writable(O.Base), Off, Tag);
           });
    return;
  }
  case Intrinsic::vacopy: {
    SVal Dst = Args[0], Src = Args[1];
    if (!Dst.isConcrete() || !Src.isConcrete()) {
      terminateEarly(S, "symbolic va_list");
      return;
    }
    copyMemory(S, Dst.zext(), Src.zext(), 24);
    return;
  }
  case Intrinsic::umax:
  case Intrinsic::umin:
  case Intrinsic::smax:
  case Intrinsic::smin: {
    CmpKind K = F->getIntrinsicID() == Intrinsic::umax   ? CmpKind::Ugt
                : F->getIntrinsicID() == Intrinsic::umin ? CmpKind::Ult
                : F->getIntrinsicID() == Intrinsic::smax ? CmpKind::Sgt
                                                         : CmpKind::Slt;
    Ret(B.select(B.cmp(K, Args[0], Args[1]), Args[0], Args[1]));
    return;
  }
  case Intrinsic::abs: {
    SVal X = Args[0];
    SVal Neg = B.cmp(CmpKind::Slt, X, SVal::concrete(X.width(), 0));
    Ret(B.select(Neg, B.sub(SVal::concrete(X.width(), 0), X), X));
    return;
  }
  case Intrinsic::sadd_with_overflow:
  case Intrinsic::uadd_with_overflow:
  case Intrinsic::ssub_with_overflow:
  case Intrinsic::usub_with_overflow:
  case Intrinsic::smul_with_overflow:
  case Intrinsic::umul_with_overflow: {
    SVal X = Args[0], Y = Args[1];
    unsigned W = X.width();
    auto ID = F->getIntrinsicID();
    bool Signed = ID == Intrinsic::sadd_with_overflow ||
                  ID == Intrinsic::ssub_with_overflow ||
                  ID == Intrinsic::smul_with_overflow;
    auto Ext = [&](const SVal &V) {
      return Signed ? B.sext(V, 2 * W) : B.zext(V, 2 * W);
    };
    SVal Wide;
    if (ID == Intrinsic::sadd_with_overflow ||
        ID == Intrinsic::uadd_with_overflow)
      Wide = B.add(Ext(X), Ext(Y));
    else if (ID == Intrinsic::ssub_with_overflow ||
             ID == Intrinsic::usub_with_overflow)
      Wide = B.sub(Ext(X), Ext(Y));
    else
      Wide = B.mul(Ext(X), Ext(Y));
    SVal Res = B.trunc(Wide, W);
    SVal Ovf = B.cmp(CmpKind::Ne, Ext(Res), Wide);
    Type *Leaf;
    uint64_t Off = aggregateOffset(Call->getType(), {1}, Leaf);
    SVal Agg = SVal::concrete(APInt(bitsOf(Call->getType()), 0));
    Agg = B.insert(Agg, 0, Res);
    Agg = B.insert(Agg, (unsigned)Off * 8, Ovf);
    Ret(Agg);
    return;
  }
  case Intrinsic::uadd_sat:
  case Intrinsic::usub_sat:
  case Intrinsic::sadd_sat:
  case Intrinsic::ssub_sat: {
    SVal X = Args[0], Y = Args[1];
    unsigned W = X.width();
    auto ID = F->getIntrinsicID();
    bool Signed = ID == Intrinsic::sadd_sat || ID == Intrinsic::ssub_sat;
    bool Add = ID == Intrinsic::uadd_sat || ID == Intrinsic::sadd_sat;
    SVal WX = Signed ? B.sext(X, W + 1) : B.zext(X, W + 1);
    SVal WY = Signed ? B.sext(Y, W + 1) : B.zext(Y, W + 1);
    SVal Wide = Add ? B.add(WX, WY) : B.sub(WX, WY);
    APInt Max = Signed ? APInt::getSignedMaxValue(W) : APInt::getMaxValue(W);
    APInt Min = Signed ? APInt::getSignedMinValue(W) : APInt::getMinValue(W);
    SVal WMax = SVal::concrete(Signed ? Max.sext(W + 1) : Max.zext(W + 1));
    SVal WMin = SVal::concrete(Signed ? Min.sext(W + 1) : Min.zext(W + 1));
    CmpKind Gt = Signed ? CmpKind::Sgt : CmpKind::Ugt;
    CmpKind Lt = Signed ? CmpKind::Slt : CmpKind::Ult;
    SVal R = B.select(
        B.cmp(Gt, Wide, WMax), SVal::concrete(Max),
        B.select(B.cmp(Lt, Wide, WMin), SVal::concrete(Min), B.trunc(Wide, W)));
    Ret(R);
    return;
  }
  case Intrinsic::bswap: {
    SVal X = Args[0];
    SVal R;
    for (unsigned I = 0; I < X.width() / 8; ++I) {
      SVal Bt = B.extract(X, I * 8, 8);
      R = I ? B.concat(R, Bt) : Bt;
    }
    Ret(R);
    return;
  }
  case Intrinsic::ctpop:
  case Intrinsic::ctlz:
  case Intrinsic::cttz: {
    SVal X = Args[0];
    if (!X.isConcrete()) {
      terminateEarly(S, "symbolic bit-count intrinsic");
      return;
    }
    unsigned W = X.width();
    unsigned R = F->getIntrinsicID() == Intrinsic::ctpop ? X.value().popcount()
                 : F->getIntrinsicID() == Intrinsic::ctlz
                     ? X.value().countl_zero()
                     : X.value().countr_zero();
    Ret(SVal::concrete(W, R));
    return;
  }
  case Intrinsic::fabs: {
    SVal X = Args[0];
    if (!X.isConcrete()) {
      terminateEarly(S, "symbolic floating point");
      return;
    }
    APInt V = X.value();
    V.clearBit(V.getBitWidth() - 1);
    Ret(SVal::concrete(V));
    return;
  }
  case Intrinsic::trap:
  case Intrinsic::ubsantrap:
    terminateError(S, "trap", "trap instruction reached");
    return;
  default:
    warn(S, "unsupported intrinsic '" + F->getName().str() + "'");
    terminateEarly(S, "unsupported intrinsic '" + F->getName().str() + "'");
    return;
  }
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
  errs() << format("symex: %.1fs, %llu paths, %zu states, %llu instructions, "
                   "%llu queries\n",
                   T,
                   (unsigned long long)(Stats.PathsCompleted +
                                        Stats.PathsErrored + Stats.PathsEarly),
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

  Stats.StatesLeft = Live.size();
  Stats.Queries = SStats.Queries;
  Stats.CacheHits = SStats.CacheHits;
  Stats.Z3Queries = SStats.Z3Queries;
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
    return std::move(Result);
  }
  std::vector<std::string> Reasons;
  if (!StopReason.empty() && !Live.empty())
    Reasons.push_back(StopReason);
  for (auto &[R, N] : EarlyReasons)
    if (N)
      Reasons.push_back(R +
                        (N > 1 ? " on " + std::to_string(N) + " paths" : ""));
  for (auto &[What, N] : Concretizations)
    Reasons.push_back("symbolic " + What + " concretized" +
                      (N > 1 ? " " + std::to_string(N) + " times" : ""));
  if (Reasons.empty()) {
    Result.V = Verdict::Holds;
  } else {
    Result.V = Verdict::Unknown;
    std::string R;
    for (size_t I = 0; I < Reasons.size(); ++I)
      R += (I ? "; " : "") + Reasons[I];
    Result.Reason = R;
  }
  return std::move(Result);
}

} // namespace

Expected<RunResult> dsu::symex::runSymex(Module &M, const Options &O,
                                         const Callbacks &CB) {
  Executor E(M, O, CB);
  return E.run();
}
