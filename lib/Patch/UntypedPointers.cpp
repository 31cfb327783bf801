//===- UntypedPointers.cpp - what a `void *` may point to -----------------===//
//
// A patch that changes a struct moves its objects, and every pointer to
// them must follow. Typed pointers say what they point to; an untyped one
// (a `void *` field, array field or global) does not, and refusing every
// patch while one exists (as dsu once did) blocks nearly every real server:
// an event loop's private data, a write buffer kept as `void *`.
//
// The old build's C code says what may be in each untyped place
// (lib/Frontend/UntypedFacts.cpp): the values stored into it, classified by
// what they point to before any cast, and every cast that lets a record's
// address lose its type. For each place and each type the patch moves:
//
//  * a store of a pointer to (or into) an object of the moved type puts one
//    there;
//  * a store of something the code does not type (a `void *` from a
//    parameter or a call, a `char *`, a pointer to another record) may carry
//    a moved object's address only if the program somewhere converts that
//    type's pointers to another pointer type or an integer (other than for a
//    comparison, or as the argument of a library function that keeps no
//    address; addresses given to libraries are pinned objects, see
//    findPinnedTypes);
//  * a place whose address the code takes (`&c->data`, given to memcpy or
//    written through a `void **`) may receive the bytes of any pointer
//    without a cast: it may hold any moved type;
//  * null, fresh memory from an allocator and function pointers hold none.
//
// A place that may hold a moved object's address becomes a slot of the
// patch's pointer tables that the runtime scans like a pointer into a type
// held by value: a value pointing into a moved object is redirected, any
// other value left alone. That is sound for pointers of every type, but not
// for numbers: a number that happens to equal such an address would be
// rewritten. So a place is refused, with every store named, when numbers may
// be there: an integer stored into it, or untyped values where the program
// makes pointers out of integers anywhere. DSU_POINTS_TO(type) on the place
// overrides all of this with the user's word.
//
// The facts are the old build's: what is in memory when the update commits
// was put there by the old code. A build made before dsu-cc recorded them
// gets the old rule: every unannotated untyped place may hold anything.
//
//===----------------------------------------------------------------------===//
#include "dsu/Patch/Diff.h"

#include "llvm/Support/Path.h"
#include <map>
#include <regex>
#include <set>

using namespace dsu;

namespace {

bool isUntypedPointer(const std::string &CType) {
  static const std::regex Untyped(
      "^((const|volatile) )*void \\*( const| volatile)*( ?\\[[0-9]*\\])*$");
  return std::regex_match(CType, Untyped);
}

bool isFlexibleArray(const std::string &CType) {
  return llvm::StringRef(CType).ends_with("[]");
}

std::string at(const std::string &File, unsigned Line) {
  return llvm::sys::path::filename(File).str() + ":" + std::to_string(Line);
}

/// Up to three places, then a count.
std::string places(const std::vector<const UntypedStore *> &Stores) {
  std::string S;
  for (size_t I = 0; I < Stores.size(); ++I) {
    if (I == 3)
      return S + " and " + std::to_string(Stores.size() - 3) + " more";
    S += (I ? ", " : "") + at(Stores[I]->File, Stores[I]->Line);
  }
  return S;
}

struct Place {
  std::string Name;        ///< "RECORD.FIELD" or a global's name.
  std::string Description; ///< For messages.
  bool InUnion = false;    ///< Other members alias it.
};

} // namespace

void dsu::classifyUntypedPointers(const ProgramModel &Old, PatchPlan &Plan) {
  if (Plan.Types.empty())
    return; // nothing moves
  std::set<std::string> Moved;
  for (const PatchPlan::TypeChange &T : Plan.Types)
    Moved.insert(T.oldName());

  bool HaveFacts = true;
  std::set<std::string> Defined;
  for (const TUModel &TU : Old.TUs) {
    HaveFacts &= TU.HasUntypedFacts;
    for (const FunctionInfo &F : TU.Functions)
      Defined.insert(F.Name);
  }

  // Moved types whose address may lose its type, and whether numbers may
  // become pointers anywhere.
  std::map<std::string, std::vector<const UntypedCast *>> Laundered;
  bool NumbersBecomePointers = !HaveFacts;
  std::map<std::string, std::vector<const UntypedStore *>> StoresTo;
  for (const TUModel &TU : Old.TUs) {
    for (const UntypedCast &C : TU.UntypedCasts) {
      if (C.Type == "integer")
        NumbersBecomePointers = true;
      else if (Moved.count(C.Type) &&
               (C.Callee.empty() || Defined.count(C.Callee)))
        Laundered[C.Type].push_back(&C);
    }
    for (const UntypedStore &S : TU.UntypedStores)
      StoresTo[S.Target].push_back(&S);
  }
  if (!HaveFacts)
    for (const std::string &T : Moved)
      Laundered[T]; // anything may be anywhere

  std::vector<Place> Places;
  for (const auto &[Name, T] : Old.typesByName(/*WithSystem=*/true))
    for (const FieldInfo &F : T->Fields)
      if (isUntypedPointer(F.Type) && !isFlexibleArray(F.Type) &&
          F.PointsTo.empty())
        Places.push_back({Name + "." + F.Name,
                          "field '" + Name + "." + F.Name + "'", T->IsUnion});
  std::set<std::string> GlobalsSeen;
  for (const TUModel &TU : Old.TUs)
    for (const GlobalInfo &G : TU.Globals)
      if (isUntypedPointer(G.Type) && G.PointsTo.empty() &&
          GlobalsSeen.insert(G.Name).second)
        Places.push_back({G.Name, "global '" + G.Name + "'", false});

  for (const Place &P : Places) {
    std::vector<const UntypedStore *> Typed, Untyped, Numbers;
    std::set<std::string> Holds; // moved types
    bool Anything = P.InUnion || !HaveFacts; // written through other types
    auto It = StoresTo.find(P.Name);
    if (It != StoresTo.end())
      for (const UntypedStore *S : It->second) {
        if (Moved.count(S->Source)) {
          Holds.insert(S->Source);
          Typed.push_back(S);
        } else if (S->Source == "integer") {
          Numbers.push_back(S);
        } else if (S->Source != "fresh memory" && S->Source != "function") {
          Untyped.push_back(S);
          Anything |= S->Source == "address taken";
        }
      }
    bool Unknown = !Untyped.empty() || Anything;
    if (Anything) // bytes copied in through a pointer to it: any type
      Holds.insert(Moved.begin(), Moved.end());
    else if (Unknown)
      for (const auto &[Type, Casts] : Laundered)
        Holds.insert(Type);
    if (Holds.empty())
      continue;
    std::string Types;
    for (const std::string &T : Holds)
      Types += (Types.empty() ? "" : ", ") + T;
    std::string Why = "may point into " + Types;
    if (!Typed.empty())
      Why += " (stored at " + places(Typed) + ")";
    if (Unknown) {
      Why += std::string(Typed.empty() ? ": it holds" : "; it also holds") +
             " values the code does not type" +
             (Untyped.empty() ? (P.InUnion ? " (a union member)" : "")
                              : " (stored at " + places(Untyped) + ")");
      for (const auto &[Type, Casts] : Laundered)
        if (!Casts.empty()) {
          Why += ", and " + Type + "'s address loses its type at " +
                 at(Casts[0]->File, Casts[0]->Line);
          break;
        }
    }
    if (!Numbers.empty() || (Unknown && NumbersBecomePointers)) {
      std::string Refusal =
          "the 'void *' " + P.Description + " " + Why + ", and " +
          (Numbers.empty()
               ? std::string(HaveFacts ? "the program makes pointers "
                                         "out of numbers"
                                       : "the old build does not say "
                                         "what is stored in it (built "
                                         "by an older dsu-cc)")
               : "numbers (stored at " + places(Numbers) + ")") +
          ": dsu cannot tell a pointer to redirect from a number to keep "
          "(annotate it with DSU_POINTS_TO(type) if you know what it points "
          "to)";
      Plan.Refusals.push_back(Refusal);
      continue;
    }
    Plan.UntypedSlots.push_back({P.Name, Why});
  }
  std::sort(Plan.UntypedSlots.begin(), Plan.UntypedSlots.end(),
            [](const auto &A, const auto &B) { return A.Place < B.Place; });
}
