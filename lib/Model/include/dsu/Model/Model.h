//===- Model.h - the program model --------------------------------*- C++ -*-===//
//
// The program model is what dsu knows about one build of a program: every
// function and global with its stable identity, every struct/union type with
// its layout, the update points, the direct call graph and the typed
// allocation sites. dsu-cc computes one model per translation unit (TUModel),
// stores it in the object file, and the link step gathers them into the
// program's model (ProgramModel), whose hash is the build's version id.
//
// Identity and symbols. A function is identified by its name, plus its
// translation unit when it is static. Its *symbol* additionally encodes what
// makes it a different entity when it changes: the C signature for functions,
// the type for mutable globals, and type plus initialiser for const globals.
// Two builds that agree on a symbol agree on the entity's interface, which is
// what lets a patch built from two fresh builds link against a process that
// reached the old version through earlier patches.
//
//===----------------------------------------------------------------------===//
#ifndef DSU_MODEL_MODEL_H
#define DSU_MODEL_MODEL_H

#include "llvm/Support/Error.h"
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dsu {

struct FieldInfo {
  std::string Name;
  std::string Type;     ///< C spelling of the field's type.
  std::string TypeHash; ///< Structural hash (see TypeInfo::Hash).
  uint64_t OffsetBits = 0;
  uint64_t SizeBits = 0;
  bool IsBitField = false;
  /// For `void *` fields annotated with DSU_POINTS_TO(type): the type.
  std::string PointsTo;
  bool operator==(const FieldInfo &) const = default;
};

/// A struct or union type with its layout.
struct TypeInfo {
  std::string Name; ///< "struct item", "union u", or a typedef name for an
                    ///< anonymous record ("kv_stats_t").
  bool IsUnion = false;
  uint64_t Size = 0; ///< Bytes.
  uint64_t Align = 0;
  std::vector<FieldInfo> Fields;
  /// Structural hash: field names, types and layout, recursing into fields
  /// held by value and stopping at pointers (which name their pointee only).
  std::string Hash;
  std::string File;
  unsigned Line = 0;
  /// The C definition as clang prints it (for transformer files).
  std::string Definition;
  /// Every other name the program gives this type: typedef names for a
  /// tagged record ("conn" for `typedef struct conn conn`), sorted. Types are
  /// matched across versions by any of their names, so that an anonymous
  /// typedef'd struct that gains a tag is still the same type.
  std::vector<std::string> Aliases;
  /// Declared in a system header: recorded only for the pointer tables (an
  /// allocated `struct msghdr` whose msg_name may point into a moved
  /// object), never diffed or declared in transformers.
  bool IsSystem = false;
  bool operator==(const TypeInfo &) const = default;
};

/// A place where a function body uses the representation of a struct or
/// union (C level, by line; see lib/Frontend/UseFacts.cpp). Kind is one of
/// "field" (member access), "size" (sizeof, alignof, offsetof), "copy" (the
/// whole object read, assigned or built), "arith" (pointer arithmetic or
/// indexing over objects of the type) and "frame" (a local variable or
/// parameter that holds the type or a pointer to it).
struct TypeUse {
  unsigned Line = 0;
  std::string Type;
  std::string Kind;
  bool operator==(const TypeUse &) const = default;
};

/// What an extracted loop body receives from its enclosing function's frame
/// (LoopExtraction.cpp), one per argument: what control migration matches
/// between two versions' bodies by name.
struct LoopArg {
  std::string Name;   ///< The local's name ("x.addr" for a parameter x).
  std::string Layout; ///< Structural type of the local (or of the value).
  std::string CType;  ///< C spelling of the local's type, "" if unknown.
  std::string Init;   ///< Constant it starts with, "" none, "?" not constant.
  bool Local = true;  ///< A pointer to a local (else a value).
  /// The enclosing function uses it again once it has called the body (in
  /// the loop's header or after the loop).
  bool UsedAfter = false;
  bool operator==(const LoopArg &) const = default;
};

struct FunctionInfo {
  std::string Name;      ///< C name.
  bool IsStatic = false; ///< Internal linkage: identity includes the TU.
  std::string Symbol;    ///< Identity symbol (the stable entry point).
  std::string Signature; ///< C function type, e.g. "int (int, char **)".
  std::string BodyHash;  ///< Hash of the body and all it depends on.
  bool Managed = true;   ///< Reached through an indirection slot.
  std::string File;
  unsigned Line = 0;
  std::vector<std::string> Callees; ///< Direct callees (symbols or names).
  std::vector<std::string> Globals; ///< Globals it references (symbols).
  bool AddressTaken = false;  ///< Used other than as a direct callee.
  bool IndirectCalls = false; ///< Calls through function pointers.
  /// Decided at link time (see lib/Analysis): the function can never be on
  /// the stack at an update point, so its calls to functions of its own
  /// translation unit are direct (and may be inlined). A patch that changes
  /// such a callee must rebuild this function too.
  bool DirectCalls = false;
  /// Struct and union types the body mentions in any way (values, pointers,
  /// fields, sizeof): what an active frame of it may hold across an update.
  std::vector<std::string> TypesUsed;
  /// Where the body uses the representation of a type, by line: what the
  /// continuation analysis (lib/Analysis/Continuations.cpp) matches against
  /// the lines a frame may still execute after an update.
  std::vector<TypeUse> TypeUses;
  /// For an extracted loop body: its arguments, and its exits as
  /// "VALUE=WHERE" ("continue" for the next turn), sorted.
  std::vector<LoopArg> LoopArgs;
  std::vector<std::string> LoopExits;
  bool operator==(const FunctionInfo &) const = default;
};

struct GlobalInfo {
  std::string Name;      ///< C name; "fn.var" for function-local statics.
  bool IsStatic = false; ///< Internal linkage: identity includes the TU.
  bool IsConst = false;
  std::string Symbol;
  std::string Type; ///< C spelling.
  std::string TypeHash;
  std::string InitHash; ///< Hash of the initialiser ("" if none).
  uint64_t Size = 0;
  std::string File;
  unsigned Line = 0;
  /// For a `void *` global annotated DSU_POINTS_TO(type): the type.
  std::string PointsTo;
  /// For a pointer to an array of pointers annotated DSU_LIVE_COUNT(n): the
  /// global n that counts the array's elements in use.
  std::string LiveCount;
  /// No code of the build can write it (found by `dsu patch` on the stored
  /// modules, lib/Analysis/GlobalWrites.cpp; not stored).
  bool NeverWritten = false;
  bool operator==(const GlobalInfo &) const = default;
};

/// A call to an allocator whose size argument names a type with sizeof.
struct AllocSite {
  std::string Function;
  std::string File;
  unsigned Line = 0;
  std::string Allocator; ///< malloc, calloc, realloc or a wrapper.
  std::string Type;      ///< The type named by sizeof.
  unsigned Column = 0;
  /// The size makes room for data after one object (`sizeof(struct msg) +
  /// len`): not an array of Type, and the data must move with the object.
  bool Trailing = false;
  /// The deallocator named with -fdsu-allocator=ALLOCATOR:DEALLOCATOR: the
  /// objects are the program's to free (a pool, a slab), not free()'s.
  std::string Deallocator;
  bool operator==(const AllocSite &) const = default;
};

/// A call that hands the address of an object of a struct type (or of a
/// field inside one) to a function its translation unit does not define. If
/// no unit of the program defines that function, code dsu does not build (a
/// library like libevent, the kernel through a system call wrapper) may keep
/// the address, so objects of that type cannot be moved.
struct AddressEscape {
  std::string Callee;
  std::string Type;  ///< The record whose object's address is passed.
  std::string Field; ///< Set when the address is that of this field.
  std::string Function; ///< The caller (symbol).
  std::string File;
  unsigned Line = 0;
  bool operator==(const AddressEscape &) const = default;
};

/// A value stored into an untyped pointer (a `void *` field, array element
/// or global), as the C code spells it: what `dsu patch` uses to decide
/// whether the place may hold a pointer to an object that an update moves
/// (lib/Patch/UntypedPointers.cpp).
struct UntypedStore {
  /// "RECORD.FIELD" for a field (RECORD as TypeInfo::Name), "NAME" for a
  /// global (GlobalInfo::Name).
  std::string Target;
  /// What the stored value points to: a record's name when it points to or
  /// into an object of that record; "integer" for an integer made a
  /// pointer; another C type ("char", "fresh memory" for an untyped
  /// allocation, "function") when it cannot point into a record; empty when
  /// the C code does not say (a `void *` from a parameter or a call).
  std::string Source;
  std::string File;
  unsigned Line = 0;
  bool operator==(const UntypedStore &) const = default;
};

/// A pointer to (or into) an object of a record converted to an untyped
/// pointer, another record's pointer or an integer: after it, the object's
/// address may be anywhere a `void *` is. Casts given straight to code the
/// program does not define are AddressEscapes as well.
struct UntypedCast {
  std::string Type;   ///< The record.
  std::string Callee; ///< Set when the cast value is a call's argument.
  std::string File;
  unsigned Line = 0;
  bool operator==(const UntypedCast &) const = default;
};

struct UpdatePointInfo {
  std::string Function; ///< Symbol of the enclosing function.
  std::string File;
  unsigned Line = 0;
  bool operator==(const UpdatePointInfo &) const = default;
};

/// Something the rest of an active frame may use after an update: a type's
/// representation or a global, first reached at File:Line.
struct ContinuationUse {
  std::string What;     ///< A type name, or a global's symbol.
  bool IsGlobal = false;
  std::string Kind;     ///< TypeUse::Kind, or "global".
  std::string File;
  unsigned Line = 0;
  bool operator==(const ContinuationUse &) const = default;
};

/// One frame that may be on the stack at an update point, suspended at the
/// point itself or at one call, and what the rest of it may use once control
/// returns to it.
struct FrameContinuation {
  std::string Function;        ///< Symbol.
  std::vector<unsigned> Lines; ///< Where it is suspended (the call, the point).
  /// First use of each type and global, nearest first.
  std::vector<ContinuationUse> Uses;
  /// Functions it may call through slots: they run new code, unless a patch
  /// gives them a new signature (then the old body goes on running).
  std::vector<std::string> SlotCallees;
  /// For a frame suspended at a call: the call's context site id
  /// (lib/Analysis/Contexts.h), and whether the build records it on the
  /// thread's context stack. 0 for the frame that holds the point.
  uint64_t Site = 0;
  bool Tracked = false;
  bool operator==(const FrameContinuation &) const = default;
};

/// The continuation facts of one update point, or of a blocking call where a
/// thread may be parked during an update (computed from the stored IR, not
/// stored in objects: see lib/Analysis/Continuations.h).
struct PointContinuations {
  UpdatePointInfo Point;
  std::vector<FrameContinuation> Frames; ///< The point's own frame first.
  /// Set for a blocking call where another thread may be parked during an
  /// update ("read"); Point is then that call's place.
  std::string BlockingCall;
  bool operator==(const PointContinuations &) const = default;
};

/// The model of one translation unit.
struct TUModel {
  std::string Source; ///< The source path as given to dsu-cc.
  std::string TU;     ///< Stable TU identity (see docs/update-model.md).
  std::string TUTag;  ///< Short hash of TU, used inside static symbols.
  std::vector<FunctionInfo> Functions;
  std::vector<GlobalInfo> Globals;
  std::vector<TypeInfo> Types;
  std::vector<AllocSite> AllocSites;
  std::vector<UpdatePointInfo> UpdatePoints;
  std::vector<AddressEscape> Escapes;
  std::vector<UntypedStore> UntypedStores;
  std::vector<UntypedCast> UntypedCasts;
  /// Whether UntypedStores and UntypedCasts were recorded (by a dsu-cc that
  /// knows them): without them every `void *` may hold anything.
  bool HasUntypedFacts = false;
  /// Whether FunctionInfo::TypeUses were recorded (by a dsu-cc that knows
  /// them): without them the continuation analysis would see no uses.
  bool HasTypeUses = false;
  /// System headers the unit's own files include (`event.h`), as spelled,
  /// in order: generated transformers include them for the system types
  /// that the program's structs hold.
  std::vector<std::string> SystemIncludes;
  /// External functions (by plain name) whose address this TU takes.
  std::vector<std::string> AddressTakenExternals;
  /// The compile options (no inputs or outputs), to regenerate the object at
  /// link time.
  std::vector<std::string> CompileOptions;

  /// Sorts every list so that dumps and hashes are stable.
  void canonicalize();
  std::string toJSON() const;
  static llvm::Expected<TUModel> fromJSON(llvm::StringRef Text);
  bool operator==(const TUModel &) const = default;
};

/// The tag the runtime gives heap objects allocated as `Type` ("struct item",
/// "struct entry *"): the name and a hash of its layout as TU knows it.
std::string allocationTag(const std::string &Type, const TUModel &TU);

/// The model of a linked program: its translation units.
class ProgramModel {
public:
  std::vector<TUModel> TUs;
  /// Per update point: the frames that may be active there and what their
  /// continuations use. Filled by computeContinuations(); empty otherwise.
  std::vector<PointContinuations> Continuations;

  /// The version id: a hash of every entity's symbol and content hashes.
  /// Paths and line numbers do not take part, so rebuilding the same sources
  /// elsewhere gives the same id.
  std::string versionId() const;

  /// Stable, sorted text form for tests and debugging.
  std::string dump() const;

  /// All functions and globals by symbol (last definition wins).
  std::map<std::string, const FunctionInfo *> functionsBySymbol() const;
  std::map<std::string, const GlobalInfo *> globalsBySymbol() const;
  /// Functions by symbol, and the external ones by their plain name too
  /// (calls across units name them so): what instrumentContexts looks
  /// callees up in, for dsu-cc's link and for merged programs alike.
  std::map<std::string, const FunctionInfo *> functionsByLinkName() const;
  /// Types by name; the first definition seen. System types (TypeInfo::
  /// IsSystem) only when asked for.
  std::map<std::string, const TypeInfo *>
  typesByName(bool WithSystem = false) const;
  /// Plain (external) name -> identity symbol, for functions and globals that
  /// have external linkage. Used to bind patch references made by name.
  std::map<std::string, std::string> externalSymbols() const;

  /// Checks invariants that the link step relies on: no two TUs share an
  /// identity, no external name is defined twice.
  llvm::Error validate() const;
};

} // namespace dsu

#endif
