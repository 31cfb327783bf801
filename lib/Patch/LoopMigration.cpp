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
//    loop returns from its function, the block is dropped; after another
//    exit the old function may run the loop again (an inner loop), and the
//    block keeps the locals for it.
//
// When it is sound. The old enclosing function goes on running around the
// loop: its header runs before every turn and the code after the loop runs
// once the body returns an exit. So a local stays in the old frame only if
// its layout, C type and structure are the same in both versions and it
// names no type the patch changes; one that moves must not be used by the
// old enclosing function once it has called the body (LoopArg::UsedAfter),
// nor have its address kept anywhere (LoopArg::Escapes), nor be touched by
// the new enclosing function around the loop (which the old one would not
// do); a local the old function reads after the loop must still be kept by
// the new body; the two bodies' exits must mean the same by each value
// (LoopExtraction.cpp describes them), since the old function interprets
// the value the new body returns; and every local must have a name and a C
// type dsu can match and spell. Anything else keeps the update partial, and
// the reason is said. docs/update-model.md lists the rules with their tests.
//
// The runtime adds what a patch cannot know (dsu_loops.c): a loop that an
// earlier patch migrated, or whose enclosing function an earlier patch
// replaced, may run around an older function than the one this plan
// checked, so a patch that would migrate it is refused when it is loaded.
//
//===----------------------------------------------------------------------===//
#include "dsu/Patch/LoopMigration.h"
#include "dsu/Support/Hash.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"

#include <set>

using namespace dsu;
using namespace llvm;

namespace {
/// Storage clang makes for itself in a frame (the temporary of an atomic
/// load, as DSU_UPDATE_POINT() has, or of an aggregate's copy): written
/// before it is read, within one statement. A body that gains or loses one
/// (a second update point in the loop) may take fresh storage for it.
bool isClangTemporary(const LoopArg &A) {
  StringRef N = A.Name;
  return A.CType.empty() && !A.UsedAfter &&
         (N.starts_with("atomic-temp") || N.starts_with("agg.tmp") ||
          N.starts_with("coerce"));
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
                       const std::set<std::string> &ChangedTypes,
                       std::string &WhyNot) {
  if (Old.LoopArgs.empty() && Old.LoopExits.empty()) {
    WhyNot = "the old build does not describe its loop's frame (built by an "
             "older dsu-cc)";
    return std::nullopt;
  }
  // Each value must lead to the same place (LoopExtraction.cpp describes
  // them; the code after the loop, when the loop has one way out, is left
  // out of the description, since the old function runs its own there).
  if (Old.LoopExits != New.LoopExits) {
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
    unsigned V = 0;
    bool Numbered = !Value.getAsInteger(10, V);
    if (Where == "continue")
      M.Continue = Value.str();
    // The frame is left for good: its block is not needed any more. After
    // other exits the old function may come back to the loop (an inner loop
    // run again), and the block keeps the locals for it.
    if (Numbered && Where.starts_with("return:"))
      M.ReturnValues.push_back(V);
  }
  if (M.Continue.empty()) {
    WhyNot = "no exit of its body leads to the loop's next turn";
    return std::nullopt;
  }
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
  std::set<std::string> NewNames;
  for (const LoopArg &A : New.LoopArgs)
    NewNames.insert(A.Name);
  std::string Enclosing = Old.Name.substr(0, Old.Name.find(".loop"));
  for (const LoopArg &O : Old.LoopArgs) {
    std::string Shown = "'" + sourceName(O.Name) + "'";
    // The old function reads it after the loop: only a new body that keeps
    // it up to date may take the loop over.
    if (O.UsedAfter && !NewNames.count(O.Name)) {
      WhyNot = "the old " + Enclosing + " uses the local " + Shown +
               " outside its loop body, and the new body does not keep it";
      return std::nullopt;
    }
    // A local whose name is not a variable's (clang's own storage, a
    // shadowed name clang renamed) can only be passed on as it is.
    if (O.CType.empty() && !NewNames.count(O.Name) && !isClangTemporary(O)) {
      WhyNot = "the old loop's local " + Shown +
               " is not a variable dsu can match by name";
      return std::nullopt;
    }
  }
  M.OldArgs = Old.LoopArgs.size();
  auto Spelled = [](const std::string &T) {
    return T.empty() ? std::string() : " ('" + T + "')";
  };
  // A C type that names a type this patch changes (or points to one) is
  // not the same type in the new body even with the same spelling.
  auto MentionsChanged = [&](const std::string &CType) {
    for (const std::string &T : ChangedTypes)
      if (CType.find(T) != std::string::npos)
        return true;
    return false;
  };
  // An unnamed struct or union (or one that holds one) has no spelling
  // outside its declaration.
  auto Unspellable = [](const std::string &CType) {
    return CType.find("(unnamed") != std::string::npos ||
           CType.find("(anonymous") != std::string::npos;
  };
  for (const LoopArg &A : New.LoopArgs) {
    PatchPlan::LoopMigration::Local L;
    L.Name = A.Name;
    L.NewType = A.CType;
    L.Size = A.Size;
    std::string Shown = "'" + sourceName(A.Name) + "'";
    if (!A.Local || A.Name.empty()) {
      WhyNot = "the new loop receives a value that is not a named local";
      return std::nullopt;
    }
    auto It = OldByName.find(A.Name);
    if (It == OldByName.end() && isClangTemporary(A)) {
      L.Moved = true; // fresh storage: the body writes it before reading
      M.Args.push_back(L);
      continue;
    }
    if (It == OldByName.end()) {
      if (A.CType.empty()) {
        WhyNot = "the C type of the new local " + Shown + " is not known";
        return std::nullopt;
      }
      if (Unspellable(A.CType)) {
        WhyNot = "the type of the new local " + Shown +
                 " has no name a transformer can spell it by";
        return std::nullopt;
      }
      if (A.UsedAfter) {
        WhyNot = "the new " + Enclosing + " sets or reads the new local " +
                 Shown + " outside its loop body, which the old one does not";
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
    if (O.Layout == A.Layout && O.CType == A.CType &&
        O.TypeHash == A.TypeHash && !MentionsChanged(A.CType)) {
      M.Args.push_back(L); // passed on from the old frame
      continue;
    }
    if (O.UsedAfter) {
      WhyNot = "the old " + Enclosing + " uses the local " + Shown +
               Spelled(O.CType) +
               " outside its loop body, and the new body keeps it in another "
               "form" +
               Spelled(A.CType);
      return std::nullopt;
    }
    if (O.Escapes) {
      WhyNot = "the address of the local " + Shown + Spelled(O.CType) +
               " may be kept by the old code (stored, or given to a function "
               "that may keep it), which would go on using the old copy";
      return std::nullopt;
    }
    if (A.UsedAfter) {
      WhyNot = "the new " + Enclosing + " uses the local " + Shown +
               " outside its loop body, which the old one would not do";
      return std::nullopt;
    }
    if (O.CType.empty() || A.CType.empty()) {
      WhyNot = "the C type of the local " + Shown + " is not known";
      return std::nullopt;
    }
    if (Unspellable(O.CType) || Unspellable(A.CType)) {
      WhyNot = "the type of the local " + Shown +
               " has no name a transformer can spell it by";
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
      // The block is dropped when the frame leaves its function (a return
      // in the loop); after another exit the old function may run the loop
      // again in the same frame (an inner loop), with the same block.
      Value *Returns = B.getFalse();
      for (unsigned V : Mig.ReturnValues)
        Returns = B.CreateOr(Returns,
                             B.CreateICmpEQ(Result, ConstantInt::get(Ret, V)));
      BasicBlock *Left = BasicBlock::Create(Ctx, "returns", Adapter);
      BasicBlock *Next = BasicBlock::Create(Ctx, "next", Adapter);
      B.CreateCondBr(Returns, Left, Next);
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
