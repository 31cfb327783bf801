#include "dsu/Patch/Diff.h"
#include "dsu/Analysis/UpdateReach.h"
#include "dsu/Patch/LoopMigration.h"
#include "dsu/Support/Hash.h"

#include "llvm/Support/Path.h"

#include "llvm/Support/raw_ostream.h"
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>

using namespace dsu;

const char *dsu::kindName(PatchPlan::FunctionChangeKind K) {
  switch (K) {
  case PatchPlan::FunctionChangeKind::Changed:
    return "changed";
  case PatchPlan::FunctionChangeKind::SignatureChanged:
    return "signature-changed";
  case PatchPlan::FunctionChangeKind::Added:
    return "added";
  case PatchPlan::FunctionChangeKind::Removed:
    return "removed";
  }
  return "?";
}

const char *dsu::kindName(PatchPlan::GlobalChangeKind K) {
  switch (K) {
  case PatchPlan::GlobalChangeKind::Added:
    return "added";
  case PatchPlan::GlobalChangeKind::Removed:
    return "removed";
  case PatchPlan::GlobalChangeKind::ConstReplaced:
    return "const-replaced";
  case PatchPlan::GlobalChangeKind::InitialiserChangedKept:
    return "initialiser-changed-value-kept";
  case PatchPlan::GlobalChangeKind::TypeChanged:
    return "type-changed";
  }
  return "?";
}

std::string PatchPlan::Pinned::message() const {
  return "objects of " + Type +
         " cannot be moved: code that dsu does not build may keep their "
         "addresses (" +
         Where + ")";
}

std::string PatchPlan::Pooled::message() const {
  if (Allocators.size() == 1)
    return Type + ": objects from " + Allocators[0].first +
           "() are rewritten in place where the new layout fits, and move "
           "through the new build's " +
           Allocators[0].first + "() and " + Allocators[0].second +
           "() where it does not";
  std::string Names;
  for (const auto &[Alloc, Free] : Allocators)
    Names += (Names.empty() ? "" : ", ") + Alloc + "()/" + Free + "()";
  return Type + ": objects from " + Names +
         " are rewritten in place where the new layout fits; one that does "
         "not makes the update fail at run time, since dsu cannot tell which "
         "allocator made it";
}

std::string dsu::describeGlobal(const std::string &Name,
                                const std::string &TU) {
  return "'" + Name + "'" + (TU.empty() ? "" : " (static in " + TU + ")");
}

namespace {
template <typename T> struct Keyed {
  const T *Entity;
  std::string TU;
};

template <typename T>
std::map<std::string, Keyed<T>>
byIdentity(const ProgramModel &P, std::vector<T> TUModel::*List) {
  std::map<std::string, Keyed<T>> M;
  for (const TUModel &TU : P.TUs)
    for (const T &E : TU.*List) {
      if constexpr (std::is_same_v<T, FunctionInfo>)
        if (!E.Managed)
          continue;
      std::string Key = E.IsStatic ? TU.TU + "::" + E.Name : E.Name;
      M[Key] = {&E, E.IsStatic ? TU.TU : ""};
    }
  return M;
}

std::string describeTypeChange(const TypeInfo &Old, const TypeInfo &New) {
  std::map<std::string, const FieldInfo *> OldFields, NewFields;
  for (const FieldInfo &F : Old.Fields)
    OldFields[F.Name] = &F;
  for (const FieldInfo &F : New.Fields)
    NewFields[F.Name] = &F;
  std::vector<std::string> Parts;
  for (const FieldInfo &F : New.Fields)
    if (!OldFields.count(F.Name))
      Parts.push_back("field '" + F.Name + "' added");
  for (const FieldInfo &F : Old.Fields) {
    auto It = NewFields.find(F.Name);
    if (It == NewFields.end())
      Parts.push_back("field '" + F.Name + "' removed");
    else if (It->second->Type != F.Type)
      Parts.push_back("field '" + F.Name + "' changed from '" + F.Type +
                      "' to '" + It->second->Type + "'");
    else if (It->second->TypeHash != F.TypeHash)
      Parts.push_back("field '" + F.Name + "' has a changed type");
    else if (It->second->OffsetBits != F.OffsetBits)
      Parts.push_back("field '" + F.Name + "' moved");
  }
  if (Old.Size != New.Size)
    Parts.push_back("size " + std::to_string(Old.Size) + " -> " +
                    std::to_string(New.Size));
  std::string S;
  for (size_t I = 0; I < Parts.size(); ++I)
    S += (I ? ", " : "") + Parts[I];
  return S.empty() ? "layout changed" : S;
}

/// Replaces the type name From by To wherever it appears as a whole name.
std::string renameType(const std::string &Text, const std::string &From,
                       const std::string &To) {
  std::regex Word("(^|[^A-Za-z0-9_])" + From + "(?![A-Za-z0-9_])");
  return std::regex_replace(Text, Word, "$1" + To);
}

bool mentionsType(const std::string &Text, const std::string &Name) {
  return renameType(Text, Name, "\x01") != Text;
}

/// Type changes between two builds. Types are matched by name; then types
/// left over are matched through any other name they share (tag and
/// typedef: `typedef struct {...} conn` that becomes `typedef struct conn
/// {...} conn`); then by evidence of a rename: a place that both builds
/// have (a global, a field of a matched type, a function's signature, the
/// type's own fields) holds the old type in the old build where it holds
/// the new type in the new one (`struct item *head` -> `struct record
/// *head`), and no other. A type matched through another name has new tags
/// even with the same fields, so it is transformed. A type that vanished
/// with no partner keeps its old objects, unreachable from new code's
/// types.
std::vector<PatchPlan::TypeChange> diffTypes(const ProgramModel &Old,
                                             const ProgramModel &New) {
  std::vector<PatchPlan::TypeChange> Changes;
  auto OldT = Old.typesByName();
  auto NewT = New.typesByName();
  std::map<std::string, std::string> NewToOld; // matched pairs
  for (const auto &[Name, NT] : NewT) {
    auto It = OldT.find(Name);
    if (It == OldT.end())
      continue;
    NewToOld[Name] = Name;
    if (It->second->Hash != NT->Hash)
      Changes.push_back({Name, describeTypeChange(*It->second, *NT), ""});
  }
  auto Unmatched = [&](const auto &Types, bool IsOld) {
    std::vector<std::string> Out;
    for (const auto &[Name, T] : Types) {
      bool Matched = false;
      for (const auto &[N, O] : NewToOld)
        Matched |= (IsOld ? O : N) == Name;
      if (!Matched)
        Out.push_back(Name);
    }
    return Out;
  };
  auto Match = [&](const std::string &NewName, const std::string &OldName,
                   const std::string &How) {
    const TypeInfo &OT = *OldT.at(OldName), &NT = *NewT.at(NewName);
    NewToOld[NewName] = OldName;
    Changes.push_back({NewName,
                       "was " + OldName + " (" + How + "), " +
                           describeTypeChange(OT, NT),
                       OldName});
  };

  // Through a shared name.
  {
    auto Names = [](const TypeInfo &T) {
      std::set<std::string> S(T.Aliases.begin(), T.Aliases.end());
      S.insert(T.Name);
      return S;
    };
    std::map<std::string, std::set<std::string>> OldByAnyName;
    for (const std::string &Name : Unmatched(OldT, true))
      for (const std::string &A : Names(*OldT.at(Name)))
        OldByAnyName[A].insert(Name);
    std::set<std::string> Taken;
    for (const std::string &Name : Unmatched(NewT, false)) {
      std::set<std::string> Candidates;
      for (const std::string &A : Names(*NewT.at(Name)))
        if (auto It = OldByAnyName.find(A); It != OldByAnyName.end())
          Candidates.insert(It->second.begin(), It->second.end());
      if (Candidates.size() == 1 && Taken.insert(*Candidates.begin()).second)
        Match(Name, *Candidates.begin(), "the same typedef name");
    }
  }

  // Through a rename that the program's other places show.
  {
    std::vector<std::pair<std::string, std::string>> Places; // old, new
    for (const auto &[N, O] : NewToOld) {
      std::map<std::string, std::string> OldFields;
      for (const FieldInfo &F : OldT.at(O)->Fields)
        OldFields[F.Name] = F.Type;
      for (const FieldInfo &F : NewT.at(N)->Fields)
        if (auto It = OldFields.find(F.Name); It != OldFields.end())
          Places.push_back({It->second, F.Type});
    }
    auto OldG = byIdentity(Old, &TUModel::Globals);
    for (const auto &[Key, N] : byIdentity(New, &TUModel::Globals))
      if (auto It = OldG.find(Key); It != OldG.end())
        Places.push_back({It->second.Entity->Type, N.Entity->Type});
    auto OldF = byIdentity(Old, &TUModel::Functions);
    for (const auto &[Key, N] : byIdentity(New, &TUModel::Functions))
      if (auto It = OldF.find(Key); It != OldF.end())
        Places.push_back({It->second.Entity->Signature, N.Entity->Signature});
    std::vector<std::string> UO = Unmatched(OldT, true),
                             UN = Unmatched(NewT, false);
    std::map<std::string, std::set<std::string>> Evidence, Reverse;
    for (const std::string &O : UO)
      for (const std::string &N : UN) {
        bool Seen = false;
        for (const auto &[OldText, NewText] : Places)
          Seen |= mentionsType(OldText, O) &&
                  renameType(OldText, O, N) == NewText;
        // The type's own fields: `struct item *next` -> `struct record *next`.
        std::map<std::string, std::string> OwnOld;
        for (const FieldInfo &F : OldT.at(O)->Fields)
          OwnOld[F.Name] = F.Type;
        for (const FieldInfo &F : NewT.at(N)->Fields)
          if (auto It = OwnOld.find(F.Name);
              It != OwnOld.end() && mentionsType(It->second, O))
            Seen |= renameType(It->second, O, N) == F.Type;
        if (Seen) {
          Evidence[O].insert(N);
          Reverse[N].insert(O);
        }
      }
    for (const auto &[O, Ns] : Evidence)
      if (Ns.size() == 1 && Reverse[*Ns.begin()].size() == 1)
        Match(*Ns.begin(), O, "renamed: the same places hold it");
  }
  std::sort(Changes.begin(), Changes.end(),
            [](const auto &A, const auto &B) { return A.Name < B.Name; });
  return Changes;
}

/// How a frame's name reads in messages: an extracted loop body is its
/// enclosing function's frame as far as the user is concerned.
std::string frameName(const FunctionInfo &F) {
  std::string Name = F.Name;
  if (size_t Dot = Name.find(".loop"); Dot != std::string::npos)
    Name = Name.substr(0, Dot);
  return "function '" + Name + "' (" +
         llvm::sys::path::filename(F.File).str() + ":" +
         std::to_string(F.Line) + ")";
}

const char *useKindText(const std::string &Kind) {
  if (Kind == "field")
    return "a field access";
  if (Kind == "size")
    return "its size";
  if (Kind == "copy")
    return "a copy of a whole object";
  if (Kind == "arith")
    return "pointer arithmetic";
  if (Kind == "frame")
    return "held in its frame, where dsu cannot update it";
  return "a use";
}

/// The safety of the patch at update point U (docs/update-model.md,
/// "Safety"): no frame that may be active at U uses, after the update, the
/// representation of a type the patch changes or a global whose type it
/// changes, and none calls the old body of a function whose signature the
/// patch changes (or that it removes) that uses such a type. Without
/// continuation facts (see lib/Analysis/Continuations.h) every function
/// that may be active is taken to use whatever its body mentions.
void checkPoint(const ProgramModel &Old, const ProgramModel &New,
                const UpdatePointInfo &U,
                const std::set<std::string> &ChangedTypes,
                const std::set<std::string> &ChangedGlobals,
                PatchPlan::PointSafety &S,
                const PointContinuations *Facts = nullptr) {
  auto OldBySymbol = Old.functionsBySymbol();
  auto NewBySymbol = New.functionsBySymbol();
  auto Unsafe = [&](const FunctionInfo &F, const std::string &What,
                    std::string Detail) {
    S.Safe = false;
    S.Frame = F.Name;
    S.Type = What;
    S.Reason = (S.BlockingCall.empty() ? ""
                                       : "a thread may be parked in " +
                                             S.BlockingCall + " here; ") +
               frameName(F) + ", which may be active here" + Detail;
  };
  for (const PointContinuations &PC : Old.Continuations)
    if (!Facts && PC.Point == U && PC.BlockingCall.empty())
      Facts = &PC;
  if (!Facts) {
    for (const std::string &Sym : functionsActiveAt(Old, U)) {
      auto It = OldBySymbol.find(Sym);
      if (It == OldBySymbol.end() || !S.Safe)
        continue;
      const FunctionInfo &F = *It->second;
      for (const std::string &T : F.TypesUsed)
        if (S.Safe && ChangedTypes.count(T))
          Unsafe(F, T, ", uses " + T + ", which this patch changes");
      for (const std::string &G : F.Globals)
        if (S.Safe && ChangedGlobals.count(G))
          Unsafe(F, G,
                 ", uses global '" + G.substr(0, G.find('.')) +
                     "', whose type this patch changes");
    }
    return;
  }
  // The first conflict of each frame. A frame suspended at a call the build
  // records on the thread's context stack conflicts only when the point is
  // reached through that call, and the runtime can tell (Contexts.cpp): the
  // point is then unsafe in those contexts and safe in the others.
  struct Conflict {
    std::string What, Detail, UseFile;
    unsigned UseLine = 0;
  };
  auto FirstConflict =
      [&](const FrameContinuation &FC) -> std::optional<Conflict> {
    for (const ContinuationUse &Use : FC.Uses) {
      std::string File = llvm::sys::path::filename(Use.File).str();
      std::string At = File + ":" + std::to_string(Use.Line);
      if (!Use.IsGlobal && ChangedTypes.count(Use.What))
        return Conflict{Use.What,
                        "uses " + Use.What + " at " + At +
                            " after the update (" + useKindText(Use.Kind) +
                            "), which this patch changes",
                        File, Use.Line};
      if (Use.IsGlobal && ChangedGlobals.count(Use.What))
        return Conflict{
            Use.What,
            "uses global '" + Use.What.substr(0, Use.What.find('.')) + "' at " +
                At + " after the update, whose type this patch changes",
            File, Use.Line};
    }
    // A callee whose symbol the new build lacks keeps its old body for this
    // frame; that body may use anything it mentions.
    for (const std::string &Callee : FC.SlotCallees) {
      auto C = OldBySymbol.find(Callee);
      if (NewBySymbol.count(Callee) || C == OldBySymbol.end())
        continue;
      for (const std::string &T : C->second->TypesUsed)
        if (ChangedTypes.count(T))
          return Conflict{T,
                          "goes on calling the old body of '" +
                              C->second->Name +
                              "' (its signature changed or it was removed), "
                              "which uses " +
                              T + ", which this patch changes",
                          "", 0};
    }
    return std::nullopt;
  };
  std::vector<uint64_t> SafeSites;
  bool Contextual = false;
  for (const FrameContinuation &FC : Facts->Frames) {
    auto It = OldBySymbol.find(FC.Function);
    if (It == OldBySymbol.end())
      continue;
    const FunctionInfo &F = *It->second;
    std::optional<Conflict> C = FirstConflict(FC);
    if (!C) {
      if (FC.Site && FC.Tracked)
        SafeSites.push_back(FC.Site);
      continue;
    }
    // The frame holding the point conflicts however the point is reached.
    bool InContext = FC.Site && FC.Tracked && &FC != &Facts->Frames.front();
    if (InContext && Contextual)
      continue; // the first one names the cause
    std::string Through = InContext && !FC.Lines.empty()
                              ? " through its call at " +
                                    llvm::sys::path::filename(F.File).str() +
                                    ":" + std::to_string(FC.Lines.front())
                              : "";
    Unsafe(F, C->What, Through + ", " + C->Detail);
    S.UseFile = C->UseFile;
    S.UseLine = C->UseLine;
    if (!InContext) {
      S.SafeContexts.clear();
      return;
    }
    Contextual = true;
  }
  // Safe points keep the list too: a frame the runtime finds on the stack
  // that is not in it was left running by an earlier version, and is
  // checked against what it recorded (PatchPlan::Residuals).
  std::sort(SafeSites.begin(), SafeSites.end());
  SafeSites.erase(std::unique(SafeSites.begin(), SafeSites.end()),
                  SafeSites.end());
  S.SafeContexts = std::move(SafeSites);
  if (Contextual)
    S.Reason += "; safe when reached otherwise (checked at run time)";
}
} // namespace

namespace {
/// Functions changed, added and removed, and the unchanged ones that must
/// be rebuilt with them (readers of a replaced const, direct callers).
void diffFunctions(const ProgramModel &Old, const ProgramModel &New,
                   PatchPlan &Plan) {
  using FK = PatchPlan::FunctionChangeKind;
  auto OldF = byIdentity(Old, &TUModel::Functions);
  auto NewF = byIdentity(New, &TUModel::Functions);
  for (const auto &[Key, N] : NewF) {
    const FunctionInfo &NF = *N.Entity;
    PatchPlan::FunctionChange C{FK::Added, NF.Name, N.TU, "", NF.Symbol, "",
                                NF.Signature, NF.File, NF.Line};
    auto It = OldF.find(Key);
    if (It != OldF.end()) {
      const FunctionInfo &OF = *It->second.Entity;
      C.OldSymbol = OF.Symbol;
      C.OldSignature = OF.Signature;
      if (OF.Symbol != NF.Symbol)
        C.Kind = FK::SignatureChanged;
      else if (OF.BodyHash != NF.BodyHash)
        C.Kind = FK::Changed;
      else
        continue;
    }
    Plan.Functions.push_back(C);
  }
  // A const global whose value changed is a new definition; code of its own
  // unit names it by its new symbol and so changed, but code of other units
  // reads it through an extern declaration, by its plain name, and would go
  // on reading the old definition: rebuild it, binding that name anew.
  {
    std::set<std::string> Replaced;
    auto OldGlobals = byIdentity(Old, &TUModel::Globals);
    for (const auto &[Key, N] : byIdentity(New, &TUModel::Globals))
      if (auto It = OldGlobals.find(Key);
          It != OldGlobals.end() && !N.Entity->IsStatic &&
          N.Entity->IsConst && It->second.Entity->IsConst &&
          It->second.Entity->Symbol != N.Entity->Symbol)
        Replaced.insert(N.Entity->Name);
    std::set<std::string> Rebuilt;
    for (const PatchPlan::FunctionChange &C : Plan.Functions)
      Rebuilt.insert(C.OldSymbol);
    auto NewBySymbol = New.functionsBySymbol();
    for (const auto &[Key, O] : OldF) {
      const FunctionInfo &OF = *O.Entity;
      if (Rebuilt.count(OF.Symbol) || !NewBySymbol.count(OF.Symbol))
        continue;
      for (const std::string &G : OF.Globals)
        if (Replaced.count(G)) {
          Plan.Functions.push_back(
              {FK::Changed, OF.Name, O.TU, OF.Symbol, OF.Symbol, OF.Signature,
               OF.Signature, OF.File, OF.Line,
               "reads const global '" + G + "', whose value changed"});
          Rebuilt.insert(OF.Symbol);
          break;
        }
    }
  }

  // Direct callers of rebuilt functions must be rebuilt: their old code may
  // have the old callee inlined or call its old body directly.
  {
    std::map<std::string, const FunctionInfo *> NewBySymbol =
        New.functionsBySymbol();
    std::map<std::string, PatchPlan::FunctionChange> Extra;
    std::set<std::string> Rebuilt;
    for (const PatchPlan::FunctionChange &C : Plan.Functions)
      if (C.Kind == FK::Changed)
        Rebuilt.insert(C.NewSymbol);
    for (const auto &[Key, O] : OldF) {
      const FunctionInfo &OF = *O.Entity;
      auto N = NewBySymbol.find(OF.Symbol);
      if (N != NewBySymbol.end() && !Rebuilt.count(OF.Symbol) &&
          N->second->DirectCalls != OF.DirectCalls) {
        Rebuilt.insert(OF.Symbol);
        Extra[OF.Symbol] = {FK::Changed, OF.Name, O.TU, OF.Symbol, OF.Symbol,
                            OF.Signature, OF.Signature, OF.File, OF.Line,
                            "its calling mode changed"};
      }
    }
    bool Grew = true;
    while (Grew) {
      Grew = false;
      for (const auto &[Key, O] : OldF) {
        const FunctionInfo &OF = *O.Entity;
        if (!OF.DirectCalls || Rebuilt.count(OF.Symbol) ||
            !NewBySymbol.count(OF.Symbol))
          continue;
        for (const std::string &Callee : OF.Callees)
          if (Rebuilt.count(Callee)) {
            size_t Dot = Callee.find('.');
            Extra[OF.Symbol] = {FK::Changed, OF.Name, O.TU, OF.Symbol,
                                OF.Symbol, OF.Signature, OF.Signature,
                                OF.File, OF.Line,
                                "calls " + Callee.substr(0, Dot) +
                                    " directly"};
            Rebuilt.insert(OF.Symbol);
            Grew = true;
            break;
          }
      }
    }
    for (auto &[Symbol, C] : Extra)
      Plan.Functions.push_back(C);
  }

  for (const auto &[Key, O] : OldF)
    if (!NewF.count(Key))
      Plan.Functions.push_back({FK::Removed, O.Entity->Name, O.TU,
                                O.Entity->Symbol, "", O.Entity->Signature, "",
                                O.Entity->File, O.Entity->Line});
}

/// Globals changed, added and removed, and the running values an update
/// would drop.
void diffGlobals(const ProgramModel &Old, const ProgramModel &New,
                   PatchPlan &Plan) {
  using GK = PatchPlan::GlobalChangeKind;
  auto OldG = byIdentity(Old, &TUModel::Globals);
  auto NewG = byIdentity(New, &TUModel::Globals);
  for (const auto &[Key, N] : NewG) {
    const GlobalInfo &NG = *N.Entity;
    PatchPlan::GlobalChange C{GK::Added, NG.Name, N.TU, "", NG.Symbol, "",
                              NG.Type};
    auto It = OldG.find(Key);
    if (It != OldG.end()) {
      const GlobalInfo &OG = *It->second.Entity;
      C.OldSymbol = OG.Symbol;
      C.OldType = OG.Type;
      if (OG.Symbol == NG.Symbol) {
        if (OG.InitHash == NG.InitHash)
          continue;
        C.Kind = GK::InitialiserChangedKept;
      } else if (OG.IsConst && NG.IsConst) {
        C.Kind = GK::ConstReplaced;
      } else {
        C.Kind = GK::TypeChanged;
        C.TakesNewInitialiser = OG.NeverWritten && !NG.IsConst;
      }
    }
    Plan.Globals.push_back(C);
  }
  // A mutable global that disappears while a global of the same name
  // appears elsewhere (a renamed file, a static moved to another file) is
  // the same variable to the program: the update would start it from its
  // initialiser and drop the running value.
  std::multimap<std::string, const Keyed<GlobalInfo> *> AddedByName;
  for (const auto &[Key, N] : NewG)
    if (!OldG.count(Key) && !N.Entity->IsConst)
      AddedByName.emplace(N.Entity->Name, &N);
  for (const auto &[Key, O] : OldG) {
    if (NewG.count(Key))
      continue;
    Plan.Globals.push_back({GK::Removed, O.Entity->Name, O.TU,
                            O.Entity->Symbol, "", O.Entity->Type, ""});
    auto Same = AddedByName.find(O.Entity->Name);
    if (!O.Entity->IsConst && Same != AddedByName.end())
      Plan.StateLosses.push_back(
          {O.Entity->Name, O.TU, Same->second->TU});
  }
}

/// Loops that would keep running old code for good: the function holding
/// an update point (an extracted loop body) that the new build replaces
/// with another function or drops. A loop body whose new version can take
/// over the running loop is migrated instead (LoopMigration.cpp).
void findPartials(const ProgramModel &Old, const ProgramModel &New,
                  PatchPlan &Plan) {
  using FK = PatchPlan::FunctionChangeKind;
  std::map<std::string, const PatchPlan::FunctionChange *> ByOldSymbol;
  for (const PatchPlan::FunctionChange &C : Plan.Functions)
    if (C.Kind == FK::SignatureChanged || C.Kind == FK::Removed)
      ByOldSymbol[C.OldSymbol] = &C;
  auto OldFunctions = Old.functionsBySymbol();
  auto NewFunctions = New.functionsBySymbol();
  std::set<std::string> Seen;
  for (const TUModel &TU : Old.TUs)
    for (const UpdatePointInfo &U : TU.UpdatePoints) {
      auto It = ByOldSymbol.find(U.Function);
      if (It == ByOldSymbol.end() || !Seen.insert(U.Function).second)
        continue;
      const PatchPlan::FunctionChange &C = *It->second;
      bool IsLoop = C.Name.find(".loop") != std::string::npos;
      std::string File = llvm::sys::path::filename(U.File).str();
      std::string WhyNot;
      if (IsLoop && C.Kind == FK::SignatureChanged) {
        auto O = OldFunctions.find(C.OldSymbol);
        auto N = NewFunctions.find(C.NewSymbol);
        if (O != OldFunctions.end() && N != NewFunctions.end())
          if (auto M = planLoopMigration(*O->second, *N->second, WhyNot)) {
            M->File = File;
            M->Line = U.Line;
            Plan.Migrations.push_back(std::move(*M));
            continue;
          }
      }
      std::string Loop =
          IsLoop ? "the loop body " + C.Name : "function " + C.Name;
      Plan.Partials.push_back(
          {C.Name, File, U.Line,
           Loop + ", which holds this update point, " +
               (C.Kind == FK::Removed
                    ? std::string("is gone from the new build")
                    : "became a new function ('" + C.OldSignature + "' -> '" +
                          C.NewSignature + "')") +
               ": the running loop keeps calling its old body, and the "
               "new one runs only when its caller is entered again" +
               (WhyNot.empty() ? std::string()
                               : " (it cannot take over the running loop: " +
                                     WhyNot + ")")});
    }
}

/// Objects whose address the old code gave to code dsu does not build (a
/// library that keeps it, like libevent's event_set) cannot be moved: the
/// library would go on using the old address.
void findPinnedTypes(const ProgramModel &Old, PatchPlan &Plan) {
  std::set<std::string> Defined;
  for (const TUModel &TU : Old.TUs)
    for (const FunctionInfo &F : TU.Functions)
      Defined.insert(F.Name);
  std::map<std::string, std::vector<const AddressEscape *>> EscapesOf;
  for (const TUModel &TU : Old.TUs)
    for (const AddressEscape &E : TU.Escapes)
      if (!Defined.count(E.Callee))
        EscapesOf[E.Type].push_back(&E);
  for (const PatchPlan::TypeChange &T : Plan.Types) {
    auto It = EscapesOf.find(T.oldName());
    if (It == EscapesOf.end())
      continue;
    std::string Where;
    size_t Shown = 0;
    for (const AddressEscape *E : It->second) {
      if (Shown++ == 3) {
        Where += ", and " + std::to_string(It->second.size() - 3) + " more";
        break;
      }
      Where += std::string(Shown > 1 ? ", " : "") +
               (E->Field.empty() ? "an object"
                                 : "its field '" + E->Field + "'") +
               " is given to " + E->Callee + " at " +
               llvm::sys::path::filename(E->File).str() + ":" +
               std::to_string(E->Line);
    }
    Plan.PinnedTypes.push_back({T.Name, Where});
  }
}

/// Objects allocated with room for data after them (`sizeof(struct msg) +
/// len`) move with that data, which the runtime copies as it is from the
/// old flexible array member (or the old end) to the new one. When the
/// flexible array member changes its element type, the data would need
/// converting, which nothing says how to do: refused, naming the sites.
/// Changed types with objects from allocators the program frees itself,
/// and the allocator pairs their sites use (Transformers.cpp's
/// emitAllocatorPair moves them through the pair when there is one).
void findPooledTypes(const ProgramModel &Old, PatchPlan &Plan) {
  for (const PatchPlan::TypeChange &T : Plan.Types) {
    std::set<std::pair<std::string, std::string>> Pairs;
    for (const TUModel &TU : Old.TUs)
      for (const AllocSite &A : TU.AllocSites)
        if (A.Type == T.oldName() && !A.Deallocator.empty())
          Pairs.insert({A.Allocator, A.Deallocator});
    if (!Pairs.empty())
      Plan.PooledTypes.push_back(
          {T.Name, std::vector<std::pair<std::string, std::string>>(
                       Pairs.begin(), Pairs.end())});
  }
}

void refuseTrailingObjects(const ProgramModel &Old, const ProgramModel &New,
                           PatchPlan &Plan) {
  auto OldTypes = Old.typesByName(), NewTypes = New.typesByName();
  // The type of a flexible array member, `[]` or GNU C's `[0]`.
  auto Flexible = [](const TypeInfo *T) -> std::string {
    for (const FieldInfo &F : T->Fields) {
      llvm::StringRef Type(F.Type);
      if (Type.ends_with("[]") || Type.ends_with("[0]"))
        return F.Type;
    }
    return "";
  };
  auto Element = [](llvm::StringRef Type) {
    Type.consume_back("[]") || Type.consume_back("[0]");
    return Type.rtrim().str();
  };
  for (const PatchPlan::TypeChange &T : Plan.Types) {
    auto O = OldTypes.find(T.oldName());
    auto N = NewTypes.find(T.Name);
    if (O == OldTypes.end() || N == NewTypes.end())
      continue;
    std::string OldData = Flexible(O->second), NewData = Flexible(N->second);
    if (OldData.empty() || NewData.empty() ||
        Element(OldData) == Element(NewData))
      continue;
    std::vector<std::string> Sites;
    for (const TUModel &TU : Old.TUs)
      for (const AllocSite &A : TU.AllocSites)
        if (A.Trailing && A.Type == T.oldName())
          Sites.push_back(llvm::sys::path::filename(A.File).str() + ":" +
                          std::to_string(A.Line));
    if (Sites.empty())
      continue;
    std::sort(Sites.begin(), Sites.end());
    std::string Where;
    for (size_t I = 0; I < Sites.size() && I < 3; ++I)
      Where += (I ? ", " : "") + Sites[I];
    if (Sites.size() > 3)
      Where += " and " + std::to_string(Sites.size() - 3) + " more";
    Plan.Refusals.push_back(
        "objects of " + T.Name + " are allocated with data after them (" +
        Where + "), and the patch changes that data's type ('" + OldData +
        "' -> '" + NewData + "'), which dsu cannot convert");
  }
}

/// Safety at each update point of the old build.
void checkSafety(const ProgramModel &Old, const ProgramModel &New,
                   PatchPlan &Plan) {
  using GK = PatchPlan::GlobalChangeKind;
  std::set<std::string> ChangedTypes, ChangedGlobals;
  for (const PatchPlan::TypeChange &T : Plan.Types)
    ChangedTypes.insert(T.oldName()); // old functions use old names
  for (const PatchPlan::GlobalChange &G : Plan.Globals)
    if (G.Kind == GK::TypeChanged)
      ChangedGlobals.insert(G.OldSymbol);
  for (const std::string &T : ChangedTypes)
    Plan.ChangedNames.push_back(T);
  for (const std::string &G : ChangedGlobals)
    Plan.ChangedNames.push_back(G);
  for (const TUModel &TU : Old.TUs)
    for (const UpdatePointInfo &U : TU.UpdatePoints) {
      PatchPlan::PointSafety S;
      S.File = llvm::sys::path::filename(U.File).str();
      S.Line = U.Line;
      if (!ChangedTypes.empty() || !ChangedGlobals.empty())
        checkPoint(Old, New, U, ChangedTypes, ChangedGlobals, S);
      Plan.Points.push_back(S);
    }
  // Places where another thread may be parked while the update commits
  // (programs with threads): the runtime keeps the commit waiting while a
  // thread is parked at one found unsafe.
  for (const PointContinuations &PC : Old.Continuations) {
    if (PC.BlockingCall.empty())
      continue;
    PatchPlan::PointSafety S;
    S.File = PC.Point.File;
    S.Line = PC.Point.Line;
    S.BlockingCall = PC.BlockingCall;
    if (!ChangedTypes.empty() || !ChangedGlobals.empty())
      checkPoint(Old, New, PC.Point, ChangedTypes, ChangedGlobals, S, &PC);
    Plan.Points.push_back(S);
  }
  std::sort(Plan.Points.begin(), Plan.Points.end(),
            [](const auto &A, const auto &B) {
              return std::tie(A.File, A.Line, A.BlockingCall) <
                     std::tie(B.File, B.Line, B.BlockingCall);
            });
}

/// Every frame of the old build the runtime may find on a stack, and what
/// the rest of it uses: after this patch, such a frame may go on running
/// old code, and later patches are checked against this record.
void recordResiduals(const ProgramModel &Old, PatchPlan &Plan) {
  auto OldBySymbol = Old.functionsBySymbol();
  std::map<uint64_t, PatchPlan::Residual> Frames;
  for (const PointContinuations &PC : Old.Continuations)
    for (const FrameContinuation &FC : PC.Frames) {
      if (!FC.Site || !FC.Tracked || Frames.count(FC.Site))
        continue;
      PatchPlan::Residual R;
      R.Site = FC.Site;
      auto F = OldBySymbol.find(FC.Function);
      R.Where = "function '" +
                (F == OldBySymbol.end() ? FC.Function : F->second->Name) +
                "'";
      if (F != OldBySymbol.end() && !FC.Lines.empty())
        R.Where += " at " + llvm::sys::path::filename(F->second->File).str() +
                   ":" + std::to_string(FC.Lines.front());
      std::set<std::string> Uses;
      for (const ContinuationUse &U : FC.Uses)
        Uses.insert(U.What);
      R.Uses.assign(Uses.begin(), Uses.end());
      Frames[FC.Site] = std::move(R);
    }
  for (auto &[Site, R] : Frames) {
    Plan.BaseSites.push_back(Site);
    Plan.Residuals.push_back(std::move(R));
  }
}

} // namespace

PatchPlan dsu::diffModels(const ProgramModel &Old, const ProgramModel &New) {
  PatchPlan Plan;
  Plan.BaseVersion = Old.versionId();
  Plan.TargetVersion = New.versionId();
  diffFunctions(Old, New, Plan);
  diffGlobals(Old, New, Plan);
  Plan.Types = diffTypes(Old, New);
  findPartials(Old, New, Plan);
  findPinnedTypes(Old, Plan);
  classifyUntypedPointers(Old, Plan);
  refuseTrailingObjects(Old, New, Plan);
  findPooledTypes(Old, Plan);
  checkSafety(Old, New, Plan);
  recordResiduals(Old, Plan);

  auto ByName = [](const auto &A, const auto &B) {
    return std::tie(A.Name, A.TU, A.NewSymbol, A.OldSymbol) <
           std::tie(B.Name, B.TU, B.NewSymbol, B.OldSymbol);
  };
  std::sort(Plan.Functions.begin(), Plan.Functions.end(), ByName);
  std::sort(Plan.Globals.begin(), Plan.Globals.end(), ByName);
  std::sort(Plan.Refusals.begin(), Plan.Refusals.end());
  std::sort(Plan.StateLosses.begin(), Plan.StateLosses.end(),
            [](const auto &A, const auto &B) {
              return std::tie(A.Name, A.OldTU) < std::tie(B.Name, B.OldTU);
            });
  return Plan;
}

std::string PatchPlan::dump() const {
  std::string Out;
  llvm::raw_string_ostream OS(Out);
  OS << "patch " << BaseVersion << " -> " << TargetVersion << "\n";
  // The summary first: a small fix in a large server rebuilds many
  // callers, and the few lines that matter must not drown in them.
  size_t Edited = 0, Rebuilt = 0, Added = 0, Removed = 0;
  for (const FunctionChange &F : Functions) {
    if (F.Kind == FunctionChangeKind::Added)
      ++Added;
    else if (F.Kind == FunctionChangeKind::Removed)
      ++Removed;
    else if (F.Reason.empty())
      ++Edited;
    else
      ++Rebuilt;
  }
  size_t Unsafe = 0, InSomeContexts = 0;
  for (const PointSafety &P : Points)
    if (!P.Safe) {
      ++Unsafe;
      InSomeContexts += !P.SafeContexts.empty();
    }
  // Only what the patch has: the plan's lines say "removed" or "unsafe"
  // only where something is.
  std::vector<std::string> Parts;
  auto Count = [&](size_t N, const char *One, const char *Many) {
    if (N)
      Parts.push_back(std::to_string(N) + " " + (N == 1 ? One : Many));
  };
  Count(Edited, "function changed", "functions changed");
  Count(Rebuilt, "caller rebuilt", "callers rebuilt");
  Count(Added, "function added", "functions added");
  Count(Removed, "function removed", "functions removed");
  Count(Globals.size(), "global changed", "globals changed");
  Count(Types.size(), "type changed", "types changed");
  Count(Migrations.size(), "running loop migrated", "running loops migrated");
  Count(Unsafe, "place where the update must wait",
        "places where the update must wait");
  if (InSomeContexts)
    Parts.back() +=
        " (" + std::to_string(InSomeContexts) + " only through some calls)";
  Count(StateLosses.size() + Partials.size() + PinnedTypes.size() +
            Refusals.size(),
        "refusal", "refusals");
  if (!Parts.empty()) {
    OS << "summary: ";
    for (size_t I = 0; I < Parts.size(); ++I)
      OS << (I ? ", " : "") << Parts[I];
    OS << "\n";
  }
  for (const FunctionChange &F : Functions) {
    OS << "function " << kindName(F.Kind) << " " << F.Name;
    if (!F.TU.empty())
      OS << " (static in " << F.TU << ")";
    if (F.Kind == FunctionChangeKind::SignatureChanged)
      OS << ": '" << F.OldSignature << "' -> '" << F.NewSignature << "'";
    if (!F.Reason.empty())
      OS << " (rebuilt: " << F.Reason << ")";
    OS << "\n";
  }
  for (const GlobalChange &G : Globals) {
    OS << "global " << kindName(G.Kind) << " " << G.Name;
    if (!G.TU.empty())
      OS << " (static in " << G.TU << ")";
    if (G.Kind == GlobalChangeKind::TypeChanged)
      OS << ": '" << G.OldType << "' -> '" << G.NewType << "'"
         << (G.TakesNewInitialiser
                 ? "; the running version never writes it: it takes the new "
                   "initialiser (the generated transformer says how to copy "
                   "the old value instead)"
                 : "; if its running bytes are still the old initialiser at "
                   "the update it takes the new one, else its transformer "
                   "converts them");
    if (G.Kind == GlobalChangeKind::InitialiserChangedKept)
      OS << ": the running value is kept; if its running bytes are still the "
            "old initialiser at the update it takes the new one";
    if (G.Kind == GlobalChangeKind::ConstReplaced)
      OS << ": the new value replaces the old";
    OS << "\n";
  }
  for (const TypeChange &T : Types)
    OS << "type changed " << T.Name << ": " << T.Detail << "\n";
  for (const PointSafety &P : Points)
    if (!P.Safe)
      OS << (P.BlockingCall.empty() ? "update-point " : "blocking-call ")
         << P.File << ":" << P.Line << " unsafe: " << P.Reason << "\n";
  for (const StateLoss &L : StateLosses)
    OS << "state-lost " << describeGlobal(L.Name, L.OldTU)
       << ": the new build has " << describeGlobal(L.Name, L.NewTU)
       << " instead, which would start from its initialiser\n";
  for (const Partial &P : Partials)
    OS << "partial " << P.File << ":" << P.Line << ": " << P.Why << "\n";
  for (const LoopMigration &M : Migrations)
    OS << "migrated " << M.File << ":" << M.Line << ": " << M.message() << "\n";
  for (const UntypedSlot &U : UntypedSlots)
    OS << "untyped " << U.Place << ": " << U.Why
       << "; what it holds there is redirected\n";
  for (const Pooled &P : PooledTypes)
    OS << "pooled " << P.message() << "\n";
  for (const Pinned &P : PinnedTypes)
    OS << "refused: " << P.message()
       << "; unless the transformers re-register them (DSU_REREGISTERS("
       << P.Type << ") and a commit hook)\n";
  for (const std::string &R : Refusals)
    OS << "refused: " << R << "\n";
  if (empty())
    OS << "no changes\n";
  return Out;
}

std::string PatchPlan::toJSON() const {
  nlohmann::ordered_json J;
  J["base"] = BaseVersion;
  J["target"] = TargetVersion;
  J["functions"] = nlohmann::json::array();
  for (const FunctionChange &F : Functions)
    J["functions"].push_back({{"kind", kindName(F.Kind)},
                              {"name", F.Name},
                              {"tu", F.TU},
                              {"old_symbol", F.OldSymbol},
                              {"new_symbol", F.NewSymbol},
                              {"old_signature", F.OldSignature},
                              {"new_signature", F.NewSignature},
                              {"reason", F.Reason}});
  J["globals"] = nlohmann::json::array();
  for (const GlobalChange &G : Globals)
    J["globals"].push_back({{"kind", kindName(G.Kind)},
                            {"name", G.Name},
                            {"tu", G.TU},
                            {"old_symbol", G.OldSymbol},
                            {"new_symbol", G.NewSymbol},
                            {"old_type", G.OldType},
                            {"new_type", G.NewType}});
  J["types"] = nlohmann::json::array();
  for (const TypeChange &T : Types)
    J["types"].push_back(
        {{"name", T.Name}, {"old_name", T.oldName()}, {"detail", T.Detail}});
  J["update_points"] = nlohmann::json::array();
  for (const PointSafety &P : Points)
    J["update_points"].push_back({{"file", P.File},
                                  {"line", P.Line},
                                  {"safe", P.Safe},
                                  {"reason", P.Reason},
                                  {"frame", P.Frame},
                                  {"conflict", P.Type},
                                  {"use_file", P.UseFile},
                                  {"use_line", P.UseLine},
                                  {"blocking_call", P.BlockingCall},
                                  {"safe_contexts", [&] {
                                     auto A = nlohmann::json::array();
                                     for (uint64_t C : P.SafeContexts)
                                       A.push_back(toHex(C));
                                     return A;
                                   }()}});
  J["state_losses"] = nlohmann::json::array();
  for (const StateLoss &L : StateLosses)
    J["state_losses"].push_back(
        {{"name", L.Name}, {"old_tu", L.OldTU}, {"new_tu", L.NewTU}});
  J["partial"] = nlohmann::json::array();
  for (const Partial &P : Partials)
    J["partial"].push_back({{"function", P.Function},
                            {"file", P.File},
                            {"line", P.Line},
                            {"why", P.Why}});
  J["migrated"] = nlohmann::json::array();
  for (const LoopMigration &M : Migrations) {
    auto Locals = nlohmann::json::array();
    for (const LoopMigration::Local &L : M.Args)
      Locals.push_back({{"name", L.Name},
                        {"old_type", L.OldType},
                        {"new_type", L.NewType},
                        {"moved", L.Moved},
                        {"init", L.Init}});
    J["migrated"].push_back({{"function", M.Loop},
                             {"file", M.File},
                             {"line", M.Line},
                             {"locals", Locals}});
  }
  J["pinned"] = nlohmann::json::array();
  for (const Pinned &P : PinnedTypes)
    J["pinned"].push_back({{"type", P.Type}, {"where", P.Where}});
  J["untyped_slots"] = nlohmann::json::array();
  for (const UntypedSlot &U : UntypedSlots)
    J["untyped_slots"].push_back({{"place", U.Place}, {"why", U.Why}});
  J["pooled"] = nlohmann::json::array();
  for (const Pooled &P : PooledTypes) {
    auto A = nlohmann::json::array();
    for (const auto &[Alloc, Free] : P.Allocators)
      A.push_back({{"allocator", Alloc}, {"deallocator", Free}});
    J["pooled"].push_back({{"type", P.Type}, {"allocators", A}});
  }
  J["refusals"] = Refusals;
  return J.dump(2);
}
