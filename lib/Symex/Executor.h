//===- Executor.h - The symbolic interpreter of LLVM IR ---------*- C++ -*-===//
//
// The executor's class, private to lib/Symex. How it works is told at the
// top of Executor.cpp; its members are defined in four files:
//
//   Executor.cpp       setup, values, forking, termination and reports,
//                      control flow, memory access, instructions, the loop
//   ExternalCalls.cpp  calls to functions without a body: the name ->
//                      handler table (klee_*, malloc family, mem*, exit,
//                      the libc model's __dsu_* hooks)
//   Intrinsics.cpp     calls to LLVM intrinsics
//   Float.cpp          floating-point instructions (concrete values only)
//
//===----------------------------------------------------------------------===//

#ifndef DSU_SYMEX_EXECUTOR_H
#define DSU_SYMEX_EXECUTOR_H

#include "Expr.h"
#include "Memory.h"
#include "Searcher.h"
#include "Solver.h"
#include "State.h"
#include "dsu/Symex/Symex.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DataLayout.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/Module.h"
#include <chrono>
#include <functional>
#include <map>
#include <set>

namespace dsu::symex {

/// Addresses below this are null pointers.
constexpr uint64_t NullLimit = 4096;
/// The first object's base address.
constexpr uint64_t FirstObject = 0x10000000;
/// Unused bytes between two objects.
constexpr uint64_t RedZone = 64;
/// Functions have addresses from here on, 16 bytes apart.
constexpr uint64_t FunctionBase = 0x7f0000000000ULL;
/// Larger allocations fail (malloc returns null, alloca stops the path).
constexpr uint64_t MaxAlloc = 1ULL << 28;
/// A symbolic pointer may point into at most this many objects.
constexpr unsigned MaxPointerTargets = 8;
/// A symbolic offset into an object larger than MemoryOps::ArrayLimit with
/// at most this many possible values is forked over instead of read through
/// a term over every position.
constexpr unsigned MaxSmallReadOffsets = 16;
/// The stack of the thread the exploration (and Z3) runs on.
constexpr unsigned ExecutorStackBytes = 256u << 20;
/// A function pointer may name at most this many functions.
constexpr unsigned MaxCallTargets = 64;

class Executor {
public:
  Executor(llvm::Module &M, const Options &O, const Callbacks &CB);
  ~Executor();

  llvm::Expected<RunResult> run();

private:
  // Setup.
  llvm::Error initialize(ExecutionState &S);
  /// Finds the libc model's functions and numbers the program's source lines
  /// for coverage.
  void indexFunctionsAndLines();
  /// Gives every function an address and every global an object.
  void layOutGlobals(ExecutionState &S);
  /// Builds argc, argv and envp and enters main.
  llvm::Error enterMain(ExecutionState &S);
  bool isRuntime(const llvm::Function *F) const { return RuntimeFns.count(F); }
  /// Reads the trampolines and aliases of the module-level assembly that
  /// dsu-cc writes (see "Trampolines" in Executor.cpp).
  void indexTrampolines();
  /// The slot through which a call to the function named \p Name jumps
  /// (following `.set` aliases), or null if \p Name is no trampoline.
  const llvm::GlobalVariable *trampolineSlot(llvm::StringRef Name) const;
  /// The value of the pointer variable \p Slot on \p S.
  SVal readSlot(ExecutionState &S, const llvm::GlobalVariable *Slot);

  // Values.
  unsigned bitsOf(llvm::Type *T) const;
  SVal eval(ExecutionState &S, const llvm::Value *V);
  SVal evalConstant(const llvm::Constant *C);
  /// Constant expressions: address arithmetic and casts on globals.
  SVal evalConstantExpr(const llvm::ConstantExpr *CE);
  void constantBytes(const llvm::Constant *C, uint64_t Off,
                     std::vector<uint8_t> &Out);
  uint64_t allocate(uint64_t Size, uint64_t Align);
  uint64_t newObject(ExecutionState &S, uint64_t Size, ObjectKind K,
                     llvm::StringRef Name, const llvm::Value *Site,
                     uint64_t Align = 16);

  // Solver.
  bool mayBeTrue(ExecutionState &S, Z3_ast Cond, bool &Result);
  bool getValue(ExecutionState &S, const SVal &V, llvm::APInt &Result);
  void addConstraint(ExecutionState &S, Z3_ast Cond);
  /// The reason of the last failed query, for terminateEarly.
  std::string solverFailure() const {
    return LastSolverFailure.empty() ? "solver failure" : LastSolverFailure;
  }
  /// What the engine does with each concrete value of a symbolic one.
  using ValueFn = std::function<void(ExecutionState &, const llvm::APInt &)>;
  /// Runs \p Fn once per value \p V can take on \p S, each time on a state
  /// constrained to that value (see the essay in Executor.cpp).
  void forEachValue(ExecutionState &S, const SVal &V, llvm::StringRef What,
                    const ValueFn &Fn);
  /// Collects the values \p V can take on \p S when there are at most
  /// \p Limit of them; false when there are more (or the solver failed).
  bool fewValues(ExecutionState &S, const SVal &V, unsigned Limit,
                 std::vector<llvm::APInt> &Values);
  /// Runs \p Fn once per value of \p Values (all the values \p V can take),
  /// each time on a state constrained to it.
  void forkOverValues(ExecutionState &S, const SVal &V,
                      const std::vector<llvm::APInt> &Values,
                      const ValueFn &Fn);
  /// file:line of the innermost frame in the program's own code.
  std::string userLocation(ExecutionState &S);
  /// Splits \p S on \p Cond: returns the states where it holds / fails.
  std::pair<ExecutionState *, ExecutionState *> fork(ExecutionState &S,
                                                     Z3_ast Cond);
  ExecutionState *clone(ExecutionState &S);

  // Termination.
  void terminate(ExecutionState &S);
  void terminateExit(ExecutionState &S, int Code);
  void terminateEarly(ExecutionState &S, const std::string &Reason);
  /// Reports an error once per (site, kind): the site is the current
  /// instruction, or the innermost frame's call at depth \p Depth below
  /// the top (an error found by a runtime function on behalf of its
  /// caller).
  void terminateError(ExecutionState &S, llvm::StringRef Kind,
                      const std::string &Message, unsigned Depth = 0);
  /// The report (and test case) of an error at the current instruction.
  ErrorReport errorReport(ExecutionState &S, llvm::StringRef Kind,
                          const std::string &Message, unsigned Depth);
  /// Ends \p S as excused with the failure its fiber kept.
  void excusedExit(ExecutionState &S);
  void terminateSilently(ExecutionState &S) {
    ++Stats.PathsInfeasible;
    terminate(S);
  }
  bool makeTestCase(ExecutionState &S, TestCase &T);
  std::vector<Location> stackOf(ExecutionState &S);
  Location locationOf(const llvm::Instruction *I);
  void warn(ExecutionState &S, const std::string &Msg);

  // Execution.
  void step(ExecutionState &S);
  void execute(ExecutionState &S, const llvm::Instruction *I);
  void transfer(ExecutionState &S, const llvm::BasicBlock *To);
  void enterBlock(ExecutionState &S, const llvm::BasicBlock *BB);
  void callFunction(ExecutionState &S, const llvm::CallBase *CB,
                    const llvm::Function *F, std::vector<SVal> Args);
  /// Lays out a variadic call's extra arguments for va_arg.
  void placeVarArgs(ExecutionState &S, const llvm::CallBase *Call,
                    const llvm::Function *F, const std::vector<SVal> &Args);
  void returnFrom(ExecutionState &S, SVal Result);
  void setResult(ExecutionState &S, const llvm::Instruction *I, SVal V) {
    S.top().Locals[I] = std::move(V);
  }
  // One member per instruction that forks, checks or touches memory.
  void executeBranch(ExecutionState &S, const llvm::BranchInst *I);
  void executeSwitch(ExecutionState &S, const llvm::SwitchInst *I);
  void executeBinary(ExecutionState &S, const llvm::BinaryOperator *I);
  /// The error checks of a division or shift: reports the failing outcome
  /// and returns the state that continues (null when none does).
  ExecutionState *checkDivisor(ExecutionState &S, const SVal &R);
  // Division.cpp: unsigned division and remainder without wide divider
  // circuits where the path allows.
  SVal divideByConstant(ExecutionState &S, bool WantRemainder, const SVal &L,
                        const SVal &R);
  bool divideLinear(ExecutionState &S, const SVal &L, const llvm::APInt &D,
                    SVal &Quotient, SVal &Remainder);
  /// \p L, or its low half zero-extended when the path proves the high half
  /// zero and \p R is a constant divisor.
  SVal narrowDividend(ExecutionState &S, const SVal &L, const SVal &R);
  ExecutionState *checkShift(ExecutionState &S, const SVal &R);
  void executeFloat(ExecutionState &S, const llvm::Instruction *I);
  void executeGEP(ExecutionState &S, const llvm::GetElementPtrInst *I);
  void executeAlloca(ExecutionState &S, const llvm::AllocaInst *I);
  void executeLoad(ExecutionState &S, const llvm::LoadInst *I);
  void executeStore(ExecutionState &S, const llvm::StoreInst *I);
  uint64_t aggregateOffset(llvm::Type *T, llvm::ArrayRef<unsigned> Idx,
                           llvm::Type *&Leaf);

  // Calls.
  void executeCall(ExecutionState &S, const llvm::CallBase *CB);
  /// A call through a pointer: one fork per function it can name.
  void executeIndirectCall(ExecutionState &S, const llvm::CallBase *Call,
                           const SVal &P, const std::vector<SVal> &Args);
  /// A call to a function without a body: an intrinsic or an external.
  void callDeclaration(ExecutionState &S, const llvm::CallBase *Call,
                       const llvm::Function *F, std::vector<SVal> &Args);
  void callIntrinsic(ExecutionState &S, const llvm::CallBase *CB,
                     const llvm::Function *F, std::vector<SVal> &Args);
  /// va_start: points the va_list at the frame's variadic argument area.
  void vaStart(ExecutionState &S, const SVal &List);
  /// The {result, overflow bit} of an *.with.overflow intrinsic.
  SVal withOverflow(llvm::Intrinsic::ID ID, const SVal &X, const SVal &Y,
                    llvm::Type *ResultTy);
  /// The result of an *.sat intrinsic, clamped to the type's range.
  SVal saturating(llvm::Intrinsic::ID ID, const SVal &X, const SVal &Y);

  // External functions (ExternalCalls.cpp). Each handler serves one or more
  // names of the table; \p Name is the one called.
  void callExternal(ExecutionState &S, const llvm::CallBase *CB,
                    llvm::StringRef Name, std::vector<SVal> &Args);
  using ExternalHandler = void (Executor::*)(ExecutionState &S,
                                             const llvm::CallBase *Call,
                                             llvm::StringRef Name,
                                             std::vector<SVal> &Args);
  /// The name -> handler table, built once.
  static const llvm::StringMap<ExternalHandler> &externalHandlers();
  void handleMakeSymbolic(ExecutionState &S, const llvm::CallBase *Call,
                          llvm::StringRef Name, std::vector<SVal> &Args);
  void handleFreshInt(ExecutionState &S, const llvm::CallBase *Call,
                      llvm::StringRef Name, std::vector<SVal> &Args);
  void handleAssume(ExecutionState &S, const llvm::CallBase *Call,
                    llvm::StringRef Name, std::vector<SVal> &Args);
  void handleIsSymbolic(ExecutionState &S, const llvm::CallBase *Call,
                        llvm::StringRef Name, std::vector<SVal> &Args);
  void handleBytesDiffer(ExecutionState &S, const llvm::CallBase *Call,
                         llvm::StringRef Name, std::vector<SVal> &Args);
  void handleIgnore(ExecutionState &S, const llvm::CallBase *Call,
                    llvm::StringRef Name, std::vector<SVal> &Args);
  void handleNote(ExecutionState &S, const llvm::CallBase *Call,
                  llvm::StringRef Name, std::vector<SVal> &Args);
  void handleExcuseErrors(ExecutionState &S, const llvm::CallBase *Call,
                          llvm::StringRef Name, std::vector<SVal> &Args);
  void handleFiberNew(ExecutionState &S, const llvm::CallBase *Call,
                      llvm::StringRef Name, std::vector<SVal> &Args);
  void handleFiberSwitch(ExecutionState &S, const llvm::CallBase *Call,
                         llvm::StringRef Name, std::vector<SVal> &Args);
  void handleFiberFailed(ExecutionState &S, const llvm::CallBase *Call,
                         llvm::StringRef Name, std::vector<SVal> &Args);
  void handleExcusedExit(ExecutionState &S, const llvm::CallBase *Call,
                         llvm::StringRef Name, std::vector<SVal> &Args);
  void handleSilentExit(ExecutionState &S, const llvm::CallBase *Call,
                        llvm::StringRef Name, std::vector<SVal> &Args);
  void handleReportError(ExecutionState &S, const llvm::CallBase *Call,
                         llvm::StringRef Name, std::vector<SVal> &Args);
  void handleAssertFail(ExecutionState &S, const llvm::CallBase *Call,
                        llvm::StringRef Name, std::vector<SVal> &Args);
  void handleAbort(ExecutionState &S, const llvm::CallBase *Call,
                   llvm::StringRef Name, std::vector<SVal> &Args);
  void handleStackCheckFail(ExecutionState &S, const llvm::CallBase *Call,
                            llvm::StringRef Name, std::vector<SVal> &Args);
  void handleExit(ExecutionState &S, const llvm::CallBase *Call,
                  llvm::StringRef Name, std::vector<SVal> &Args);
  void handleMalloc(ExecutionState &S, const llvm::CallBase *Call,
                    llvm::StringRef Name, std::vector<SVal> &Args);
  void handleRealloc(ExecutionState &S, const llvm::CallBase *Call,
                     llvm::StringRef Name, std::vector<SVal> &Args);
  void handleFree(ExecutionState &S, const llvm::CallBase *Call,
                  llvm::StringRef Name, std::vector<SVal> &Args);
  void handleMemory(ExecutionState &S, const llvm::CallBase *Call,
                    llvm::StringRef Name, std::vector<SVal> &Args);
  void handleOutput(ExecutionState &S, const llvm::CallBase *Call,
                    llvm::StringRef Name, std::vector<SVal> &Args);
  void handleStdinSize(ExecutionState &S, const llvm::CallBase *Call,
                       llvm::StringRef Name, std::vector<SVal> &Args);
  /// The hooks of a merged program's runtime (lib/Merge/runtime).
  void handleMergeChoice(ExecutionState &S, const llvm::CallBase *Call,
                         llvm::StringRef Name, std::vector<SVal> &Args);
  void handleMergeSkipNull(ExecutionState &S, const llvm::CallBase *Call,
                           llvm::StringRef Name, std::vector<SVal> &Args);
  void handleMergeViolation(ExecutionState &S, const llvm::CallBase *Call,
                            llvm::StringRef Name, std::vector<SVal> &Args);
  void handleMergeUnmodelled(ExecutionState &S, const llvm::CallBase *Call,
                             llvm::StringRef Name, std::vector<SVal> &Args);
  void handleUnmodelled(ExecutionState &S, const llvm::CallBase *Call,
                        llvm::StringRef Name, std::vector<SVal> &Args);
  void handleTime(ExecutionState &S, const llvm::CallBase *Call,
                  llvm::StringRef Name, std::vector<SVal> &Args);
  /// The handlers' view of a call: argument \p I (0 when missing), the
  /// result (converted to the call's type), an argument fixed to one value.
  static SVal externalArg(const std::vector<SVal> &Args, unsigned I);
  void externalReturn(ExecutionState &S, const llvm::CallBase *Call, SVal V);
  void concreteArg(ExecutionState &S, const std::vector<SVal> &Args, unsigned I,
                   llvm::StringRef What,
                   const std::function<void(ExecutionState &, uint64_t)> &Fn);

  // Memory.
  using AccessFn =
      std::function<void(ExecutionState &, const MemObject &, const SVal &)>;
  void access(ExecutionState &S, const SVal &Addr, uint64_t N, bool Write,
              const AccessFn &Fn);
  /// The object a symbolic address was derived from, when its base is
  /// visible as "numeral + term".
  const MemObject *derivedObject(ExecutionState &S, Z3_ast Addr);
  /// The access of \p N bytes at \p Addr lies inside \p O.
  Z3_ast inBounds(Z3_ast Addr, const MemObject &O, uint64_t N);
  void accessDerived(ExecutionState &S, const SVal &Addr, uint64_t N,
                     bool Write, const MemObject &Cand, const AccessFn &Fn);
  void accessEnumerated(ExecutionState &S, const SVal &Addr, uint64_t N,
                        bool Write, const AccessFn &Fn);
  /// Runs \p Fn on \p O with the offset of \p Addr, after the liveness checks.
  void accessObject(ExecutionState &S, const SVal &Addr, uint64_t N, bool Write,
                    const MemObject &O, const AccessFn &Fn);
  void accessError(ExecutionState &S, uint64_t Addr, uint64_t N, bool Write,
                   const MemObject *Near);
  bool checkObject(ExecutionState &S, const MemObject &O, uint64_t N,
                   bool Write);
  const MemObject *concreteObject(ExecutionState &S, uint64_t Addr, uint64_t N,
                                  bool Write);
  // Strided tables and families of objects (Tables.cpp).
  /// Reads \p N bytes at the symbolic offset \p Off of the large flat
  /// object \p O when every value \p Off can take lands in one run of
  /// entries that count up by a constant (first + index * delta); registers
  /// the family of objects a run of pointers names. False when no run
  /// covers the offset (nothing changed on \p S).
  bool readStridedRun(ExecutionState &S, const MemObject &O, const SVal &Off,
                      unsigned N, SVal &Result);
  void registerFamily(ExecutionState &S, uint64_t FirstTarget, uint64_t Stride,
                      uint64_t Count);
  /// Field \p Offset of member \p Index of family \p Family.
  struct FamilyAccess {
    size_t Family = 0;
    uint64_t Offset = 0;
    Z3_ast Index = nullptr;
  };
  /// Member: \p Addr points into a field of a family member on every path
  /// of \p S (filled in \p A). Unsure: it points into a family that cannot
  /// be followed, and \p S has ended as unknown. None: not a family pointer.
  enum class FamilyMatch { None, Member, Unsure };
  FamilyMatch matchFamily(ExecutionState &S, const SVal &Addr, uint64_t N,
                          FamilyAccess &A);
  /// The term over the placeholder index giving field (\p Off, \p N) of
  /// every member.
  Z3_ast familyField(ExecutionState &S, ObjectFamily &F, uint64_t Off,
                     unsigned N);
  SVal familyLoad(ExecutionState &S, const FamilyAccess &A, unsigned N);
  void familyStore(ExecutionState &S, const FamilyAccess &A, const SVal &V);
  Z3_ast familyIndexPlaceholder();
  Z3_ast FamilyX = nullptr;

  std::string readString(ExecutionState &S, const SVal &Addr);
  void makeSymbolic(ExecutionState &S, uint64_t Addr, uint64_t N,
                    const std::string &Name, bool IsStdin);
  SVal freshSymbolic(ExecutionState &S, const std::string &Name,
                     unsigned Bytes);
  void executeFree(ExecutionState &S, const SVal &P);
  void freeAt(ExecutionState &S, uint64_t Addr);
  bool copyMemory(ExecutionState &S, uint64_t Dst, uint64_t Src, uint64_t N);
  /// Allocates \p Size bytes (forking over symbolic sizes) and runs \p Fn
  /// with the block's address (0 when too large).
  void malloc(ExecutionState &S, const SVal &Size, const llvm::CallBase *Site,
              const std::function<void(ExecutionState &, uint64_t)> &Fn);

  // The main loop.
  void progress(bool Final);
  /// Fills Result's statistics and verdict once exploration ended.
  void finish();
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         Start)
        .count();
  }

  llvm::Module &M;
  const llvm::DataLayout &DL;
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
  llvm::DenseMap<const llvm::GlobalVariable *, uint64_t> GlobalAddrs;
  llvm::DenseMap<const llvm::Function *, uint64_t> FuncAddrs;
  std::map<uint64_t, const llvm::Function *> FuncByAddr;
  llvm::DenseMap<const llvm::Constant *, SVal> ConstCache;
  llvm::DenseSet<const llvm::Function *> RuntimeFns;
  /// From the module-level assembly: trampoline -> its slot, and the
  /// `.set NAME, TARGET` aliases.
  llvm::StringMap<const llvm::GlobalVariable *> Trampolines;
  llvm::StringMap<std::string> AsmAliases;

  std::set<ExecutionState *> Live;
  std::vector<ExecutionState *> Added, Removed;

  // Coverage.
  llvm::DenseMap<const llvm::BasicBlock *, std::vector<unsigned>> BlockLines;
  std::vector<std::pair<std::string, unsigned>> LineKeys;
  llvm::DenseSet<const llvm::BasicBlock *> CoveredBlocks;
  std::vector<bool> LineCovered;
  uint64_t LinesCovered = 0;

  Statistics Stats;
  RunResult Result;
  std::map<std::string, uint64_t> EarlyReasons;
  std::map<std::string, uint64_t> Concretizations;
  std::set<std::string> Warned;
  std::set<std::pair<const llvm::Instruction *, std::string>> ErrorSites;
  /// The same for errors of paths that had excused them.
  std::set<std::pair<const llvm::Instruction *, std::string>> ExcusedSites;
  std::string LastSolverFailure;
  bool Stop = false;
  std::string StopReason;
  std::chrono::steady_clock::time_point Start;
  double LastProgress = 0;
  /// DSU_DEBUG_PROFILE=N: how often each instruction ran, the top N
  /// functions printed at the end (0: not counted).
  const unsigned ProfileFunctions = [] {
    const char *E = getenv("DSU_DEBUG_PROFILE");
    return E ? unsigned(atoi(E)) : 0u;
  }();
  llvm::DenseMap<const llvm::Instruction *, uint64_t> InstructionsIn;
};

} // namespace dsu::symex

#endif
