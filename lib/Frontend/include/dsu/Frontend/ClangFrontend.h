//===- ClangFrontend.h - in-process clang-19 for one TU -----------*- C++ -*-===//
//
// dsu-cc compiles each translation unit with clang-19 inside its own process:
// the clang driver turns the user's command line into a cc1 invocation, the
// frontend preprocesses and parses the file, an AST visitor collects what the
// program model needs from the C level (types with field names and layouts,
// C signatures, sizeof-typed allocation sites, update points), and clang's
// code generator produces the LLVM module, with no optimisation yet. The
// Transform library then rewrites that module, and emitObject() runs clang's
// own optimisation pipeline and code generator on the result, with the
// user's options, so the object is what clang-19 would have produced for the
// rewritten translation unit.
//
//===----------------------------------------------------------------------===//
#ifndef DSU_FRONTEND_CLANGFRONTEND_H
#define DSU_FRONTEND_CLANGFRONTEND_H

#include "dsu/Model/Model.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace clang {
class CompilerInstance;
}

namespace dsu {

/// What the C level tells us beyond the LLVM module.
struct ASTFacts {
  struct Function {
    std::string Name;
    std::string Signature; ///< Canonical C type, typedefs resolved.
    std::string File;
    unsigned Line = 0;
    std::set<std::string> TypesUsed;
    std::vector<TypeUse> TypeUses; ///< See UseFacts.cpp.
    /// The C type of each local variable by the name its alloca has in the
    /// IR ("x.addr" for a parameter x), with its size in bytes; the type is
    /// "" where one name has two types (a shadowing declaration). Loop
    /// extraction describes the locals a loop body receives with them
    /// (control migration).
    struct Local {
      std::string Type;
      uint64_t Size = 0;
    };
    std::map<std::string, Local> Locals;
  };
  struct Global {
    std::string IRName; ///< Name clang gives it ("fn.var" for local statics).
    std::string Type;
    std::string TypeHash;
    bool IsConst = false;
    std::string File;
    unsigned Line = 0;
    std::string PointsTo;  ///< DSU_POINTS_TO(type)
    std::string LiveCount; ///< DSU_LIVE_COUNT(n)
  };
  std::map<std::string, Function> Functions; ///< By C name.
  std::map<std::string, Global> Globals;     ///< By IR name.
  std::vector<TypeInfo> Types;
  std::vector<AllocSite> AllocSites;       ///< Function holds the C name.
  std::vector<UpdatePointInfo> UpdatePoints; ///< Function holds the C name.
  std::vector<AddressEscape> Escapes;        ///< Function holds the C name.
  std::vector<UntypedStore> UntypedStores;
  /// System headers the program's own files include, as spelled, in order.
  std::vector<std::string> SystemIncludes;
  std::vector<UntypedCast> UntypedCasts;
  /// Names of functions that wrap an allocator (from -fdsu-allocator=NAME).
  std::vector<std::string> ExtraAllocators;
  /// Functions declared in system headers (or implicitly) and not defined
  /// here, by C name and assembler label: library functions, as opposed to
  /// the program's other units (dsu-cc's direct-call prediction).
  std::set<std::string> SystemFunctions;
};

/// One translation unit compiled up to unoptimised LLVM IR.
class CompiledTU {
public:
  CompiledTU();
  ~CompiledTU();
  CompiledTU(CompiledTU &&);

  llvm::LLVMContext &context() { return *Context; }
  llvm::Module &module() { return *Module; }
  const ASTFacts &facts() const { return Facts; }

  /// Optimises Module with the TU's own options and writes an object file.
  llvm::Error emitObject(llvm::Module &M, llvm::StringRef OutPath);
  /// Writes textual IR (for --dsu-keep).
  llvm::Error emitIR(llvm::Module &M, llvm::StringRef OutPath);

private:
  friend llvm::Expected<CompiledTU>
  compileToIR(const std::vector<std::string> &,
              const std::vector<std::string> &, llvm::raw_ostream &);
  std::unique_ptr<llvm::LLVMContext> Context;
  std::unique_ptr<clang::CompilerInstance> Instance;
  std::unique_ptr<llvm::Module> Module;
  ASTFacts Facts;
};

/// Compiles one source file. DriverArgs is a clang command line for exactly
/// this file ("clang", flags..., "-c", "file.c", "-o", "file.o"). Clang's
/// diagnostics go to Diagnostics with file and line; on failure the error says
/// compilation failed. ExtraAllocators names allocator wrappers.
llvm::Expected<CompiledTU>
compileToIR(const std::vector<std::string> &DriverArgs,
            const std::vector<std::string> &ExtraAllocators,
            llvm::raw_ostream &Diagnostics);

} // namespace dsu

#endif
