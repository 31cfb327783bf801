//===- Transform.h - making a translation unit updatable --------*- C++ -*-===//
//
// The rewrites of one translation unit's LLVM module, declared below in the
// order dsu-cc runs them (lib/Driver/Compile.cpp):
//
//  1. extractUpdateLoops() (LoopExtraction.cpp) moves the body of every loop
//     that holds an update point into a function of its own, so a change to
//     the loop takes effect at its next iteration.
//  2. assignIdentities() (Identities.cpp) gives every function and global
//     defined in the module its identity symbol (see Model.h) and external
//     linkage, so that static entities of different translation units
//     cannot collide and a patch can link against them, then hashes every
//     body (IRHash.cpp) and fills in the TU's model.
//  3. instrumentAllocations() (Allocations.cpp) records typed heap objects;
//     instrumentThreads() (Threads.cpp) registers threads and brackets the
//     blocking calls a thread may be parked in. The module as it is now is
//     what dsu-cc stores in the object for later patches.
//  4. instrumentContexts() (Contexts.cpp) records, around each call that may
//     lead to an update point, which call a thread is in.
//  5. installSlots() (Slots.cpp) makes calls reach the newest version of a
//     function: every managed function F gets a slot (a pointer variable,
//     __dsu_slot.F) holding its current body, and a trampoline under F's
//     symbol that jumps through the slot. Calls load the slot and call
//     through it (or, from functions never active at an update point, call
//     their unit's bodies directly); every other use of F (address taken,
//     function pointers in static data) takes the trampoline's address,
//     which never changes, so pointers stored by version 1 run the newest
//     body. An update rebinds slots; frames already running keep their old
//     bodies, as the update model requires.
//  6. embedSection() (Slots.cpp) puts the TU record into the object's .dsu.tu
//     section.
//
// `dsu patch` (lib/Patch/PatchBuilder.cpp) starts from the stored form
// (after step 3) and runs steps 4 and 5 with patch options.
//
//===----------------------------------------------------------------------===//
#ifndef DSU_TRANSFORM_TRANSFORM_H
#define DSU_TRANSFORM_TRANSFORM_H

#include "dsu/Frontend/ClangFrontend.h"
#include "dsu/Model/Model.h"
#include "llvm/IR/Module.h"
#include <map>
#include <set>
#include <string>

namespace dsu {

/// The identity of a translation unit: stable across versions of the program
/// built in different directories. Override (-fdsu-tu-name) wins; else the
/// path relative to Root (-fdsu-tu-root) if the source lies below it; else
/// the file name.
std::string tuIdentity(llvm::StringRef SourcePath, llvm::StringRef Override,
                       llvm::StringRef Root = "");

//===-- 1. Loops holding update points ------------------------------------===//

/// The C type of local Local of function Function, whose storage is Size
/// bytes ("" if unknown).
using LocalTypeLookup = std::function<std::string(
    llvm::StringRef Function, llvm::StringRef Local, uint64_t Size)>;

/// Moves the body of every loop that contains an update point into a
/// function of its own (see LoopExtraction.cpp), describing the locals it
/// receives with LocalType. Returns how many.
unsigned extractUpdateLoops(llvm::Module &M,
                            const LocalTypeLookup &LocalType = {});

//===-- 2. Identities and hashes ------------------------------------------===//

/// Renames, relinks and hashes; returns the TU's program model.
llvm::Expected<TUModel> assignIdentities(llvm::Module &M,
                                         const ASTFacts &Facts,
                                         llvm::StringRef Source,
                                         llvm::StringRef TU);

//===-- 3. Heap and thread instrumentation (the stored form) --------------===//

/// Marks the sites of allocators with their own deallocator
/// (-fdsu-allocator=A:FREE) with it, and drops the untyped sites (arrays of
/// `void *`) inside those allocators and what they call: such an array is
/// the allocator's bookkeeping (memcached's list of slab pages), whose
/// entries point at blocks, not at the objects in them, and stay true when
/// an object moves because it moves through the allocator's own calls. The
/// runtime would otherwise take a page's address for a pointer to its first
/// object and refuse every update of that object's type.
void assignDeallocators(TUModel &TU,
                        const std::map<std::string, std::string> &Deallocators);

/// Adds heap tracking around allocation sites, free and realloc (see
/// Allocations.cpp). Deallocators maps an allocator wrapper to its own free
/// function: objects from it are recorded as the program's to free (the
/// runtime never frees or moves them), and calls to that function untrack
/// them. Returns the number of typed sites instrumented.
unsigned instrumentAllocations(
    llvm::Module &M, const TUModel &TU,
    const std::map<std::string, std::string> &Deallocators = {});

/// Routes pthread_create through the runtime and brackets the blocking calls
/// it knows to be safe to be parked in (see Threads.cpp).
unsigned instrumentThreads(llvm::Module &M);

//===-- 4. Context records ------------------------------------------------===//

/// Brackets the context calls of M's functions with pushes on the thread's
/// context stack (Contexts.cpp): of every function InfoOf knows, or with
/// OnlyPossiblyActive, of those the link found possibly active (not
/// DirectCalls). M must be in the form the build stores. Returns the number
/// of calls bracketed.
unsigned instrumentContexts(
    llvm::Module &M,
    llvm::function_ref<const FunctionInfo *(llvm::StringRef)> InfoOf,
    bool OnlyPossiblyActive);

//===-- 5. Slots and trampolines ------------------------------------------===//

struct SlotOptions {
  /// Functions (by symbol) reached through slots. Definitions among them
  /// become bodies; declarations are functions defined elsewhere.
  std::set<std::string> Managed;
  /// Managed functions whose slot and trampoline this module defines.
  std::set<std::string> DefineHere;
  /// Suffix appended to a body's symbol.
  std::string BodySuffix = ".body";
  /// Position-independent trampolines (patches and shared objects).
  bool PIC = false;
  /// Add plain-name aliases for external functions and globals (executable
  /// builds, so that crt1 finds main and non-dsu code finds our symbols).
  bool PlainAliases = true;
  /// Plain names of external definitions (for aliases).
  std::map<std::string, std::string> PlainNameOf;
  /// Functions (by symbol) whose calls to bodies in this module stay direct
  /// (see lib/Analysis/UpdateReach.cpp).
  std::set<std::string> DirectCallers;
};

/// SlotOptions for an executable's translation unit with model TU.
SlotOptions executableSlotOptions(const TUModel &TU);

/// Whether M is compiled for a shared object (PIC but not PIE), where
/// trampolines must reach slots through the GOT.
bool isSharedObjectCode(const llvm::Module &M);

/// Installs slots and trampolines. Returns, for each managed function defined
/// in M, its symbol mapped to the body's new name.
std::map<std::string, std::string> installSlots(llvm::Module &M,
                                                const SlotOptions &Opts);

//===-- 6. The TU record's section ----------------------------------------===//

/// Appends an object-file section holding Bytes, via module-level assembly
/// that includes the file at Path (which must exist until codegen).
void embedSection(llvm::Module &M, llvm::StringRef Section,
                  llvm::StringRef Path);

//===-- Hashes (step 2) ---------------------------------------------------===//

/// Hash of a function's body (see IRHash.cpp).
std::string hashFunctionBody(const llvm::Function &F);
/// Hash of a constant (initialisers).
std::string hashConstant(const llvm::Constant &C);
/// An IR type with every struct spelled out by its elements, so that two
/// layouts of one struct name read differently.
std::string structuralTypeText(llvm::Type *T);

} // namespace dsu

#endif
