//===- ExternalCalls.cpp - Calls to functions without a body --------------===//
//
// A call to a declared function that is not an LLVM intrinsic goes through
// one table from name to handler, as KLEE's SpecialFunctionHandler does:
// the KLEE intrinsics (inputs, assumptions, reported errors), the functions
// that end a path (exit, abort, __assert_fail, __stack_chk_fail), the malloc
// family and free, memcpy/memmove/memset on concrete sizes, and the hooks
// through which the libc model (libc-model/libc.c) writes output and learns
// the size of the symbolic standard input, and the hooks of a merged
// program's runtime (lib/Merge/runtime/merge_runtime.c): the update's
// timing as a symbolic choice, its safety check as an error, what its model
// leaves out as a path not explored; and __dsu_symex_unmodelled, through
// which a model of the environment written in C (dsu verify's sockets)
// stops a path it does not cover. Everything else in the C library
// is the libc model's C code, executed like the program's; a function in
// neither place stops the path as unmodelled.
//
//===----------------------------------------------------------------------===//

#include "Executor.h"

using namespace dsu::symex;
using namespace llvm;

//===----------------------------------------------------------------------===//
// The table
//===----------------------------------------------------------------------===//

const StringMap<Executor::ExternalHandler> &Executor::externalHandlers() {
  static const struct {
    const char *Name;
    ExternalHandler Handler;
  } Table[] = {
      // Inputs and assumptions.
      {"klee_make_symbolic", &Executor::handleMakeSymbolic},
      {"__dsu_symbolic_stdin", &Executor::handleMakeSymbolic},
      {"klee_int", &Executor::handleFreshInt},
      {"klee_range", &Executor::handleFreshInt},
      {"klee_assume", &Executor::handleAssume},
      {"klee_is_symbolic", &Executor::handleIsSymbolic},
      {"klee_prefer_cex", &Executor::handleIgnore},
      {"klee_warning", &Executor::handleIgnore},
      {"klee_warning_once", &Executor::handleIgnore},
      {"klee_print_expr", &Executor::handleIgnore},
      {"__dsu_symex_note", &Executor::handleNote},
      {"__dsu_symex_bytes_differ", &Executor::handleBytesDiffer},
      {"__dsu_symex_excuse_errors", &Executor::handleExcuseErrors},
      {"__dsu_symex_fiber_new", &Executor::handleFiberNew},
      {"__dsu_symex_fiber_switch", &Executor::handleFiberSwitch},
      {"__dsu_symex_fiber_failed", &Executor::handleFiberFailed},
      {"__dsu_symex_excused_exit", &Executor::handleExcusedExit},
      // The end of a path.
      {"klee_silent_exit", &Executor::handleSilentExit},
      {"klee_report_error", &Executor::handleReportError},
      {"__assert_fail", &Executor::handleAssertFail},
      {"__assert_rtn", &Executor::handleAssertFail},
      {"__assert", &Executor::handleAssertFail},
      {"klee_abort", &Executor::handleAbort},
      {"abort", &Executor::handleAbort},
      {"__stack_chk_fail", &Executor::handleStackCheckFail},
      {"exit", &Executor::handleExit},
      {"_exit", &Executor::handleExit},
      {"_Exit", &Executor::handleExit},
      // The heap.
      {"malloc", &Executor::handleMalloc},
      {"calloc", &Executor::handleMalloc},
      {"valloc", &Executor::handleMalloc},
      {"realloc", &Executor::handleRealloc},
      {"free", &Executor::handleFree},
      // Memory blocks (symbolic sizes go to the libc model's loops).
      {"memcpy", &Executor::handleMemory},
      {"memmove", &Executor::handleMemory},
      {"memset", &Executor::handleMemory},
      // The libc model's hooks.
      {"__dsu_output", &Executor::handleOutput},
      {"__dsu_stdin_size", &Executor::handleStdinSize},
      {"__dsu_time", &Executor::handleTime},
      // A merged program's runtime (dsu merge).
      {"__dsu_merge_choice", &Executor::handleMergeChoice},
      {"__dsu_merge_violation", &Executor::handleMergeViolation},
      {"__dsu_merge_unmodelled", &Executor::handleMergeUnmodelled},
      {"__dsu_merge_committed", &Executor::handleIgnore},
      {"__dsu_merge_skip_null", &Executor::handleMergeSkipNull},
      // A model of the environment (dsu verify's socket model) that meets
      // behaviour it does not cover: the path is not explored.
      {"__dsu_symex_unmodelled", &Executor::handleUnmodelled},
  };
  static const StringMap<ExternalHandler> Map = [] {
    StringMap<ExternalHandler> M;
    for (const auto &E : Table)
      M[E.Name] = E.Handler;
    return M;
  }();
  return Map;
}

void Executor::callExternal(ExecutionState &S, const CallBase *Call,
                            StringRef Name, std::vector<SVal> &Args) {
  const auto &Handlers = externalHandlers();
  auto It = Handlers.find(Name);
  if (It != Handlers.end()) {
    (this->*It->second)(S, Call, Name, Args);
    return;
  }
  warn(S, "call to unmodelled function '" + Name.str() + "'");
  terminateEarly(S, "unmodelled function '" + Name.str() + "'");
}

SVal Executor::externalArg(const std::vector<SVal> &Args, unsigned I) {
  return I < Args.size() ? Args[I] : SVal::concrete(64, 0);
}

void Executor::externalReturn(ExecutionState &S, const CallBase *Call, SVal V) {
  if (Call && !Call->getType()->isVoidTy())
    setResult(S, Call, B.zextOrTrunc(V, bitsOf(Call->getType())));
}

void Executor::concreteArg(
    ExecutionState &S, const std::vector<SVal> &Args, unsigned I,
    StringRef What, const std::function<void(ExecutionState &, uint64_t)> &Fn) {
  forEachValue(S, externalArg(Args, I), What,
               [&](ExecutionState &S, const APInt &V) {
                 Fn(S, V.getLimitedValue());
               });
}

//===----------------------------------------------------------------------===//
// Inputs and assumptions
//===----------------------------------------------------------------------===//

void Executor::handleMakeSymbolic(ExecutionState &S, const CallBase *Call,
                                  StringRef Name, std::vector<SVal> &Args) {
  concreteArg(S, Args, 0, "klee_make_symbolic address",
              [&](ExecutionState &S, uint64_t Addr) {
    concreteArg(S, Args, 1, "klee_make_symbolic size",
                [&](ExecutionState &S, uint64_t N) {
      bool Stdin = Name == "__dsu_symbolic_stdin";
      std::string ObjName =
          Stdin ? "stdin" : readString(S, externalArg(Args, 2));
      if (ObjName.empty())
        ObjName = "unnamed";
      makeSymbolic(S, Addr, N, ObjName, Stdin);
    });
  });
}

void Executor::handleFreshInt(ExecutionState &S, const CallBase *Call,
                              StringRef Name, std::vector<SVal> &Args) {
  bool Range = Name == "klee_range";
  std::string ObjName = readString(S, externalArg(Args, Range ? 2 : 0));
  SVal V = freshSymbolic(S, ObjName.empty() ? "unnamed" : ObjName, 4);
  if (Range) {
    SVal Lo = B.trunc(externalArg(Args, 0), 32);
    SVal Hi = B.trunc(externalArg(Args, 1), 32);
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
  externalReturn(S, Call, V);
}

void Executor::handleAssume(ExecutionState &S, const CallBase *Call,
                            StringRef Name, std::vector<SVal> &Args) {
  SVal X = externalArg(Args, 0);
  SVal C = B.cmp(CmpKind::Ne, X, SVal::concrete(X.width(), 0));
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
}

void Executor::handleIsSymbolic(ExecutionState &S, const CallBase *Call,
                                StringRef Name, std::vector<SVal> &Args) {
  externalReturn(S, Call,
                 SVal::concrete(32, !externalArg(Args, 0).isConcrete()));
}

void Executor::handleBytesDiffer(ExecutionState &S, const CallBase *Call,
                                 StringRef Name, std::vector<SVal> &Args) {
  // (a, b, n): 1 if the n bytes at a and b differ anywhere, as one term
  // (no fork): the comparison of replies that `dsu verify`'s harness makes
  // at the end of every path, without interpreting a byte loop.
  SVal A = externalArg(Args, 0), Bp = externalArg(Args, 1),
       N = externalArg(Args, 2);
  if (!A.isConcrete() || !Bp.isConcrete() || !N.isConcrete()) {
    terminateEarly(S, "__dsu_symex_bytes_differ with a symbolic argument");
    return;
  }
  uint64_t Len = N.zext();
  SVal Differ = SVal::concrete(1, 0);
  if (Len) {
    const MemObject *OA = concreteObject(S, A.zext(), Len, false);
    if (!OA)
      return;
    const MemObject *OB = concreteObject(S, Bp.zext(), Len, false);
    if (!OB)
      return;
    for (uint64_t K = 0; K < Len; ++K) {
      SVal X = Mem.readByte(*OA, A.zext() - OA->Base + K);
      SVal Y = Mem.readByte(*OB, Bp.zext() - OB->Base + K);
      Differ = B.orOp(Differ, B.cmp(CmpKind::Ne, X, Y));
      if (Differ.isConcrete() && Differ.zext())
        break; // differs whatever the rest holds
    }
  }
  externalReturn(S, Call, B.zext(Differ, 32));
}

void Executor::handleIgnore(ExecutionState &S, const CallBase *Call,
                            StringRef Name, std::vector<SVal> &Args) {}

void Executor::handleNote(ExecutionState &S, const CallBase *Call,
                          StringRef Name, std::vector<SVal> &Args) {
  if (CB.OnNote)
    CB.OnNote(readString(S, externalArg(Args, 0)));
}

void Executor::handleExcuseErrors(ExecutionState &S, const CallBase *Call,
                                  StringRef Name, std::vector<SVal> &Args) {
  SVal On = externalArg(Args, 0);
  if (!On.isConcrete()) {
    terminateError(S, "reported",
                   "__dsu_symex_excuse_errors with a symbolic argument");
    return;
  }
  uint64_t Mode = On.value().getZExtValue();
  S.ErrorsExcused = Mode == 1;
  S.FiberEndsOnError = Mode == 2;
}

void Executor::handleExcusedExit(ExecutionState &S, const CallBase *Call,
                                 StringRef Name, std::vector<SVal> &Args) {
  excusedExit(S);
}

void Executor::handleFiberFailed(ExecutionState &S, const CallBase *Call,
                                 StringRef Name, std::vector<SVal> &Args) {
  SVal Id = externalArg(Args, 0);
  uint64_t Of = Id.isConcrete() ? Id.value().getZExtValue() : ~0ull;
  externalReturn(
      S, Call,
      SVal::concrete(32, Of < S.FiberFailed.size() && S.FiberFailed[Of]));
}

// Fibers (State.h): int __dsu_symex_fiber_new(void (*fn)(void)) makes one
// that will run fn from its start, and void __dsu_symex_fiber_switch(int id)
// suspends the running fiber after the call and runs fiber id (0: the
// path's main) where it stopped.
void Executor::handleFiberNew(ExecutionState &S, const CallBase *Call,
                              StringRef Name, std::vector<SVal> &Args) {
  SVal P = externalArg(Args, 0);
  auto It = P.isConcrete() ? FuncByAddr.find(P.value().getZExtValue())
                           : FuncByAddr.end();
  if (It == FuncByAddr.end() || It->second->isDeclaration() ||
      It->second->arg_size() != 0) {
    terminateError(S, "reported",
                   "__dsu_symex_fiber_new needs a defined function without "
                   "arguments");
    return;
  }
  if (S.Suspended.empty()) {
    S.Suspended.emplace_back();
    S.FiberDone.push_back(false);
    S.FiberFailed.push_back(false);
  }
  Frame Fr;
  Fr.F = It->second;
  Fr.BB = &Fr.F->getEntryBlock();
  Fr.PC = Fr.BB->begin();
  S.Suspended.emplace_back();
  S.Suspended.back().push_back(std::move(Fr));
  S.FiberDone.push_back(false);
  S.FiberFailed.push_back(false);
  externalReturn(S, Call, SVal::concrete(32, S.Suspended.size() - 1));
}

void Executor::handleFiberSwitch(ExecutionState &S, const CallBase *Call,
                                 StringRef Name, std::vector<SVal> &Args) {
  SVal Id = externalArg(Args, 0);
  uint64_t To = Id.isConcrete() ? Id.value().getZExtValue() : ~0ull;
  if (To >= S.Suspended.size() || S.FiberDone[To] || To == S.Fiber) {
    terminateError(S, "reported",
                   "__dsu_symex_fiber_switch to a fiber that cannot run");
    return;
  }
  S.Suspended[S.Fiber] = std::move(S.Stack);
  S.Stack = std::move(S.Suspended[To]);
  S.Suspended[To].clear();
  S.Fiber = (unsigned)To;
  enterBlock(S, S.top().BB);
}

//===----------------------------------------------------------------------===//
// The end of a path
//===----------------------------------------------------------------------===//

void Executor::handleSilentExit(ExecutionState &S, const CallBase *Call,
                                StringRef Name, std::vector<SVal> &Args) {
  ++Stats.PathsCompleted;
  terminate(S);
}

void Executor::handleReportError(ExecutionState &S, const CallBase *Call,
                                 StringRef Name, std::vector<SVal> &Args) {
  std::string Msg = readString(S, externalArg(Args, 2));
  std::string Suffix = readString(S, externalArg(Args, 3));
  terminateError(S, Suffix == "assert.err" ? "assertion" : "reported",
                 Msg.empty() ? "error reported" : Msg);
}

void Executor::handleAssertFail(ExecutionState &S, const CallBase *Call,
                                StringRef Name, std::vector<SVal> &Args) {
  terminateError(S, "assertion",
                 "assertion failed: " + readString(S, externalArg(Args, 0)));
}

void Executor::handleAbort(ExecutionState &S, const CallBase *Call,
                           StringRef Name, std::vector<SVal> &Args) {
  terminateError(S, "abort", "abort() called");
}

void Executor::handleStackCheckFail(ExecutionState &S, const CallBase *Call,
                                    StringRef Name, std::vector<SVal> &Args) {
  terminateError(S, "stack-smashing", "stack protector tripped");
}

void Executor::handleExit(ExecutionState &S, const CallBase *Call,
                          StringRef Name, std::vector<SVal> &Args) {
  SVal C = externalArg(Args, 0);
  int Code = C.isConcrete() ? (int)C.value().getSExtValue() : 0;
  // Options::ExitReturnsFrom: exit() inside a run of one of several
  // programs (dsu verify) returns from the outermost frame of that program,
  // its main.
  if (!Opts.ExitReturnsFrom.empty())
    for (size_t I = 0; I < S.Stack.size(); ++I)
      if (S.Stack[I].F->getName().starts_with(Opts.ExitReturnsFrom)) {
        while (S.Stack.size() > I + 1)
          returnFrom(S, SVal());
        Type *T = S.top().F->getReturnType();
        returnFrom(S, T->isIntegerTy()
                          ? SVal::concrete(bitsOf(T), (uint64_t)(int64_t)Code)
                          : SVal());
        return;
      }
  terminateExit(S, Code);
}

//===----------------------------------------------------------------------===//
// The heap
//===----------------------------------------------------------------------===//

void Executor::handleMalloc(ExecutionState &S, const CallBase *Call,
                            StringRef Name, std::vector<SVal> &Args) {
  SVal Size = externalArg(Args, 0);
  if (Name == "calloc") {
    SVal N = B.zextOrTrunc(externalArg(Args, 0), 64);
    SVal Sz = B.zextOrTrunc(externalArg(Args, 1), 64);
    Size = B.mul(N, Sz);
  }
  malloc(S, Size, Call, [&](ExecutionState &S, uint64_t P) {
    externalReturn(S, Call, SVal::concrete(64, P));
  });
}

void Executor::handleRealloc(ExecutionState &S, const CallBase *Call,
                             StringRef Name, std::vector<SVal> &Args) {
  concreteArg(S, Args, 0, "realloc pointer",
              [&](ExecutionState &S, uint64_t OldA) {
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
    malloc(S, externalArg(Args, 1), Call, [&](ExecutionState &S, uint64_t P) {
      const MemObject *Old = OldA ? S.Mem.byBase(OldA) : nullptr;
      if (P && Old) {
        uint64_t N = std::min(Old->Size, S.Mem.byBase(P)->Size);
        if (!copyMemory(S, P, OldA, N))
          return;
        S.Mem.writable(OldA).Alive = false;
      }
      externalReturn(S, Call, SVal::concrete(64, P));
    });
  });
}

void Executor::handleFree(ExecutionState &S, const CallBase *Call,
                          StringRef Name, std::vector<SVal> &Args) {
  executeFree(S, externalArg(Args, 0));
}

//===----------------------------------------------------------------------===//
// Memory blocks and the libc model's hooks
//===----------------------------------------------------------------------===//

void Executor::handleMemory(ExecutionState &S, const CallBase *Call,
                            StringRef Name, std::vector<SVal> &Args) {
  SVal D = externalArg(Args, 0), Src = externalArg(Args, 1),
       N = B.zextOrTrunc(externalArg(Args, 2), 64);
  if (!D.isConcrete() || !N.isConcrete() ||
      (Name != "memset" && !Src.isConcrete())) {
    // A symbolic address or size: the libc model's byte loop does the work.
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
  externalReturn(S, Call, D);
}

void Executor::handleOutput(ExecutionState &S, const CallBase *Call,
                            StringRef Name, std::vector<SVal> &Args) {
  concreteArg(S, Args, 0, "output descriptor",
              [&](ExecutionState &S, uint64_t Fd) {
    concreteArg(S, Args, 1, "output buffer",
                [&](ExecutionState &S, uint64_t Addr) {
      concreteArg(S, Args, 2, "output size",
                  [&](ExecutionState &S, uint64_t N) {
        if (N == 0)
          return;
        const MemObject *O = concreteObject(S, Addr, N, false);
        if (!O || Fd == 2)
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
      });
    });
  });
}

void Executor::handleStdinSize(ExecutionState &S, const CallBase *Call,
                               StringRef Name, std::vector<SVal> &Args) {
  externalReturn(S, Call, SVal::concrete(64, Opts.SymStdin));
}

void Executor::handleTime(ExecutionState &S, const CallBase *Call,
                          StringRef Name, std::vector<SVal> &Args) {
  if (!Opts.SymbolicTime) {
    externalReturn(S, Call, SVal::concrete(64, Options::FixedTime));
    return;
  }
  SVal T = freshSymbolic(S, "time", 8);
  SVal Floor = S.LastTime ? B.wrap(S.LastTime) : SVal::concrete(64, 0);
  addConstraint(S, B.boolean(B.cmp(CmpKind::Sge, T, Floor)));
  S.LastTime = B.bv(T);
  externalReturn(S, Call, T);
}

void Executor::handleMergeChoice(ExecutionState &S, const CallBase *Call,
                                 StringRef Name, std::vector<SVal> &Args) {
  // "Update at this visit?": a fresh int that is 0 or 1, named as the
  // replay runtime's __dsu_merge_choice takes it back. The merge runtime
  // branches on it, so the path forks there: one update timing per path.
  SVal V = freshSymbolic(S, "dsu_merge_choose", 4);
  addConstraint(S, B.boolean(B.cmp(CmpKind::Ule, V, SVal::concrete(32, 1))));
  externalReturn(S, Call, V);
}

void Executor::handleMergeSkipNull(ExecutionState &S, const CallBase *Call,
                                   StringRef Name, std::vector<SVal> &Args) {
  // (base, off, end): the first slot from off on, in steps of 8 bytes and
  // below end, not known to be null. Only concrete zero bytes are skipped:
  // a slot with a symbolic byte, or anything this does not look into (a
  // symbolic argument, an object in array form, a slot past the object),
  // is returned for the merge runtime to test itself.
  SVal Base = externalArg(Args, 0), Off = externalArg(Args, 1),
       End = externalArg(Args, 2);
  if (!Base.isConcrete() || !Off.isConcrete() || !End.isConcrete()) {
    externalReturn(S, Call, Off);
    return;
  }
  uint64_t At = Off.zext();
  const MemObject *O = S.Mem.find(Base.zext());
  if (O && !O->Array && O->Alive) {
    uint64_t First = Base.zext() - O->Base;
    auto KnownNull = [&](uint64_t Slot) {
      if (First + Slot + 8 > O->Size)
        return false;
      for (unsigned I = 0; I < 8; ++I) {
        const Byte &Bt = O->Bytes[First + Slot + I];
        if (Bt.E || Bt.Val)
          return false;
      }
      return true;
    };
    while (At + 8 <= End.zext() && KnownNull(At))
      At += 8;
  }
  externalReturn(S, Call, SVal::concrete(64, At));
}

void Executor::handleMergeViolation(ExecutionState &S, const CallBase *Call,
                                    StringRef Name, std::vector<SVal> &Args) {
  // Called by __dsu_merge_old_use, which the merge puts before the old
  // code's access: the error's site is that call, so each old access is
  // reported once.
  terminateError(S, "update-safety", readString(S, externalArg(Args, 0)),
                 /*Depth=*/1);
}

void Executor::handleMergeUnmodelled(ExecutionState &S, const CallBase *Call,
                                     StringRef Name, std::vector<SVal> &Args) {
  std::string Msg = readString(S, externalArg(Args, 0));
  warn(S, "merged program: " + Msg);
  terminateEarly(S, "merged program: " + Msg);
}

void Executor::handleUnmodelled(ExecutionState &S, const CallBase *Call,
                                StringRef Name, std::vector<SVal> &Args) {
  std::string Msg = readString(S, externalArg(Args, 0));
  warn(S, Msg);
  terminateEarly(S, Msg);
}

//===----------------------------------------------------------------------===//
// Primitives of the handlers
//===----------------------------------------------------------------------===//

/// NAME as an SMT symbol: what is not a letter, digit or '_' becomes '_'.
static std::string symbolName(const std::string &Name) {
  std::string Base = Name;
  for (char &C : Base)
    if (!isalnum((unsigned char)C) && C != '_')
      C = '_';
  return Base;
}

/// The base name of the variables of a new symbolic object NAME on S's
/// path: NAME as a symbol, '#', and how many objects of that symbol the
/// path made before. Counted per name rather than over all the path's
/// objects, so that two paths that made the same objects of a name name
/// them alike whatever else each made in between: dsu verify's update
/// timings part into paths that made different numbers of
/// dsu_merge_choose objects before the next request is drawn, and with
/// per-path numbering each drew "request 2" as a variable of its own, so
/// that the same question about its bytes, asked on every timing, missed
/// the solver's cache each time. Names stay unique on a path.
static std::string variableBase(const ExecutionState &S,
                                const std::string &Name) {
  std::string Base = symbolName(Name);
  unsigned Before = 0;
  for (const SymbolicObject &O : S.Symbolics)
    Before += symbolName(O.Name) == Base;
  return Base + "#" + std::to_string(Before);
}

void Executor::makeSymbolic(ExecutionState &S, uint64_t Addr, uint64_t N,
                            const std::string &Name, bool IsStdin) {
  const MemObject *O = concreteObject(S, Addr, N, true);
  if (!O)
    return;
  SymbolicObject SO;
  SO.Name = Name;
  SO.IsStdin = IsStdin;
  std::string Base = variableBase(S, Name);
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
  std::string Base = variableBase(S, Name);
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

void Executor::malloc(
    ExecutionState &S, const SVal &Size, const CallBase *Site,
    const std::function<void(ExecutionState &, uint64_t)> &Fn) {
  forEachValue(S, Size, "allocation size",
               [&](ExecutionState &S, const APInt &N) {
    if (N.getActiveBits() > 63 || N.getZExtValue() > MaxAlloc) {
      Fn(S, 0);
      return;
    }
    std::string Name = "heap";
    if (Site) {
      Location L = locationOf(Site);
      if (L.Line)
        Name = "heap object allocated at " + formatLocation(L);
    }
    Fn(S, newObject(S, N.getZExtValue(), ObjectKind::Heap, Name, Site));
  });
}

void Executor::executeFree(ExecutionState &S, const SVal &PV) {
  forEachValue(S, PV, "freed pointer", [&](ExecutionState &S, const APInt &P) {
    freeAt(S, P.getLimitedValue());
  });
}

void Executor::freeAt(ExecutionState &S, uint64_t A) {
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
