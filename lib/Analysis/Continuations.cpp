//===- Continuations.cpp - what active frames use after an update -------===//
//
// An update commits at an update point while some frames are on the stack:
// the point's own function and, transitively, the functions that called it.
// Each of them finishes in the code it started in (docs/update-model.md,
// "Active code"). That is safe for a patch unless the rest of such a frame,
// its *continuation*, uses something the patch changes in a way old code
// cannot survive: the representation of a changed struct or union (the
// runtime has moved every object of it to the new layout), or a global whose
// type changed (the new version has new storage for it). This is Ginseng's
// con-freeness, computed on the LLVM module dsu-cc stores in each object.
//
// For an update point u:
//
//  1. The frames that may be active at u are found as in UpdateReach.cpp,
//     but per call site: a call may lead to u if its callee may be active at
//     u, an indirect call may lead to u if some address-taken function may,
//     and a call into code not built with dsu-cc may lead to u if that code
//     can call back (LibraryCalls.cpp) and some function whose address the
//     program lets escape may be active at u.
//  2. A frame is suspended at u itself or at those call sites. Its
//     continuation is every instruction reachable in its control-flow graph
//     from just after them: the rest of the block, loop back edges, up to
//     its returns. Loop extraction composes: the body of a loop holding u is
//     a function of its own, so its continuation is one iteration, and the
//     enclosing function's continuation is the loop's header and exit,
//     since later iterations call the body through its slot.
//  3. What a continuation uses: the globals its instructions reference, and
//     the types whose representation the C code on the lines it reaches
//     uses (FunctionInfo::TypeUses, from the AST: field access, sizeof,
//     whole-object copies, pointer arithmetic, variables of the frame that
//     hold the type or a pointer to it; lib/Frontend/UseFacts.cpp says why
//     each counts and why passing along a fresh pointer does not). Calls the
//     continuation makes through slots run new code and add nothing, but are
//     recorded: a patch that gives one of them a new signature leaves the old
//     body running for this frame. Calls that stay old (to functions dsu does
//     not manage, or same-unit calls of a function compiled with direct
//     calls) add their callee's whole body, transitively.
//
// The result is recorded per point and frame, with the first use of each
// type and global in breadth-first order from the suspension, so that
// `dsu diff` can name the nearest conflicting use.
//
// Matching is by line: a use on a line the continuation reaches counts, even
// if on that line it comes before the call that suspends the frame. That
// errs on the safe side.
//
// Other threads. In a program that creates threads, another thread may be
// parked in one of the blocking calls the runtime brackets
// (Transform/Threads.cpp) while an update commits, and its frames resume
// after that call. Each such call is analysed like an update point, with
// the thread's frame suspended at the call and its callers as above; the
// runtime keeps a thread parked where the patch is unsafe from counting as
// quiescent.
//
//===----------------------------------------------------------------------===//
#include "dsu/Analysis/Continuations.h"
#include "dsu/Analysis/Contexts.h"
#include "dsu/Analysis/LibraryCalls.h"
#include "dsu/Analysis/StoredModules.h"
#include "dsu/Support/Error.h"

#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/MemoryBuffer.h"

#include <deque>
#include <map>
#include <set>

using namespace dsu;
using namespace llvm;

namespace {

enum class SiteKind { Direct, Indirect, Library, Point };

struct Site {
  CallBase *Call = nullptr;
  SiteKind Kind = SiteKind::Library;
  int Callee = -1;  ///< Node, for direct calls.
  std::string Name; ///< Library function, for library calls.
  unsigned PointLine = 0;
};

/// A blocking call bracketed for the thread protocol (Transform/Threads.cpp):
/// where another thread may be parked while an update commits.
struct BlockSite {
  CallBase *Call = nullptr; ///< The blocking call itself.
  std::string Name, File;   ///< "read", "main.c"
  unsigned Line = 0;
};

struct Node {
  const FunctionInfo *Info = nullptr;
  size_t TU = 0;
  Function *F = nullptr;
  std::map<unsigned, std::vector<const TypeUse *>> UsesByLine;
  std::vector<Site> Sites;
  std::vector<BlockSite> Blocks;
  /// Site ids of its calls (Contexts.h).
  std::map<const CallBase *, uint64_t> ContextIds;
};

class ContinuationAnalysis {
public:
  ContinuationAnalysis(Build &B, StoredModules &Stored)
      : B(B), Stored(Stored) {}

  Error load();
  void run();

private:
  int resolve(size_t TU, const Function &Callee) const;
  void addBlockSite(Node &N, CallBase &Enter);
  PointContinuations continuations(int Node, const UpdatePointInfo &Where,
                                   CallBase *Suspension, unsigned PointLine);
  std::set<int> activeAt(int PointNode) const;
  bool leads(const Site &S, const std::set<int> &Active, bool Callbacks,
             bool LibraryCallbacks) const;
  bool staysOld(const Node &Caller, int Callee) const;
  void usesOfInstruction(const Node &N, Instruction &I,
                         std::vector<ContinuationUse> &Out) const;
  const std::vector<ContinuationUse> &wholeBody(int N);
  FrameContinuation frame(int N, const std::vector<CallBase *> &From,
                          const std::vector<unsigned> &Lines);

  Build &B;
  StoredModules &Stored;
  std::vector<Node> Nodes;
  std::vector<std::map<std::string, int>> ByIRName; ///< Per TU.
  std::map<std::string, int> BySymbol;              ///< Managed functions.
  std::map<std::string, int> ByPlainName;           ///< External ones.
  std::map<std::string, const GlobalInfo *> Globals;
  std::set<int> AddressTaken;
  std::map<int, std::vector<ContinuationUse>> WholeBodies;
  std::set<int> InProgress;
  bool Threaded = false; ///< The program creates threads.
};

void ContinuationAnalysis::addBlockSite(Node &N, CallBase &Enter) {
  // __dsu_block_enter("read main.c:42"); then the blocking call.
  BlockSite B;
  if (auto *G =
          dyn_cast<GlobalVariable>(Enter.getArgOperand(0)->stripPointerCasts());
      G && G->hasInitializer())
    if (auto *S = dyn_cast<ConstantDataSequential>(G->getInitializer())) {
      StringRef Site = S->getAsCString();
      auto [Name, Place] = Site.split(' ');
      auto [File, Line] = Place.rsplit(':');
      B.Name = Name.str();
      B.File = File.str();
      Line.getAsInteger(10, B.Line);
    }
  for (Instruction *I = Enter.getNextNode(); I; I = I->getNextNode())
    if (auto *CB = dyn_cast<CallBase>(I)) {
      B.Call = CB;
      break;
    }
  if (B.Call && !B.File.empty() && B.Line)
    N.Blocks.push_back(std::move(B));
}

Error ContinuationAnalysis::load() {
  if (Stored.Modules.size() != B.Model.TUs.size())
    return failure("program model and stored modules disagree");
  Globals = B.Model.globalsBySymbol();
  ByIRName.resize(B.Records.size());
  for (size_t T = 0; T < B.Records.size(); ++T) {
    Module &M = *Stored.Modules[T];
    for (const FunctionInfo &Info : B.Model.TUs[T].Functions) {
      Function *F = M.getFunction(Info.Symbol);
      if (!F || F->isDeclaration())
        continue;
      Node N;
      N.Info = &Info;
      N.TU = T;
      N.F = F;
      for (const TypeUse &U : Info.TypeUses)
        N.UsesByLine[U.Line].push_back(&U);
      N.ContextIds = callSiteIds(*F, Info.Symbol, Info.BodyHash);
      int Id = int(Nodes.size());
      ByIRName[T][F->getName().str()] = Id;
      if (Info.Managed)
        BySymbol[Info.Symbol] = Id;
      if (!Info.IsStatic)
        ByPlainName[Info.Name] = Id;
      if (Info.AddressTaken || !Info.Managed)
        AddressTaken.insert(Id);
      Nodes.push_back(std::move(N));
    }
  }
  for (const TUModel &TU : B.Model.TUs)
    for (const std::string &Name : TU.AddressTakenExternals)
      if (auto It = ByPlainName.find(Name); It != ByPlainName.end())
        AddressTaken.insert(It->second);

  for (Node &N : Nodes)
    for (BasicBlock &BB : *N.F)
      for (Instruction &I : BB) {
        auto *CB = dyn_cast<CallBase>(&I);
        if (!CB || CB->isInlineAsm())
          continue;
        Site S;
        S.Call = CB;
        auto *Callee =
            dyn_cast<Function>(CB->getCalledOperand()->stripPointerCasts());
        if (!Callee) {
          S.Kind = SiteKind::Indirect;
        } else if (Callee->isIntrinsic()) {
          continue;
        } else if (Callee->getName() == "__dsu_pthread_create") {
          Threaded = true;
          continue;
        } else if (Callee->getName() == "__dsu_block_enter") {
          addBlockSite(N, *CB);
          continue;
        } else if (Callee->getName() == "__dsu_update_point") {
          S.Kind = SiteKind::Point;
          if (CB->arg_size() == 2)
            if (auto *L = dyn_cast<ConstantInt>(CB->getArgOperand(1)))
              S.PointLine = unsigned(L->getZExtValue());
        } else if (int C = resolve(N.TU, *Callee); C >= 0) {
          S.Kind = SiteKind::Direct;
          S.Callee = C;
        } else {
          S.Kind = SiteKind::Library;
          S.Name = Callee->getName().str();
        }
        N.Sites.push_back(std::move(S));
      }
  return Error::success();
}

int ContinuationAnalysis::resolve(size_t TU, const Function &Callee) const {
  std::string Name = Callee.getName().str();
  if (auto It = ByIRName[TU].find(Name); It != ByIRName[TU].end())
    return It->second;
  if (auto It = BySymbol.find(Name); It != BySymbol.end())
    return It->second;
  if (auto It = ByPlainName.find(Name); It != ByPlainName.end())
    return It->second;
  return -1;
}

bool ContinuationAnalysis::leads(const Site &S, const std::set<int> &Active,
                                 bool Callbacks, bool LibraryCallbacks) const {
  switch (S.Kind) {
  case SiteKind::Direct:
    return Active.count(S.Callee) > 0;
  case SiteKind::Indirect:
    return Callbacks;
  case SiteKind::Library:
    // A library function that never returns (exit, abort) may run handlers,
    // but no frame suspended under it resumes.
    return LibraryCallbacks && libraryMayCallBack(S.Name) &&
           !S.Call->doesNotReturn();
  case SiteKind::Point:
    return false;
  }
  return false;
}

std::set<int> ContinuationAnalysis::activeAt(int PointNode) const {
  std::set<int> Active = {PointNode};
  bool Changed = true;
  while (Changed) {
    Changed = false;
    bool Callbacks = false;
    for (int A : AddressTaken)
      Callbacks |= Active.count(A) > 0;
    for (int N = 0; N < int(Nodes.size()); ++N) {
      if (Active.count(N))
        continue;
      for (const Site &S : Nodes[N].Sites)
        if (leads(S, Active, Callbacks, Callbacks)) {
          Active.insert(N);
          Changed = true;
          break;
        }
    }
  }
  return Active;
}

bool ContinuationAnalysis::staysOld(const Node &Caller, int Callee) const {
  const Node &C = Nodes[Callee];
  if (!C.Info->Managed)
    return true;
  return Caller.Info->DirectCalls && C.TU == Caller.TU;
}

static void globalsIn(const Value *V, std::vector<const GlobalVariable *> &Out,
                      unsigned Depth = 0) {
  if (const auto *G = dyn_cast<GlobalVariable>(V)) {
    Out.push_back(G);
    return;
  }
  if (const auto *CE = dyn_cast<ConstantExpr>(V); CE && Depth < 4)
    for (const Use &Op : CE->operands())
      globalsIn(Op.get(), Out, Depth + 1);
}

void ContinuationAnalysis::usesOfInstruction(
    const Node &N, Instruction &I, std::vector<ContinuationUse> &Out) const {
  const DebugLoc &DL = I.getDebugLoc();
  unsigned Line = DL ? DL.getLine() : 0;
  std::string File = N.Info->File;
  if (DL)
    if (auto *Loc = DL.get(); Loc && !Loc->getFilename().empty())
      File = Loc->getFilename().str();
  std::vector<const GlobalVariable *> Gs;
  for (const Use &Op : I.operands())
    globalsIn(Op.get(), Gs);
  for (const GlobalVariable *G : Gs)
    if (Globals.count(G->getName().str()))
      Out.push_back({G->getName().str(), true, "global", File, Line});
}

const std::vector<ContinuationUse> &ContinuationAnalysis::wholeBody(int Id) {
  if (auto It = WholeBodies.find(Id); It != WholeBodies.end())
    return It->second;
  std::vector<ContinuationUse> Out;
  if (InProgress.insert(Id).second) {
    const Node &N = Nodes[Id];
    for (const TypeUse &U : N.Info->TypeUses)
      Out.push_back({U.Type, false, U.Kind, N.Info->File, U.Line});
    for (BasicBlock &BB : *N.F)
      for (Instruction &I : BB)
        usesOfInstruction(N, I, Out);
    for (const Site &S : N.Sites)
      if (S.Kind == SiteKind::Direct && staysOld(N, S.Callee)) {
        const std::vector<ContinuationUse> &More = wholeBody(S.Callee);
        Out.insert(Out.end(), More.begin(), More.end());
      }
    InProgress.erase(Id);
  }
  return WholeBodies[Id] = std::move(Out);
}

FrameContinuation
ContinuationAnalysis::frame(int Id, const std::vector<CallBase *> &From,
                            const std::vector<unsigned> &Lines) {
  const Node &N = Nodes[Id];
  FrameContinuation FC;
  FC.Function = N.Info->Symbol;
  FC.Lines = Lines;
  std::set<std::string> Seen;
  std::set<unsigned> SeenLines;
  std::set<std::string> Callees;
  auto Add = [&](const ContinuationUse &U) {
    if (Seen.insert((U.IsGlobal ? "g " : "t ") + U.What).second)
      FC.Uses.push_back(U);
  };
  std::map<const CallBase *, const Site *> SiteOf;
  for (const Site &S : N.Sites)
    SiteOf[S.Call] = &S;

  auto Visit = [&](Instruction &I) {
    if (const DebugLoc &DL = I.getDebugLoc())
      if (unsigned Line = DL.getLine(); SeenLines.insert(Line).second) {
        auto It = N.UsesByLine.find(Line);
        if (It != N.UsesByLine.end()) {
          std::string File = N.Info->File;
          if (auto *Loc = DL.get(); Loc && !Loc->getFilename().empty())
            File = Loc->getFilename().str();
          for (const TypeUse *U : It->second)
            Add({U->Type, false, U->Kind, File, Line});
        }
      }
    std::vector<ContinuationUse> Gs;
    usesOfInstruction(N, I, Gs);
    for (const ContinuationUse &U : Gs)
      Add(U);
    auto *CB = dyn_cast<CallBase>(&I);
    auto S = CB ? SiteOf.find(CB) : SiteOf.end();
    if (S == SiteOf.end() || S->second->Kind != SiteKind::Direct)
      return;
    int C = S->second->Callee;
    if (staysOld(N, C)) {
      for (const ContinuationUse &U : wholeBody(C))
        Add(U);
    } else if (Callees.insert(Nodes[C].Info->Symbol).second) {
      FC.SlotCallees.push_back(Nodes[C].Info->Symbol);
    }
  };

  // Breadth first from just after each suspension, so that the first use
  // recorded is the nearest one.
  std::deque<BasicBlock *> Queue;
  std::set<BasicBlock *> Done;
  for (CallBase *Call : From) {
    for (Instruction *I = Call->getNextNode(); I; I = I->getNextNode())
      Visit(*I);
    for (BasicBlock *Succ : successors(Call->getParent()))
      Queue.push_back(Succ);
  }
  while (!Queue.empty()) {
    BasicBlock *BB = Queue.front();
    Queue.pop_front();
    if (!Done.insert(BB).second)
      continue;
    for (Instruction &I : *BB)
      Visit(I);
    for (BasicBlock *Succ : successors(BB))
      Queue.push_back(Succ);
  }
  return FC;
}

PointContinuations
ContinuationAnalysis::continuations(int PointNode, const UpdatePointInfo &Where,
                                    CallBase *Suspension, unsigned PointLine) {
  std::set<int> Active = activeAt(PointNode);
  bool Callbacks = false;
  for (int A : AddressTaken)
    Callbacks |= Active.count(A) > 0;
  PointContinuations PC;
  PC.Point = Where;
  auto LineOf = [](const CallBase *Call) {
    const DebugLoc &DL = Call->getDebugLoc();
    return DL ? std::vector<unsigned>{DL.getLine()} : std::vector<unsigned>{};
  };
  // The frame holding the point, then one frame per call through which a
  // function may be active here: the runtime can tell those apart
  // (Contexts.cpp), so each gets its own verdict.
  std::vector<
      std::pair<std::tuple<std::string, unsigned, uint64_t>, FrameContinuation>>
      Others;
  for (int Id : Active) {
    const Node &N = Nodes[Id];
    if (Id == PointNode) {
      std::vector<CallBase *> From;
      std::vector<unsigned> Lines;
      auto Add = [&](CallBase *Call) {
        From.push_back(Call);
        for (unsigned L : LineOf(Call))
          Lines.push_back(L);
      };
      if (Suspension)
        Add(Suspension);
      else
        for (const Site &S : N.Sites)
          if (S.Kind == SiteKind::Point && S.PointLine == PointLine)
            Add(S.Call);
      std::sort(Lines.begin(), Lines.end());
      Lines.erase(std::unique(Lines.begin(), Lines.end()), Lines.end());
      FrameContinuation Own = frame(Id, From, Lines);
      // The point's call is on the context stack too, so that a frame left
      // running from an earlier version is known by it (Contexts.cpp).
      if (!Suspension && !From.empty())
        if (auto It = N.ContextIds.find(From.front());
            It != N.ContextIds.end() && isContextCall(*From.front())) {
          Own.Site = It->second;
          Own.Tracked = !N.Info->DirectCalls;
        }
      PC.Frames.insert(PC.Frames.begin(), std::move(Own));
    }
    for (const Site &S : N.Sites) {
      if (S.Kind == SiteKind::Point || !leads(S, Active, Callbacks, Callbacks))
        continue;
      FrameContinuation FC = frame(Id, {S.Call}, LineOf(S.Call));
      auto It = N.ContextIds.find(S.Call);
      FC.Site = It != N.ContextIds.end() ? It->second : 1;
      // Recorded only by functions the link found possibly active, and
      // only if the callee is not one the link found never active (the
      // same rule as lib/Transform/Contexts.cpp).
      FC.Tracked =
          It != N.ContextIds.end() && isContextCall(*S.Call) &&
          !N.Info->DirectCalls &&
          !(S.Kind == SiteKind::Direct && Nodes[S.Callee].Info->DirectCalls);
      unsigned Line = FC.Lines.empty() ? 0 : FC.Lines.front();
      Others.push_back({{FC.Function, Line, FC.Site}, std::move(FC)});
    }
  }
  std::sort(Others.begin(), Others.end(),
            [](const auto &A, const auto &B) { return A.first < B.first; });
  for (auto &[Key, FC] : Others)
    PC.Frames.push_back(std::move(FC));
  return PC;
}

void ContinuationAnalysis::run() {
  B.Model.Continuations.clear();
  for (size_t T = 0; T < B.Model.TUs.size(); ++T)
    for (const UpdatePointInfo &U : B.Model.TUs[T].UpdatePoints) {
      auto It = ByIRName[T].find(U.Function);
      if (It != ByIRName[T].end())
        B.Model.Continuations.push_back(
            continuations(It->second, U, nullptr, U.Line));
    }
  // In a program with threads, another thread may be parked in a blocking
  // call while an update commits: its frames resume after the call.
  if (!Threaded)
    return;
  for (int Id = 0; Id < int(Nodes.size()); ++Id)
    for (const BlockSite &S : Nodes[Id].Blocks) {
      UpdatePointInfo Where{Nodes[Id].Info->Symbol, S.File, S.Line};
      PointContinuations PC = continuations(Id, Where, S.Call, 0);
      PC.BlockingCall = S.Name;
      B.Model.Continuations.push_back(std::move(PC));
    }
}

} // namespace

Error dsu::computeContinuations(Build &B) {
  auto Stored = parseStoredModules(B);
  if (!Stored)
    return Stored.takeError();
  return computeContinuations(B, **Stored);
}

Error dsu::computeContinuations(Build &B, StoredModules &Stored) {
  // A build whose models lack the type-use facts (made by an older dsu-cc)
  // keeps the flow-insensitive check: no facts must not read as no uses.
  for (const TUModel &TU : B.Model.TUs)
    if (!TU.HasTypeUses)
      return Error::success();
  ContinuationAnalysis A(B, Stored);
  if (Error E = A.load())
    return E;
  A.run();
  return Error::success();
}
