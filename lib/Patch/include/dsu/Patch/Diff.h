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
//                                            (see Transformers.h)
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
  };
  struct TypeChange {
    std::string Name;
    std::string Detail;
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
  };

  std::string BaseVersion, TargetVersion;
  std::vector<PointSafety> Points;
  std::vector<FunctionChange> Functions;
  std::vector<GlobalChange> Globals;
  std::vector<TypeChange> Types;
  /// Why the patch cannot be applied (empty when it can).
  std::vector<std::string> Refusals;

  bool empty() const {
    return Functions.empty() && Globals.empty() && Types.empty();
  }
  std::string dump() const;
  std::string toJSON() const;
};

PatchPlan diffModels(const ProgramModel &Old, const ProgramModel &New);

const char *kindName(PatchPlan::FunctionChangeKind K);
const char *kindName(PatchPlan::GlobalChangeKind K);

} // namespace dsu

#endif
