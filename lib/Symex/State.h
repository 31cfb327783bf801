//===- State.h - One path of the exploration --------------------*- C++ -*-===//
//
// An execution state is everything one path owns: its call stack (with the
// values of the instructions each frame has executed), its memory, its path
// condition, the symbolic objects it created and the output it produced.
// Forking copies the state; memory objects are shared copy-on-write.
//
//===----------------------------------------------------------------------===//

#ifndef DSU_SYMEX_STATE_H
#define DSU_SYMEX_STATE_H

#include "Memory.h"
#include "dsu/Symex/Symex.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/IR/BasicBlock.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/InstrTypes.h"
#include <memory>
#include <vector>

namespace dsu::symex {

struct Frame {
  const llvm::Function *F = nullptr;
  const llvm::BasicBlock *BB = nullptr;
  llvm::BasicBlock::const_iterator PC;
  const llvm::Instruction *Cur = nullptr; ///< Executing (or calling) now.
  const llvm::CallBase *Caller = nullptr; ///< In the frame below.
  llvm::DenseMap<const llvm::Value *, SVal> Locals;
  std::vector<uint64_t> Allocas;
  uint64_t VarArgs = 0;
  llvm::DenseMap<const llvm::BasicBlock *, uint64_t> Visits;
};

struct SymbolicObject {
  std::string Name;
  std::vector<Z3_ast> Vars; ///< One 8-bit variable per byte.
  bool IsStdin = false;
};

struct ExecutionState {
  uint64_t Id = 0;
  std::vector<Frame> Stack;
  AddressSpace Mem;
  std::vector<Z3_ast> Constraints;
  std::vector<SymbolicObject> Symbolics;
  std::vector<Byte> Output;
  /// The last value --symbolic-time handed out (the clock never goes back).
  Z3_ast LastTime = nullptr;
  uint64_t Instructions = 0;
  uint64_t SinceCovNew = 0;
  unsigned Depth = 0;
  bool Terminated = false;
  /// Set by __dsu_symex_excuse_errors(1): an error ends the path without a
  /// verdict (counted in Statistics::PathsExcused). dsu verify sets it while
  /// the old version runs alone, whose failures are not the update's.
  bool ErrorsExcused = false;
  /// Set by __dsu_symex_excuse_errors(2): an error in a fiber but 0 ends
  /// that fiber alone (FiberFailed), and is kept in PendingExcuse for
  /// __dsu_symex_excused_exit. EndFiber: the fiber ends before the next
  /// instruction (the error's caller still returns through its frames).
  bool FiberEndsOnError = false;
  bool EndFiber = false;
  std::shared_ptr<const ErrorReport> PendingExcuse;
  const llvm::Instruction *PendingExcuseSite = nullptr;
  /// Fibers (__dsu_symex_fiber_new and _switch): call stacks of their own
  /// that take turns on this path, in one memory; Stack is the running
  /// one's. Fiber 0 is the path's main; Suspended[I] holds fiber I's frames
  /// while another runs, and a fiber whose last frame returns is done and
  /// hands the path back to fiber 0. dsu verify runs the versions of a
  /// program request by request this way, so that what they do before a
  /// request forks is explored once.
  std::vector<std::vector<Frame>> Suspended;
  std::vector<bool> FiberDone;
  std::vector<bool> FiberFailed;
  unsigned Fiber = 0;
  ExecutionState *ForkedFrom = nullptr;

  Frame &top() { return Stack.back(); }
};

} // namespace dsu::symex

#endif
