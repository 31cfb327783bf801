//===- Compile.cpp - dsu-cc: one C source to an updatable object ----------===//
//
// Each C source goes through these steps, in this order (compileUnit):
//
//  1. clang-19 in-process (lib/Frontend): the C-level facts and the
//     unoptimised module. __FILE__ spells the unit's identity, not its path,
//     so that v1/main.c and v2/main.c do not differ in every function that
//     names __FILE__.
//  2. Loop extraction: a loop holding an update point calls its body
//     through a slot, so a change to it takes effect at the next iteration.
//  3. Identities: every function and global gets its identity symbol and
//     body hash; the unit's model is made here.
//  4. Heap and thread instrumentation, part of the stored module so that
//     patches track too.
//  5. The direct-call prediction (below), recorded in the model.
//  6. The TU record: the model and the module as it is now (identities, no
//     slots), which `dsu patch` starts from.
//  7. Context records, slots and trampolines; the record goes into the
//     .dsu.tu section and clang's backend optimises and emits the object.
//
// Compiling each unit once. A function that can never be on the stack at
// an update point calls its own unit's functions directly (so they inline);
// which functions those are is a whole-program question
// (lib/Analysis/UpdateReach.cpp), answered at the link. Answering it only
// there meant compiling every unit twice, the second time at the link, which
// doubled the build. Instead each object is compiled with the answer its
// unit alone gives when no other unit's function is taken to be active
// (predictDirectCalls; for most units of most programs the same answer:
// they do not lead to an update point), and records that answer in its
// model. The link (Link.cpp) computes the program's answer and compiles
// again only the objects whose answer differs.
//
//===----------------------------------------------------------------------===//
#include "DriverSteps.h"

#include "dsu/Analysis/UpdateReach.h"
#include "dsu/Frontend/ClangFrontend.h"
#include "dsu/Model/TURecord.h"
#include "dsu/Support/Error.h"
#include "dsu/Transform/Transform.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/Support/Path.h"

#include <functional>
#include <map>
#include <memory>
#include <set>

using namespace dsu;
using namespace dsu::driver;
using namespace llvm;

namespace {

/// Finds a function of TU by its symbol (for instrumentContexts).
std::function<const FunctionInfo *(StringRef)>
functionLookup(const TUModel &TU) {
  auto BySymbol =
      std::make_shared<std::map<std::string, const FunctionInfo *>>();
  for (const FunctionInfo &F : TU.Functions)
    (*BySymbol)[F.Symbol] = &F;
  return [BySymbol](StringRef Symbol) -> const FunctionInfo * {
    auto It = BySymbol->find(Symbol.str());
    return It == BySymbol->end() ? nullptr : It->second;
  };
}

/// Sets F.DirectCalls in one unit's model as the link would if no function
/// of another unit were active at an update point: calls to functions not
/// defined here and not declared in system headers (Library) are taken to
/// be calls to such functions and dropped; library calls keep the
/// analysis' rule (they may call back).
void predictDirectCalls(TUModel &Model, const std::set<std::string> &Library) {
  std::set<std::string> Here;
  for (const FunctionInfo &F : Model.Functions) {
    Here.insert(F.Symbol);
    Here.insert(F.Name);
  }
  ProgramModel One;
  One.TUs.push_back(Model);
  for (FunctionInfo &F : One.TUs[0].Functions)
    llvm::erase_if(F.Callees, [&](const std::string &Callee) {
      return !Here.count(Callee) && !Library.count(Callee);
    });
  markDirectCalls(One);
  for (size_t I = 0; I < Model.Functions.size(); ++I)
    Model.Functions[I].DirectCalls = One.TUs[0].Functions[I].DirectCalls;
}

} // namespace

Error driver::compileUnit(const ParsedCommand &P, const std::string &Source,
                          const std::string &Object, const DriverConfig &Config,
                          const TempDir &Tmp, unsigned Index,
                          raw_ostream &Log) {
  std::vector<std::string> DriverArgs = {clangPath()};
  for (const std::string &O : P.CompileOptions)
    DriverArgs.push_back(O);
  DriverArgs.push_back("-I" + Config.IncludeDir);
  std::string TUName = tuIdentity(Source, P.TUName, P.TURoot);
  // __FILE__ spells the TU identity, so that building v1/main.c and
  // v2/main.c does not make every function that mentions __FILE__ (update
  // points, assertions) look changed.
  if (P.TUName.empty() && StringRef(Source).ends_with(TUName) &&
      Source.size() > TUName.size())
    DriverArgs.push_back("-fmacro-prefix-map=" +
                         Source.substr(0, Source.size() - TUName.size()) + "=");
  DriverArgs.push_back("-c");
  DriverArgs.push_back(Source);
  DriverArgs.push_back("-o");
  DriverArgs.push_back(Object);

  auto TU = compileToIR(DriverArgs, P.Allocators, Log);
  if (!TU) // clang has already printed its diagnostics with file and line
    return failure(Source + ": " + toString(TU.takeError()));
  Module &M = TU->module();
  // The loop holding an update point calls its body through a slot, so a
  // change to it takes effect at the next iteration.
  if (P.LoopExtraction) {
    const auto &Functions = TU->facts().Functions;
    extractUpdateLoops(
        M, [&](StringRef Fn, StringRef Local, uint64_t Size) -> std::string {
          auto F = Functions.find(Fn.str());
          if (F == Functions.end())
            return "";
          auto L = F->second.Locals.find(Local.str());
          // A name clang gave storage of its own ("retval", a second "i" that
          // became "i1") may be a variable's of another size: unknown then.
          return L == F->second.Locals.end() || L->second.Size != Size
                     ? ""
                     : L->second.Type;
        });
  }
  auto Model = assignIdentities(M, TU->facts(), Source, TUName);
  if (!Model)
    return failure(Source + ": " + toString(Model.takeError()));
  Model->CompileOptions = codegenOptions(P.CompileOptions);
  assignDeallocators(*Model, P.Deallocators);
  // Heap tracking is part of the stored module, so patches track too.
  if (P.HeapTracking)
    instrumentAllocations(M, *Model, P.Deallocators);
  instrumentThreads(M);
  // The link decides which functions call their unit's functions directly
  // (lib/Analysis/UpdateReach.cpp) and compiles again every unit whose
  // object decided otherwise. Deciding here from this unit alone, with the
  // other units' functions taken as never active, is what the whole
  // program decides for most units (all of them when no update point is
  // reachable from them), so the link keeps most objects as they are.
  if (P.DirectCalls)
    predictDirectCalls(*Model, TU->facts().SystemFunctions);
  // The record stores the module as it is now: identities assigned, no
  // slots yet. `dsu patch` starts from this form.
  std::string Bitcode;
  {
    raw_string_ostream OS(Bitcode);
    WriteBitcodeToFile(M, OS);
  }
  std::string RecordPath = Tmp.file("tu" + std::to_string(Index) + ".rec");
  if (Error E = writeFile(RecordPath, encodeTURecord(*Model, Bitcode)))
    return E;
  // Calls that may lead to an update point, as this unit's prediction sees
  // them; the link compiles the unit again where the program decides
  // otherwise (calls to other units' functions are all recorded here).
  instrumentContexts(M, functionLookup(*Model), /*OnlyPossiblyActive=*/true);
  SlotOptions Opts = executableSlotOptions(*Model);
  Opts.PIC = isSharedObjectCode(M);
  installSlots(M, Opts);
  embedSection(M, TUSectionName, RecordPath);

  if (P.Keep) {
    std::string KeepDir = P.KeepDir;
    if (KeepDir.empty() && !P.CompileOnly) {
      KeepDir = sys::path::parent_path(P.Output).str();
      if (KeepDir.empty())
        KeepDir = ".";
    }
    std::string KeepPath =
        KeepDir.empty() ? Object + ".dsu.ll"
                        : (KeepDir + "/" + objectNameFor(Source) + ".dsu.ll");
    if (Error E = TU->emitIR(M, KeepPath))
      Log << "dsu-cc: warning: " << toString(std::move(E)) << "\n";
    std::string ModelPath = KeepPath.substr(0, KeepPath.size() - 3) + ".model";
    ProgramModel One;
    One.TUs.push_back(*Model);
    if (Error E = writeFile(ModelPath, One.dump()))
      Log << "dsu-cc: warning: " << toString(std::move(E)) << "\n";
  }
  if (Error E = TU->emitObject(M, Object))
    return E;
  if (P.Verbose)
    Log << "dsu-cc: " << Source << " -> " << Object << " (tu " << TUName << ", "
        << Model->Functions.size() << " functions, " << Model->Globals.size()
        << " globals)\n";
  return Error::success();
}
