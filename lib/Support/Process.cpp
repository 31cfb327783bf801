#include "dsu/Support/Process.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <unistd.h>

using namespace dsu;
using namespace llvm;

std::string dsu::clangPath() {
  if (const char *Env = getenv("DSU_CLANG"))
    return Env;
  return DSU_CLANG_PATH;
}

static Expected<int> run(StringRef Program, ArrayRef<std::string> Args,
                         std::optional<StringRef> OutFile) {
  std::vector<StringRef> Refs(Args.begin(), Args.end());
  std::optional<StringRef> Redirects[3] = {std::nullopt, OutFile, OutFile};
  std::string ErrMsg;
  bool Failed = false;
  int Rc = sys::ExecuteAndWait(Program, Refs, std::nullopt,
                               OutFile ? ArrayRef(Redirects)
                                       : ArrayRef<std::optional<StringRef>>(),
                               0, 0, &ErrMsg, &Failed);
  if (Failed)
    return createStringError(inconvertibleErrorCode(),
                             "cannot run " + Program + ": " + ErrMsg);
  if (Rc < 0)
    return createStringError(inconvertibleErrorCode(),
                             Program + " crashed: " + ErrMsg);
  return Rc;
}

Expected<int> dsu::runProgram(StringRef Program, ArrayRef<std::string> Args) {
  return run(Program, Args, std::nullopt);
}

Expected<int> dsu::runProgramCapture(StringRef Program,
                                     ArrayRef<std::string> Args,
                                     std::string &Output) {
  SmallString<128> Tmp;
  if (auto EC = sys::fs::createTemporaryFile("dsu-out", "txt", Tmp))
    return errorCodeToError(EC);
  auto Rc = run(Program, Args, StringRef(Tmp));
  if (auto Text = readFile(Tmp))
    Output = *Text;
  else
    consumeError(Text.takeError());
  sys::fs::remove(Tmp);
  return Rc;
}

Expected<TempDir> TempDir::create(StringRef Prefix) {
  SmallString<128> Path;
  if (auto EC = sys::fs::createUniqueDirectory(Prefix, Path))
    return createStringError(EC, "cannot create a temporary directory: " +
                                      EC.message());
  return TempDir(std::string(Path));
}

TempDir::TempDir(TempDir &&Other) noexcept
    : Path(std::move(Other.Path)), Keep(Other.Keep) {
  Other.Path.clear();
}

TempDir::~TempDir() {
  if (!Path.empty() && !Keep)
    sys::fs::remove_directories(Path);
}

std::string TempDir::file(StringRef Name) const {
  SmallString<128> P(Path);
  sys::path::append(P, Name);
  return std::string(P);
}

Expected<std::string> dsu::readFile(StringRef Path) {
  auto Buf = MemoryBuffer::getFile(Path, /*IsText=*/false,
                                   /*RequiresNullTerminator=*/false);
  if (!Buf)
    return createStringError(Buf.getError(), Path + ": " +
                                                 Buf.getError().message());
  return (*Buf)->getBuffer().str();
}

Error dsu::writeFile(StringRef Path, StringRef Bytes) {
  std::error_code EC;
  raw_fd_ostream OS(Path, EC);
  if (EC)
    return createStringError(EC, Path + ": " + EC.message());
  OS << Bytes;
  OS.close();
  if (OS.has_error())
    return createStringError(OS.error(), Path + ": " + OS.error().message());
  return Error::success();
}
