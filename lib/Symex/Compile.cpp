//===- Compile.cpp - C sources to one linked LLVM module ------------------===//
//
// Each source file is compiled by clang-19 to bitcode (-O0 -g, with
// -disable-O0-optnone so -O1 passes could run later, value names kept for
// messages, no fortify wrappers), in a private temporary directory that
// also holds the shipped <klee/klee.h> and the libc model. The program's
// modules are linked first; the libc model is linked last with
// LinkOnlyNeeded, so only the functions the program uses come in, and a
// program's own definition of a libc function wins over the model's.
//
//===----------------------------------------------------------------------===//

#include "dsu/Support/Error.h"
#include "dsu/Symex/Symex.h"

#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IRReader/IRReader.h"
#include "llvm/Linker/Linker.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"

using namespace dsu::symex;
using namespace llvm;

namespace {
#include "SymexEmbedded.inc"
} // namespace

StringRef dsu::symex::libcModelSource() { return EmbeddedLibc; }
StringRef dsu::symex::replayRuntimeSource() { return EmbeddedReplay; }
StringRef dsu::symex::kleeHeaderSource() { return EmbeddedKleeHeader; }

static Error writeFile(StringRef Path, StringRef Text) {
  std::error_code EC;
  raw_fd_ostream OS(Path, EC);
  if (EC)
    return dsu::failure(Path + ": error: " + EC.message());
  OS << Text;
  return Error::success();
}

Error dsu::symex::writeKleeHeader(StringRef Dir) {
  SmallString<256> P(Dir);
  sys::path::append(P, "klee");
  if (std::error_code EC = sys::fs::create_directories(P))
    return dsu::failure(P + ": error: " + EC.message());
  SmallString<256> Request(P);
  sys::path::append(P, "klee.h");
  if (Error E = writeFile(P, kleeHeaderSource()))
    return E;
  // The request grammar for harnesses (built on klee.h only).
  sys::path::append(Request, "dsu_request.h");
  return writeFile(Request, EmbeddedRequestHeader);
}

namespace {
/// A temporary directory removed when it goes out of scope.
struct TempDir {
  SmallString<256> Path;
  ~TempDir() {
    if (!Path.empty())
      sys::fs::remove_directories(Path);
  }
};
} // namespace

static Error runClang(const CompileOptions &O, StringRef Input,
                      StringRef Output, StringRef IncludeDir, bool Runtime) {
  std::vector<std::string> Args = {O.Clang,
                                   "-c",
                                   "-emit-llvm",
                                   "-g",
                                   O.OptLevel,
                                   "-Xclang",
                                   "-disable-O0-optnone",
                                   "-fno-discard-value-names",
                                   "-fno-stack-protector",
                                   "-U_FORTIFY_SOURCE",
                                   "-D_FORTIFY_SOURCE=0",
                                   "-D__DSU_SYMEX__=1",
                                   "-I",
                                   IncludeDir.str()};
  if (Runtime) {
    Args.push_back("-ffreestanding");
    Args.push_back("-fno-builtin");
    Args.push_back("-w");
  } else {
    for (const auto &F : O.ClangFlags)
      Args.push_back(F);
  }
  Args.push_back(Input.str());
  Args.push_back("-o");
  Args.push_back(Output.str());
  std::vector<StringRef> Refs(Args.begin(), Args.end());
  if (O.Commands) {
    for (auto &A : Args)
      *O.Commands << A << " ";
    *O.Commands << "\n";
  }
  std::string ErrMsg;
  int RC = sys::ExecuteAndWait(O.Clang, Refs, std::nullopt, {}, 0, 0, &ErrMsg);
  if (RC != 0)
    return dsu::failure(Input + ": error: clang-19 failed" +
                        (ErrMsg.empty() ? "" : ": " + ErrMsg) +
                        " (exit status " + Twine(RC) + ")");
  return Error::success();
}

Expected<std::unique_ptr<Module>>
dsu::symex::compileProgram(LLVMContext &Ctx, ArrayRef<std::string> Files,
                           const CompileOptions &O) {
  if (Files.empty())
    return dsu::failure("error: no input files");
  TempDir Tmp;
  if (std::error_code EC =
          sys::fs::createUniqueDirectory("dsu-symex", Tmp.Path))
    return dsu::failure("error: cannot create a temporary directory: " +
                        EC.message());
  SmallString<256> Inc(Tmp.Path);
  sys::path::append(Inc, "include");
  if (Error E = writeKleeHeader(Inc))
    return std::move(E);
  SmallString<256> LibcSrc(Tmp.Path);
  sys::path::append(LibcSrc, "dsu-libc.c");
  if (Error E = writeFile(LibcSrc, libcModelSource()))
    return std::move(E);

  std::unique_ptr<Module> Program;
  std::unique_ptr<Linker> L;
  unsigned Index = 0;
  auto Load = [&](StringRef Src,
                  bool Runtime) -> Expected<std::unique_ptr<Module>> {
    if (!sys::fs::exists(Src))
      return dsu::failure(Src + ": error: no such file");
    SmallString<256> Out(Tmp.Path);
    sys::path::append(Out, "m" + Twine(Index++) + ".bc");
    if (Error E = runClang(O, Src, Out, Inc, Runtime))
      return std::move(E);
    SMDiagnostic Diag;
    std::unique_ptr<Module> M = parseIRFile(Out, Diag, Ctx);
    if (!M)
      return dsu::failure(Src +
                          ": error: cannot read bitcode: " + Diag.getMessage());
    return std::move(M);
  };
  for (const std::string &F : Files) {
    auto M = Load(F, false);
    if (!M)
      return M.takeError();
    if (!Program) {
      Program = std::move(*M);
      L = std::make_unique<Linker>(*Program);
      continue;
    }
    if (L->linkInModule(std::move(*M)))
      return dsu::failure(F + ": error: cannot link (duplicate definitions?)");
  }
  // The engine falls back to these byte loops of the libc model when a
  // memcpy/memmove/memset size or pointer is symbolic: make them "needed".
  {
    Type *Ptr = PointerType::getUnqual(Ctx);
    Type *I64 = Type::getInt64Ty(Ctx), *I32 = Type::getInt32Ty(Ctx);
    Program->getOrInsertFunction("__dsu_memcpy_loop", Ptr, Ptr, Ptr, I64);
    Program->getOrInsertFunction("__dsu_memmove_loop", Ptr, Ptr, Ptr, I64);
    Program->getOrInsertFunction("__dsu_memset_loop", Ptr, Ptr, I32, I64);
  }
  auto Libc = Load(LibcSrc, true);
  if (!Libc)
    return Libc.takeError();
  if (L->linkInModule(std::move(*Libc), Linker::Flags::LinkOnlyNeeded))
    return dsu::failure("error: cannot link the libc model");
  return std::move(Program);
}
