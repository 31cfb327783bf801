//===- StoredModules.cpp - a build's stored modules, parsed once ----------===//
#include "dsu/Analysis/StoredModules.h"
#include "dsu/Analysis/Continuations.h"
#include "dsu/Analysis/GlobalWrites.h"
#include "dsu/Support/Error.h"

#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace dsu;
using namespace llvm;

Expected<std::unique_ptr<StoredModules>>
dsu::parseStoredModules(const Build &B) {
  if (B.Records.size() != B.Model.TUs.size())
    return failure("program model and stored modules disagree");
  auto S = std::make_unique<StoredModules>();
  for (const TURecord &R : B.Records) {
    auto M =
        parseBitcodeFile(MemoryBufferRef(R.Bitcode, R.Model.Source), S->Ctx);
    if (!M)
      return M.takeError();
    S->Modules.push_back(std::move(*M));
  }
  return std::move(S);
}

Error dsu::analyseBuild(Build &B) {
  auto Modules = parseStoredModules(B);
  if (!Modules)
    return Modules.takeError();
  // The continuation analysis reads the modules as stored; the write
  // analysis then promotes their locals, so it runs second.
  if (Error E = computeContinuations(B, **Modules))
    return E;
  return findUnwrittenGlobals(B, **Modules);
}
