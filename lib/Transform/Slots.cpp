//===- Slots.cpp - indirection slots and trampolines ------------------------===//
//
// For a managed function with symbol S:
//
//   __dsu_slot.S   a pointer variable holding the current body
//   S              a trampoline: `jmp *__dsu_slot.S`, the function's stable
//                  address, written as module-level assembly so that it works
//                  for any signature, variadic ones included, without
//                  touching argument registers or the stack
//   S<suffix>      the body itself, now an internal function
//
// Direct calls `call @S(...)` become `call (load @__dsu_slot.S)(...)`: one
// indirect call instead of a call plus a jump. Every other use of S (address
// taken, static initialisers, aliases) refers to the trampoline, so a
// function pointer obtained in any version always runs the newest body.
//
// In position-independent code (patches) the trampoline reaches the slot
// through the GOT, since the slot may live in another object.
//
//===----------------------------------------------------------------------===//
#include "dsu/Transform/Transform.h"

#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalAlias.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InstrTypes.h"
#include "llvm/IR/Module.h"

using namespace llvm;
using namespace dsu;

bool dsu::isSharedObjectCode(const Module &M) {
  return M.getPICLevel() != PICLevel::NotPIC &&
         M.getPIELevel() == PIELevel::Default;
}

SlotOptions dsu::executableSlotOptions(const TUModel &TU) {
  SlotOptions Opts;
  for (const FunctionInfo &F : TU.Functions) {
    if (!F.Managed)
      continue;
    Opts.Managed.insert(F.Symbol);
    Opts.DefineHere.insert(F.Symbol);
    if (F.DirectCalls)
      Opts.DirectCallers.insert(F.Symbol);
    if (!F.IsStatic)
      Opts.PlainNameOf[F.Symbol] = F.Name;
  }
  for (const GlobalInfo &G : TU.Globals)
    if (!G.IsStatic)
      Opts.PlainNameOf[G.Symbol] = G.Name;
  return Opts;
}

static std::string trampolineAsm(StringRef Symbol, StringRef Slot, bool PIC) {
  std::string S;
  S += "\t.text\n\t.globl " + Symbol.str() + "\n";
  S += "\t.type " + Symbol.str() + ",@function\n\t.p2align 4\n";
  S += Symbol.str() + ":\n";
  if (PIC)
    S += "\tmovq " + Slot.str() + "@GOTPCREL(%rip), %r11\n\tjmpq *(%r11)\n";
  else
    S += "\tjmpq *" + Slot.str() + "(%rip)\n";
  S += "\t.size " + Symbol.str() + ", .-" + Symbol.str() + "\n";
  return S;
}

std::map<std::string, std::string> dsu::installSlots(Module &M,
                                                     const SlotOptions &Opts) {
  std::map<std::string, std::string> Bodies;
  LLVMContext &Ctx = M.getContext();
  PointerType *Ptr = PointerType::getUnqual(Ctx);
  std::string Asm;
  // Bodies are renamed as we go; remember whose body each function is.
  std::map<const Function *, std::string> SymbolOfBody;
  auto CallerSymbol = [&](const Function *Caller) -> std::string {
    auto It = SymbolOfBody.find(Caller);
    return It != SymbolOfBody.end() ? It->second : Caller->getName().str();
  };
  for (const std::string &Symbol : Opts.Managed)
    if (Function *F = M.getFunction(Symbol); F && !F->isDeclaration())
      SymbolOfBody[F] = Symbol;
  for (const std::string &Symbol : Opts.Managed) {
    Function *F = M.getFunction(Symbol);
    if (!F)
      continue;
    std::string SlotName = "__dsu_slot." + Symbol;
    auto *Slot = cast<GlobalVariable>(M.getOrInsertGlobal(SlotName, Ptr));
    Slot->setAlignment(Align(8));
    bool HasBody = !F->isDeclaration();
    Function *Trampoline = F;
    if (HasBody) {
      F->setName(Symbol + Opts.BodySuffix);
      F->setLinkage(GlobalValue::InternalLinkage);
      F->setDSOLocal(true);
      Trampoline = Function::Create(F->getFunctionType(),
                                    GlobalValue::ExternalLinkage, Symbol, M);
      Trampoline->setAttributes(F->getAttributes());
      Trampoline->setCallingConv(F->getCallingConv());
      Bodies[Symbol] = F->getName().str();
    }
    // Direct calls go through the slot.
    SmallVector<CallBase *, 8> Calls;
    SmallPtrSet<const User *, 8> KeepDirect;
    for (Use &U : F->uses())
      if (auto *CB = dyn_cast<CallBase>(U.getUser()); CB && CB->isCallee(&U)) {
        // Callers that are never active at an update point call bodies of
        // their own module directly, so the optimiser may inline them.
        if (HasBody &&
            Opts.DirectCallers.count(CallerSymbol(CB->getFunction()))) {
          KeepDirect.insert(CB);
          continue;
        }
        Calls.push_back(CB);
      }
    for (CallBase *CB : Calls) {
      IRBuilder<> B(CB);
      LoadInst *Target = B.CreateAlignedLoad(Ptr, Slot, Align(8),
                                             Symbol + ".target");
      CB->setCalledOperand(Target);
    }
    if (HasBody) {
      // Everything else takes the stable address. Block addresses must keep
      // naming the body they belong to.
      F->replaceUsesWithIf(Trampoline, [&](Use &U) {
        if (KeepDirect.count(U.getUser()) &&
            cast<CallBase>(U.getUser())->isCallee(&U))
          return false;
        return !isa<BlockAddress>(U.getUser());
      });
    }
    if (Opts.DefineHere.count(Symbol)) {
      Slot->setLinkage(GlobalValue::ExternalLinkage);
      Slot->setInitializer(HasBody ? static_cast<Constant *>(F)
                                   : ConstantPointerNull::get(Ptr));
      Asm += trampolineAsm(Symbol, SlotName, Opts.PIC);
      Trampoline->setDSOLocal(!Opts.PIC);
      if (Opts.PlainAliases)
        if (auto It = Opts.PlainNameOf.find(Symbol);
            It != Opts.PlainNameOf.end()) {
          Asm += "\t.globl " + It->second + "\n\t.type " + It->second +
                 ",@function\n\t.set " + It->second + ", " + Symbol + "\n";
        }
    }
  }
  if (Opts.PlainAliases)
    for (GlobalVariable &G : M.globals()) {
      if (G.isDeclaration())
        continue;
      auto It = Opts.PlainNameOf.find(G.getName().str());
      if (It == Opts.PlainNameOf.end() || M.getNamedValue(It->second))
        continue;
      GlobalAlias::create(G.getValueType(), G.getAddressSpace(),
                          G.hasWeakLinkage() ? GlobalValue::WeakAnyLinkage
                                             : GlobalValue::ExternalLinkage,
                          It->second, &G, &M);
    }
  if (!Asm.empty())
    M.appendModuleInlineAsm(Asm);
  return Bodies;
}

void dsu::embedSection(Module &M, StringRef Section, StringRef Path) {
  M.appendModuleInlineAsm("\t.pushsection " + Section.str() +
                          ",\"\",@progbits\n\t.incbin \"" + Path.str() +
                          "\"\n\t.popsection\n");
}
