//===- Diff.h - what changed between two builds --------------------*- C++ -*-===//
//
// The patch plan: the differences between the program models of two builds,
// classified by what an update must do about each. Entities are matched by
// identity (name, plus translation unit for statics); their symbols then say
// whether the interface changed (see Model.h).
//
//   function, same symbol, other body hash   changed: rebind its slot
//   function, other symbol                   signature changed: a new
//                                            function; the old one stays for
//                                            frames and pointers still using it
//   function only in the new build           added
//   function only in the old build           removed (kept, unreachable from
//                                            new code)
//   const global, other symbol               replaced: new definition wins
//   mutable global, same symbol              kept, running value (even if its
//                                            initialiser changed)
//   mutable global, other symbol             type changed: new storage,
//                                            filled by its transformer
//   global only in the new build             added, from its initialiser
//   struct/union type with other layout      changed: objects transformed
//                                            (see Transformers.h); types are
//                                            matched by name, then by any
//                                            name they share (tag, typedef)
//   mutable global removed while the new     state lost: refused unless the
//   build has one of that name elsewhere     user allows it by name (a
//   (a renamed file, a static moved)         renamed file, a moved static)
//
// A function that calls a changed function directly (it was compiled with
// direct calls, see lib/Analysis/UpdateReach.cpp) is rebuilt too, and so,
// transitively, are its direct callers; so is a function whose calling mode
// changed between the builds.
//

//===----------------------------------------------------------------------===//
#ifndef DSU_PATCH_DIFF_H
#define DSU_PATCH_DIFF_H

#include "dsu/Model/Model.h"
#include <string>
#include <vector>

namespace dsu {

struct PatchPlan {
  enum class FunctionChangeKind { Changed, SignatureChanged, Added, Removed };
  enum class GlobalChangeKind {
    Added,
    Removed,
    ConstReplaced,
    InitialiserChangedKept,
    TypeChanged
  };
  struct FunctionChange {
    FunctionChangeKind Kind;
    std::string Name, TU, OldSymbol, NewSymbol, OldSignature, NewSignature;
    std::string File;
    unsigned Line = 0;
    /// Why a function whose body did not change is rebuilt (empty if its
    /// body changed).
    std::string Reason;
  };
  struct GlobalChange {
    GlobalChangeKind Kind;
    std::string Name, TU, OldSymbol, NewSymbol, OldType, NewType;
    /// For a type change: the old build never writes it, so its running
    /// value is its old initialiser and the new storage keeps the new one
    /// (lib/Analysis/GlobalWrites.cpp) instead of a copy of the old.
    bool TakesNewInitialiser = false;
  };
  struct TypeChange {
    std::string Name; ///< In the new build.
    std::string Detail;
    /// The name in the old build when it differs: the type was matched
    /// through another of its names (an anonymous typedef'd struct that
    /// gained a tag, a renamed tag with the same typedef).
    std::string OldName;
    const std::string &oldName() const { return OldName.empty() ? Name : OldName; }
  };

  /// Whether the patch may be applied at an update point of the old build:
  /// no frame that may be active there uses, after the update, the
  /// representation of a type the patch changes or a global whose type it
  /// changes (the update would break type safety; see
  /// lib/Analysis/Continuations.cpp).
  struct PointSafety {
    std::string File; ///< File name, as __FILE__ spells it at run time.
    unsigned Line = 0;
    bool Safe = true;
    std::string Reason;
    /// For an unsafe point: the frame (function name), the type or global
    /// symbol in conflict, and where the frame first uses it after the
    /// update (empty without continuation facts).
    std::string Frame, Type, UseFile;
    unsigned UseLine = 0;
    /// Set when this is not an update point but a blocking call where
    /// another thread may be parked during the update ("read").
    std::string BlockingCall;
    /// For a point unsafe only when reached through some calls (Reason
    /// names the first): the context site ids through which it is safe,
    /// sorted (lib/Analysis/Contexts.h). Empty: unsafe in every context.
    std::vector<uint64_t> SafeContexts;
  };

  std::string BaseVersion, TargetVersion;
  std::vector<PointSafety> Points;
  /// Names of the types (old names) and global symbols whose representation
  /// this patch changes: a frame left running from an earlier version that
  /// uses one of them must not be on the stack when the patch commits.
  std::vector<std::string> ChangedNames;
  /// Each frame of the old build that may be on a stack at an update point
  /// (by context site, lib/Analysis/Contexts.h), where it is suspended, and
  /// the types and globals the rest of it uses. The patch carries them so
  /// that the runtime can check later patches against frames this one
  /// leaves running old code. BaseSites: their sites, sorted.
  struct Residual {
    uint64_t Site = 0;
    std::string Where;
    std::vector<std::string> Uses;
  };
  std::vector<Residual> Residuals;
  std::vector<uint64_t> BaseSites;
  std::vector<FunctionChange> Functions;
  std::vector<GlobalChange> Globals;
  std::vector<TypeChange> Types;
  /// A mutable global of the old build that the new build no longer has
  /// under its identity although it defines a global of the same name
  /// elsewhere (a renamed source file, a static moved to another file):
  /// applying the patch would drop its running value. `dsu patch` refuses
  /// unless the user allows it by name.
  struct StateLoss {
    std::string Name, OldTU, NewTU;
  };
  std::vector<StateLoss> StateLosses;
  /// A changed type whose objects' addresses the old code gave to code dsu
  /// does not build (Model.h, AddressEscape): the objects cannot be moved
  /// unless the patch's transformers re-register them (DSU_REREGISTERS and
  /// a commit hook, see dsu.h).
  struct Pinned {
    std::string Type;
    std::string Where; ///< The calls, for messages.
    std::string message() const;
  };
  std::vector<Pinned> PinnedTypes;
  /// A part of the program the update changes but cannot make run new code:
  /// the loop holding an update point whose body became a new function (its
  /// frame changed: a local of another type, other locals, other exits), so
  /// the running loop keeps calling its old body for good. `dsu patch`
  /// refuses unless the user allows it (--allow-partial).
  struct Partial {
    std::string Function; ///< The loop body that stays old ("main.loop0").
    std::string File;
    unsigned Line = 0; ///< Of the update point.
    std::string Why;
  };
  std::vector<Partial> Partials;
  /// A loop holding an update point whose body became a new function, taken
  /// over by the new body at its next turn (control migration,
  /// LoopMigration.cpp): the old body's slot is rebound to an adapter that
  /// keeps the locals the new body needs in another form (or that are new)
  /// in a block of its own, filled once per running loop by a local-state
  /// transformer in the transformers file.
  struct LoopMigration {
    std::string Loop; ///< The loop body's name ("main.loop0").
    std::string OldSymbol, NewSymbol;
    std::string File;
    unsigned Line = 0; ///< Of the update point.
    struct Local {
      std::string Name;
      std::string OldType, NewType; ///< C spellings; OldType "" if new.
      int OldArg = -1;    ///< The old body's argument for it, -1 if new.
      bool Moved = false; ///< Lives in the block (else the old frame's).
      std::string Init;   ///< A new local's constant ("" none, "?" other).
    };
    std::vector<Local> Args; ///< One per argument of the new body.
    unsigned OldArgs = 0;    ///< The old body's arguments (all locals).
    /// The value the body returns to go on with the next turn: a number,
    /// or "default" for any value not among CaseValues.
    std::string Continue;
    std::vector<unsigned> CaseValues;
    std::string message() const;
  };
  std::vector<LoopMigration> Migrations;
  /// An untyped pointer place (a `void *` field "RECORD.FIELD" by its old
  /// record's name, or a global's name) that may hold a pointer to or into
  /// an object this patch moves (lib/Patch/UntypedPointers.cpp): the runtime
  /// redirects what it finds there that points into a moved object and
  /// leaves other values alone.
  struct UntypedSlot {
    std::string Place;
    std::string Why;
  };
  std::vector<UntypedSlot> UntypedSlots;
  /// A changed type whose objects come from allocators the program frees
  /// itself (-fdsu-allocator=A:FREE): rewritten in place where the new
  /// layout fits; otherwise moved through the allocator pair when all its
  /// sites use one (Allocators has one entry), else refused at run time.
  struct Pooled {
    std::string Type;
    std::vector<std::pair<std::string, std::string>> Allocators;
    std::string message() const;
  };
  std::vector<Pooled> PooledTypes;
  /// Why the patch cannot be applied (empty when it can).
  std::vector<std::string> Refusals;

  bool empty() const {
    return Functions.empty() && Globals.empty() && Types.empty() &&
           StateLosses.empty() && PinnedTypes.empty() && Partials.empty() &&
           Migrations.empty();
  }
  std::string dump() const;
  std::string toJSON() const;
};

PatchPlan diffModels(const ProgramModel &Old, const ProgramModel &New);

/// Decides, for every untyped pointer place of the old build, whether it may
/// hold the address of an object the plan's type changes move: fills
/// Plan.UntypedSlots, and adds to Plan.Refusals the places where it may but
/// could also hold a number (UntypedPointers.cpp).
void classifyUntypedPointers(const ProgramModel &Old, PatchPlan &Plan);

const char *kindName(PatchPlan::FunctionChangeKind K);
const char *kindName(PatchPlan::GlobalChangeKind K);

/// "'NAME' (static in TU)" or "'NAME'", as messages name a global.
std::string describeGlobal(const std::string &Name, const std::string &TU);

} // namespace dsu

#endif
