//===- Threads.cpp - what the runtime must know about threads ---------------===//
//
// For the quiescence protocol of runtime/dsu_threads.c: every pthread_create
// in dsu-built code goes through __dsu_pthread_create, so the runtime knows
// each thread, and every call to a blocking function the runtime considers
// safe to be parked in during an update is bracketed with
// __dsu_block_enter("name file:line") / __dsu_block_leave(). A thread blocked
// anywhere else (inside a library, say) counts as running, so the update
// waits. The call's place lets the runtime keep a thread parked where the
// rest of its frames would use what the patch changes from counting as
// quiescent (lib/Analysis/Continuations.cpp computes those places).
//
//===----------------------------------------------------------------------===//
#include "dsu/Transform/Transform.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Path.h"

#include <map>
#include <set>

using namespace llvm;
using namespace dsu;

unsigned dsu::instrumentThreads(Module &M) {
  static const std::set<std::string> Blocking = {
      "poll",         "ppoll",           "select",        "pselect",
      "epoll_wait",   "epoll_pwait",     "accept",        "accept4",
      "read",         "recv",            "recvfrom",      "recvmsg",
      "pthread_cond_wait", "pthread_cond_timedwait", "sleep", "usleep",
      "nanosleep",    "pthread_join",    "sem_wait",      "waitpid"};
  LLVMContext &Ctx = M.getContext();
  PointerType *Ptr = PointerType::getUnqual(Ctx);
  std::vector<CallInst *> Calls;
  for (Function &F : M)
    for (BasicBlock &BB : F)
      for (Instruction &I : BB)
        if (auto *CI = dyn_cast<CallInst>(&I))
          if (Function *Callee = CI->getCalledFunction())
            if (Callee->isDeclaration() &&
                (Callee->getName() == "pthread_create" ||
                 Blocking.count(Callee->getName().str())))
              Calls.push_back(CI);
  if (Calls.empty())
    return 0;
  FunctionCallee Enter = M.getOrInsertFunction(
      "__dsu_block_enter", Type::getVoidTy(Ctx), Ptr);
  FunctionCallee Leave =
      M.getOrInsertFunction("__dsu_block_leave", Type::getVoidTy(Ctx));
  std::map<std::string, Constant *> Names;
  auto Site = [](const CallInst *CI) {
    std::string S = CI->getCalledFunction()->getName().str();
    if (const DebugLoc &DL = CI->getDebugLoc())
      S += " " + sys::path::filename(DL->getFilename()).str() + ":" +
           std::to_string(DL.getLine());
    return S;
  };
  for (CallInst *CI : Calls) {
    Function *Callee = CI->getCalledFunction();
    std::string Name = Callee->getName().str();
    if (Name == "pthread_create") {
      FunctionCallee Wrapper = M.getOrInsertFunction(
          "__dsu_pthread_create", Callee->getFunctionType());
      CI->setCalledFunction(Wrapper);
      continue;
    }
    std::string Where = Site(CI);
    Constant *&Str = Names[Where];
    if (!Str) {
      Constant *Init = ConstantDataArray::getString(Ctx, Where);
      Str = new GlobalVariable(M, Init->getType(), true,
                               GlobalValue::PrivateLinkage, Init, "__dsu_call");
    }
    IRBuilder<> Before(CI);
    Before.CreateCall(Enter, {Str});
    IRBuilder<> After(CI->getNextNode());
    After.CreateCall(Leave, {});
  }
  return unsigned(Calls.size());
}
