//===- LoopMigration.cpp - running loops taken over by a new body ---------===//
//
// dsu-cc moves the body of a loop that holds an update point into a function
// of its own, called through a slot once per turn (lib/Transform/
// LoopExtraction.cpp), so that a changed body runs from the next turn. When
// the new body needs its frame in another form (a local of another type, a
// new local), it is a new function: the running loop's frame, made by the
// old enclosing function, does not fit it. Without more, that loop would
// keep its old body for good (a "partial" update). Control migration, as
// Kitsune does it, lets the new body take over anyway:
//
//  - The old body's slot is rebound to an adapter with the old body's
//    signature. The running loop calls it at its next turn with pointers to
//    its locals, as it called the old body.
//  - The adapter asks the runtime for the loop's block (__dsu_loop_block,
//    keyed by the frame: the first local's address), made on the first call
//    and filled by the local-state transformer from the old locals. The
//    block holds the locals whose type changed and the new ones; the
//    transformer is generated (a copy with conversions where the types
//    allow, a new local's constant initialiser) and can be edited: where no
//    default exists it carries a DSU-TODO and the patch is refused until
//    the user writes the conversion.
//  - It calls the new body (through its slot, so a later update of the new
//    body reaches this loop too) with the old frame's locals that kept their
//    layout and the block's for the others, and returns its exit. When the
//    loop is left, the block is dropped.
//
// When it is sound. The old enclosing function goes on running around the
// loop: its header runs before every turn and the code after the loop runs
// once the body returns an exit. So:
//  - a local may move to the block only if the old enclosing function does
//    not use it again once it has called the body (LoopArg::UsedAfter):
//    otherwise old code would read the old copy while the new body updates
//    the block's;
//  - the two bodies must have the same exits, each value leading to the
//    same place (LoopExtraction.cpp describes them: the next turn, a
//    `return`, the code after the loop), since the old function interprets
//    the value the new body returns;
//  - every argument must be a local of the frame (the adapter passes
//    pointers on), and a local the new body shares with the old by name
//    must either keep its layout or move.
// Anything else keeps the update partial, and the reason is said.
//
// A loop already migrated once (its running frame is served by an adapter
// of an earlier patch) is not migrated again: the runtime refuses such a
// commit (dsu_loops.c), because the earlier adapter passed locals of the
// oldest frame on whose later use this patch's check cannot see.
//
//===----------------------------------------------------------------------===//
#include "dsu/Patch/LoopMigration.h"
#include "dsu/Support/Hash.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"

using namespace dsu;
using namespace llvm;

namespace {
/// Whether each value the new body returns means what it meant for the old
/// one: the same values, each leading to the next turn, a `return` (with the
/// same stores) or the code after the loop. That code is the new version's
/// in the new text; where only one exit's text differs, and it leads after
/// the loop in both, it is the loop's one way out whose code after the loop
/// changed (the old function runs its own).
bool sameExits(const std::vector<std::string> &Old,
               const std::vector<std::string> &New) {
  if (Old.size() != New.size())
    return false;
  unsigned Differing = 0;
  for (size_t I = 0; I < Old.size(); ++I) {
    auto [OldValue, OldWhere] = StringRef(Old[I]).split('=');
    auto [NewValue, NewWhere] = StringRef(New[I]).split('=');
    if (OldValue != NewValue)
      return false;
    if (OldWhere == NewWhere)
      continue;
    if (!OldWhere.starts_with("after:") || !NewWhere.starts_with("after:"))
      return false;
    ++Differing;
  }
  return Differing <= 1;
}

/// The C spelling of a local's name (parameters are "x.addr" in the IR).
std::string sourceName(const std::string &Local) {
  StringRef N = Local;
  N.consume_back(".addr");
  return N.str();
}
} // namespace

std::string PatchPlan::LoopMigration::message() const {
  std::string S = "the running loop " + Loop + " goes on with the new body";
  std::string Locals;
  for (const Local &L : Args) {
    if (!L.Moved)
      continue;
    Locals += Locals.empty() ? "" : ", ";
    if (L.OldArg < 0)
      Locals +=
          sourceName(L.Name) + " (new" +
          (L.Init.empty() || L.Init == "?" ? std::string() : ", = " + L.Init) +
          ")";
    else
      Locals +=
          sourceName(L.Name) + " ('" + L.OldType + "' -> '" + L.NewType + "')";
  }
  if (!Locals.empty())
    S += "; its locals " + Locals +
         " move to a block filled by the local-state "
         "transformer";
  return S;
}

std::optional<PatchPlan::LoopMigration>
dsu::planLoopMigration(const FunctionInfo &Old, const FunctionInfo &New,
                       std::string &WhyNot) {
  if (Old.LoopArgs.empty() && Old.LoopExits.empty()) {
    WhyNot = "the old build does not describe its loop's frame (built by an "
             "older dsu-cc)";
    return std::nullopt;
  }
  if (!sameExits(Old.LoopExits, New.LoopExits)) {
    WhyNot = "the loop's exits differ between the versions, so the old "
             "function could not tell how the new body left the loop";
    return std::nullopt;
  }
  PatchPlan::LoopMigration M;
  M.Loop = New.Name;
  M.OldSymbol = Old.Symbol;
  M.NewSymbol = New.Symbol;
  for (const std::string &E : New.LoopExits) {
    StringRef Value = StringRef(E).split('=').first;
    StringRef Where = StringRef(E).split('=').second;
    if (Where == "continue")
      M.Continue = Value.str();
    else if (unsigned V; !Value.getAsInteger(10, V))
      M.CaseValues.push_back(V);
  }
  if (M.Continue.empty()) {
    WhyNot = "no exit of its body leads to the loop's next turn";
    return std::nullopt;
  }
  if (M.Continue != "default")
    M.CaseValues.clear(); // only the continue value is compared
  if (Old.LoopArgs.empty()) {
    WhyNot = "the old loop keeps nothing in its frame to know it by";
    return std::nullopt;
  }
  std::map<std::string, unsigned> OldByName;
  for (unsigned I = 0; I < Old.LoopArgs.size(); ++I) {
    const LoopArg &A = Old.LoopArgs[I];
    if (!A.Local) {
      WhyNot = "the old loop receives a value that is not a local";
      return std::nullopt;
    }
    if (A.Name.empty() || !OldByName.emplace(A.Name, I).second) {
      WhyNot = "a local of the old loop has no name of its own";
      return std::nullopt;
    }
  }
  M.OldArgs = Old.LoopArgs.size();
  for (const LoopArg &A : New.LoopArgs) {
    PatchPlan::LoopMigration::Local L;
    L.Name = A.Name;
    L.NewType = A.CType;
    std::string Shown = "'" + sourceName(A.Name) + "'";
    if (!A.Local || A.Name.empty()) {
      WhyNot = "the new loop receives a value that is not a named local";
      return std::nullopt;
    }
    auto It = OldByName.find(A.Name);
    if (It == OldByName.end()) {
      if (A.CType.empty()) {
        WhyNot = "the C type of the new local " + Shown + " is not known";
        return std::nullopt;
      }
      L.Moved = true;
      L.Init = A.Init;
      M.Args.push_back(L);
      continue;
    }
    const LoopArg &O = Old.LoopArgs[It->second];
    L.OldArg = It->second;
    L.OldType = O.CType;
    if (O.Layout == A.Layout) {
      M.Args.push_back(L); // passed on from the old frame
      continue;
    }
    if (O.UsedAfter) {
      auto Spelled = [](const std::string &T) {
        return T.empty() ? std::string() : " ('" + T + "')";
      };
      WhyNot = "the old " + Old.Name.substr(0, Old.Name.find(".loop")) +
               " uses the local " + Shown + Spelled(O.CType) +
               " outside its loop body, and the new body keeps it in another "
               "form" +
               Spelled(A.CType);
      return std::nullopt;
    }
    if (O.CType.empty() || A.CType.empty()) {
      WhyNot = "the C type of the local " + Shown + " is not known";
      return std::nullopt;
    }
    L.Moved = true;
    M.Args.push_back(L);
  }
  return M;
}

std::string dsu::loopMigrationName(const PatchPlan::LoopMigration &M) {
  std::string S = "__dsu_loop_";
  for (char C : M.OldSymbol)
    S += isalnum(static_cast<unsigned char>(C)) ? C : '_';
  return S;
}

std::map<std::string, std::string>
dsu::addLoopMigrationAdapters(Module &M, const PatchPlan &Plan) {
  std::map<std::string, std::string> Adapters;
  LLVMContext &Ctx = M.getContext();
  PointerType *Ptr = PointerType::getUnqual(Ctx);
  Type *I64 = Type::getInt64Ty(Ctx);
  for (const PatchPlan::LoopMigration &Mig : Plan.Migrations) {
    Function *NewBody = M.getFunction(Mig.NewSymbol);
    if (!NewBody || NewBody->arg_size() != Mig.Args.size())
      continue; // the plan and the module disagree: no adapter, no rebind
    std::string Name = loopMigrationName(Mig);
    // The old body took a pointer per local and returned what the new one
    // returns: the exits are the same (planLoopMigration).
    Type *Ret = NewBody->getReturnType();
    auto *FTy = FunctionType::get(Ret, SmallVector<Type *, 8>(Mig.OldArgs, Ptr),
                                  /*isVarArg=*/false);
    Function *Adapter = Function::Create(FTy, GlobalValue::InternalLinkage,
                                         Name + ".adapter", M);
    // The frame's locals are the old enclosing function's: make no
    // assumption about what the new body does to them beyond the old one.
    BasicBlock *Entry = BasicBlock::Create(Ctx, "entry", Adapter);
    IRBuilder<> B(Entry);
    ArrayType *OldTy = ArrayType::get(Ptr, Mig.OldArgs);
    Value *OldArgs = B.CreateAlloca(OldTy, nullptr, "old");
    for (unsigned I = 0; I < Mig.OldArgs; ++I)
      B.CreateStore(Adapter->getArg(I),
                    B.CreateConstInBoundsGEP2_32(OldTy, OldArgs, 0, I));
    // Sizes and offsets come from the C definition of the block in the
    // transformers file: [size, offset of each argument of the new body].
    unsigned N = Mig.Args.size();
    auto *Layout = cast<GlobalVariable>(
        M.getOrInsertGlobal(Name + "_layout", ArrayType::get(I64, N + 1)));
    auto *Init =
        M.getOrInsertFunction(
             Name, FunctionType::get(Type::getInt32Ty(Ctx), {Ptr, Ptr}, false))
            .getCallee();
    FunctionCallee GetBlock = M.getOrInsertFunction(
        "__dsu_loop_block",
        FunctionType::get(Ptr, {Ptr, Ptr, Ptr, I64, Ptr, Ptr}, false));
    FunctionCallee EndBlock = M.getOrInsertFunction(
        "__dsu_loop_block_end",
        FunctionType::get(Type::getVoidTy(Ctx), {Ptr, Ptr}, false));
    Value *Site = B.CreateGlobalStringPtr(
        Mig.File + ":" + std::to_string(Mig.Line) + ": " + Mig.Loop,
        "__dsu_loop_site");
    Value *Callee = B.CreateGlobalStringPtr(Mig.NewSymbol, "__dsu_loop_callee");
    Value *Key = Adapter->getArg(0);
    Value *Size = B.CreateLoad(I64, B.CreateConstInBoundsGEP2_32(
                                        Layout->getValueType(), Layout, 0, 0));
    Value *Block = B.CreateCall(
        GetBlock, {Site, Callee, Key, Size, Init, OldArgs}, "block");
    SmallVector<Value *, 8> Args;
    for (unsigned K = 0; K < N; ++K) {
      const PatchPlan::LoopMigration::Local &L = Mig.Args[K];
      if (!L.Moved) {
        Args.push_back(Adapter->getArg(L.OldArg));
        continue;
      }
      Value *Offset =
          B.CreateLoad(I64, B.CreateConstInBoundsGEP2_32(Layout->getValueType(),
                                                         Layout, 0, K + 1));
      Args.push_back(B.CreateInBoundsGEP(B.getInt8Ty(), Block, Offset));
    }
    CallInst *Result = B.CreateCall(NewBody->getFunctionType(), NewBody, Args);
    if (Ret->isVoidTy()) {
      // One exit, the next turn: the loop is never left this way.
      B.CreateRetVoid();
    } else {
      Value *Continues;
      if (Mig.Continue == "default") {
        Continues = B.getTrue();
        for (unsigned V : Mig.CaseValues)
          Continues = B.CreateAnd(
              Continues, B.CreateICmpNE(Result, ConstantInt::get(Ret, V)));
      } else {
        unsigned V = 0;
        StringRef(Mig.Continue).getAsInteger(10, V);
        Continues = B.CreateICmpEQ(Result, ConstantInt::get(Ret, V));
      }
      BasicBlock *Left = BasicBlock::Create(Ctx, "left", Adapter);
      BasicBlock *Next = BasicBlock::Create(Ctx, "next", Adapter);
      B.CreateCondBr(Continues, Next, Left);
      B.SetInsertPoint(Left);
      B.CreateCall(EndBlock, {Key, Callee});
      B.CreateRet(Result);
      B.SetInsertPoint(Next);
      B.CreateRet(Result);
    }
    // The running program's slot of the old body, rebound to the adapter.
    auto *Slot = cast<GlobalVariable>(
        M.getOrInsertGlobal("__dsu_slot." + Mig.OldSymbol, Ptr));
    Slot->setAlignment(Align(8));
    Adapters[Mig.OldSymbol] = Adapter->getName().str();
  }
  return Adapters;
}
