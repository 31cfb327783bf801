#include "dsu/Frontend/ClangFrontend.h"
#include "ASTFactsConsumer.h"

#include "clang/Basic/DiagnosticOptions.h"
#include "clang/Basic/TargetInfo.h"
#include "clang/CodeGen/BackendUtil.h"
#include "clang/CodeGen/CodeGenAction.h"
#include "clang/Driver/Compilation.h"
#include "clang/Driver/Driver.h"
#include "clang/Driver/Job.h"
#include "clang/Driver/Tool.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/CompilerInvocation.h"
#include "clang/Frontend/MultiplexConsumer.h"
#include "clang/Frontend/TextDiagnosticPrinter.h"
#include "clang/Lex/PPCallbacks.h"
#include "clang/Lex/Preprocessor.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/VirtualFileSystem.h"
#include "llvm/TargetParser/Host.h"

#include "dsu/Support/Process.h"

using namespace dsu;
using namespace llvm;

namespace {
/// Clang's EmitLLVMOnly action with our AST visitor run alongside codegen.
/// Records the system headers the program's own files include (as spelled,
/// in order), so that generated transformers can include them for the
/// system types that the program's structs hold (`struct event`).
class SystemIncludeRecorder : public clang::PPCallbacks {
public:
  SystemIncludeRecorder(const clang::SourceManager &SM,
                        std::vector<std::string> &Out)
      : SM(SM), Out(Out) {}
  void InclusionDirective(clang::SourceLocation HashLoc, const clang::Token &,
                          StringRef FileName, bool IsAngled,
                          clang::CharSourceRange, clang::OptionalFileEntryRef,
                          StringRef, StringRef, const clang::Module *, bool,
                          clang::SrcMgr::CharacteristicKind FileType) override {
    if (!IsAngled || !clang::SrcMgr::isSystem(FileType) ||
        SM.isInSystemHeader(HashLoc) || FileName == "dsu.h")
      return;
    if (std::find(Out.begin(), Out.end(), FileName) == Out.end())
      Out.push_back(FileName.str());
  }

private:
  const clang::SourceManager &SM;
  std::vector<std::string> &Out;
};

class FactsAndIRAction : public clang::EmitLLVMOnlyAction {
public:
  FactsAndIRAction(LLVMContext *Ctx, ASTFacts &Facts)
      : EmitLLVMOnlyAction(Ctx), Facts(Facts) {}

protected:
  std::unique_ptr<clang::ASTConsumer>
  CreateASTConsumer(clang::CompilerInstance &CI, StringRef InFile) override {
    CI.getPreprocessor().addPPCallbacks(std::make_unique<SystemIncludeRecorder>(
        CI.getSourceManager(), Facts.SystemIncludes));
    std::vector<std::unique_ptr<clang::ASTConsumer>> Consumers;
    Consumers.push_back(createASTFactsConsumer(Facts));
    Consumers.push_back(EmitLLVMOnlyAction::CreateASTConsumer(CI, InFile));
    return std::make_unique<clang::MultiplexConsumer>(std::move(Consumers));
  }

private:
  ASTFacts &Facts;
};
} // namespace

CompiledTU::CompiledTU() = default;
CompiledTU::~CompiledTU() {
  Module.reset(); // before its context
}
CompiledTU::CompiledTU(CompiledTU &&) = default;

Expected<CompiledTU>
dsu::compileToIR(const std::vector<std::string> &DriverArgs,
                 const std::vector<std::string> &ExtraAllocators,
                 raw_ostream &Diagnostics) {
  static bool TargetsReady = [] {
    InitializeNativeTarget();
    InitializeNativeTargetAsmPrinter();
    InitializeNativeTargetAsmParser();
    return true;
  }();
  (void)TargetsReady;

  IntrusiveRefCntPtr<clang::DiagnosticOptions> DiagOpts =
      new clang::DiagnosticOptions();
  auto *Printer = new clang::TextDiagnosticPrinter(Diagnostics, &*DiagOpts);
  IntrusiveRefCntPtr<clang::DiagnosticIDs> DiagIDs(new clang::DiagnosticIDs());
  clang::DiagnosticsEngine Diags(DiagIDs, &*DiagOpts, Printer);

  // The driver must believe it is clang-19 so that it finds its resource
  // directory (builtin headers such as <stddef.h>).
  std::string Clang = clangPath();
  clang::driver::Driver Driver(Clang, sys::getDefaultTargetTriple(), Diags);
  Driver.setCheckInputsExist(true);
  std::vector<const char *> Argv;
  for (const std::string &A : DriverArgs)
    Argv.push_back(A.c_str());
  std::unique_ptr<clang::driver::Compilation> Comp(
      Driver.BuildCompilation(Argv));
  if (!Comp || Diags.hasErrorOccurred())
    return createStringError(inconvertibleErrorCode(),
                             "invalid compiler arguments");
  const clang::driver::Command *CC1 = nullptr;
  for (const clang::driver::Command &Job : Comp->getJobs())
    if (StringRef(Job.getCreator().getName()) == "clang")
      CC1 = &Job;
  if (!CC1)
    return createStringError(inconvertibleErrorCode(),
                             "no compile job for this translation unit");

  CompiledTU TU;
  TU.Context = std::make_unique<LLVMContext>();
  TU.Instance = std::make_unique<clang::CompilerInstance>();
  clang::CompilerInstance &CI = *TU.Instance;
  if (!clang::CompilerInvocation::CreateFromArgs(CI.getInvocation(),
                                                 CC1->getArguments(), Diags,
                                                 Argv[0]))
    return createStringError(inconvertibleErrorCode(),
                             "invalid compiler arguments");
  CI.createDiagnostics(
      new clang::TextDiagnosticPrinter(Diagnostics, &CI.getDiagnosticOpts()));
  // Unoptimised IR first: the rewrite must see every call and reference
  // before the optimiser inlines or folds them. emitObject() turns the
  // passes back on.
  CI.getCodeGenOpts().DisableLLVMPasses = true;
  // Allocation sites are matched to their calls by line and column, so the
  // module needs source locations even when the user asked for no debug
  // information; this kind emits none into the object.
  if (CI.getCodeGenOpts().getDebugInfo() == llvm::codegenoptions::NoDebugInfo)
    CI.getCodeGenOpts().setDebugInfo(llvm::codegenoptions::LocTrackingOnly);
  // Locals keep their names in the IR: control migration matches the
  // locals of two versions' loop bodies by name (LoopExtraction.cpp). The
  // body hashes number values instead of naming them (IRHash.cpp).
  CI.getCodeGenOpts().DiscardValueNames = false;
  TU.Facts.ExtraAllocators = ExtraAllocators;
  FactsAndIRAction Action(TU.Context.get(), TU.Facts);
  if (!CI.ExecuteAction(Action))
    return createStringError(inconvertibleErrorCode(), "compilation failed");
  TU.Module = Action.takeModule();
  if (!TU.Module)
    return createStringError(inconvertibleErrorCode(), "compilation failed");
  return TU;
}

Error CompiledTU::emitObject(llvm::Module &M, StringRef OutPath) {
  clang::CompilerInstance &CI = *Instance;
  clang::CodeGenOptions &CGO = CI.getCodeGenOpts();
  CGO.DisableLLVMPasses = false;
  std::error_code EC;
  auto OS = std::make_unique<raw_fd_ostream>(OutPath, EC, sys::fs::OF_None);
  if (EC)
    return createStringError(EC, OutPath + ": " + EC.message());
  clang::EmitBackendOutput(CI.getDiagnostics(), CI.getHeaderSearchOpts(), CGO,
                           CI.getTargetOpts(), CI.getLangOpts(),
                           CI.getTarget().getDataLayoutString(), &M,
                           clang::Backend_EmitObj, vfs::getRealFileSystem(),
                           std::move(OS));
  if (CI.getDiagnostics().hasErrorOccurred())
    return createStringError(inconvertibleErrorCode(),
                             "code generation failed for " + OutPath);
  return Error::success();
}

Error CompiledTU::emitIR(llvm::Module &M, StringRef OutPath) {
  std::error_code EC;
  raw_fd_ostream OS(OutPath, EC, sys::fs::OF_Text);
  if (EC)
    return createStringError(EC, OutPath + ": " + EC.message());
  M.print(OS, nullptr);
  return Error::success();
}
