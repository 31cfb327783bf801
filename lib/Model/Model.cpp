#include "dsu/Model/Model.h"
#include "dsu/Support/Hash.h"

#include "llvm/Support/FormatVariadic.h"
#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

using namespace dsu;
using json = nlohmann::json;

// JSON mapping. Keys are short but readable; the format is versioned by the
// record magic in TURecord.cpp.
namespace dsu {
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(FieldInfo, Name, Type, TypeHash,
                                                OffsetBits, SizeBits,
                                                IsBitField, PointsTo)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TypeInfo, Name, IsUnion, Size,
                                                Align, Fields, Hash, File, Line,
                                                Definition, Aliases, IsSystem)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TypeUse, Line, Type, Kind)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LoopArg, Name, Layout, CType,
                                                Init, Local, UsedAfter)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(
    FunctionInfo, Name, IsStatic, Symbol, Signature, BodyHash, Managed, File,
    Line, Callees, Globals, AddressTaken, IndirectCalls, DirectCalls, TypesUsed,
    TypeUses, LoopArgs, LoopExits)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(GlobalInfo, Name, IsStatic,
                                                IsConst, Symbol, Type, TypeHash,
                                                InitHash, Size, File, Line,
                                                PointsTo, LiveCount)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AllocSite, Function, File, Line,
                                                Allocator, Type, Column,
                                                Trailing, Deallocator)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(UpdatePointInfo, Function, File,
                                                Line)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AddressEscape, Callee, Type,
                                                Field, Function, File, Line)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(UntypedStore, Target, Source,
                                                File, Line)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(UntypedCast, Type, Callee, File,
                                                Line)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(
    TUModel, Source, TU, TUTag, Functions, Globals, Types, AllocSites,
    UpdatePoints, Escapes, UntypedStores, UntypedCasts, HasUntypedFacts,
    SystemIncludes, AddressTakenExternals, CompileOptions, HasTypeUses)
} // namespace dsu

void TUModel::canonicalize() {
  auto BySymbol = [](const auto &A, const auto &B) {
    return A.Symbol < B.Symbol;
  };
  std::sort(Functions.begin(), Functions.end(), BySymbol);
  std::sort(Globals.begin(), Globals.end(), BySymbol);
  std::sort(Types.begin(), Types.end(),
            [](const TypeInfo &A, const TypeInfo &B) { return A.Name < B.Name; });
  auto ByPlace = [](const auto &A, const auto &B) {
    return std::tie(A.File, A.Line, A.Function) <
           std::tie(B.File, B.Line, B.Function);
  };
  std::sort(AllocSites.begin(), AllocSites.end(), ByPlace);
  std::sort(UpdatePoints.begin(), UpdatePoints.end(), ByPlace);
  std::sort(Escapes.begin(), Escapes.end(), [](const auto &A, const auto &B) {
    return std::tie(A.File, A.Line, A.Callee, A.Type, A.Field) <
           std::tie(B.File, B.Line, B.Callee, B.Type, B.Field);
  });
  auto Dedup = [](auto &V, auto Key) {
    std::sort(V.begin(), V.end(),
              [&](const auto &A, const auto &B) { return Key(A) < Key(B); });
    V.erase(std::unique(V.begin(), V.end()), V.end());
  };
  Dedup(UntypedStores, [](const UntypedStore &S) {
    return std::tie(S.Target, S.File, S.Line, S.Source);
  });
  Dedup(UntypedCasts, [](const UntypedCast &C) {
    return std::tie(C.Type, C.File, C.Line, C.Callee);
  });
  std::sort(AddressTakenExternals.begin(), AddressTakenExternals.end());
  AddressTakenExternals.erase(
      std::unique(AddressTakenExternals.begin(), AddressTakenExternals.end()),
      AddressTakenExternals.end());
  for (FunctionInfo &F : Functions) {
    std::sort(F.Callees.begin(), F.Callees.end());
    F.Callees.erase(std::unique(F.Callees.begin(), F.Callees.end()),
                    F.Callees.end());
    std::sort(F.TypesUsed.begin(), F.TypesUsed.end());
    F.TypesUsed.erase(std::unique(F.TypesUsed.begin(), F.TypesUsed.end()),
                      F.TypesUsed.end());
    std::sort(F.TypeUses.begin(), F.TypeUses.end(),
              [](const TypeUse &A, const TypeUse &B) {
                return std::tie(A.Line, A.Type, A.Kind) <
                       std::tie(B.Line, B.Type, B.Kind);
              });
    F.TypeUses.erase(std::unique(F.TypeUses.begin(), F.TypeUses.end()),
                     F.TypeUses.end());
    std::sort(F.Globals.begin(), F.Globals.end());
    F.Globals.erase(std::unique(F.Globals.begin(), F.Globals.end()),
                    F.Globals.end());
  }
}

std::string dsu::allocationTag(const std::string &Type, const TUModel &TU) {
  for (const TypeInfo &T : TU.Types)
    if (T.Name == Type)
      return Type + "#" + T.Hash.substr(0, 8);
  return Type + "#" + toHex(hashString(Type), 8);
}

std::string TUModel::toJSON() const {
  json J = *this;
  return J.dump();
}

llvm::Expected<TUModel> TUModel::fromJSON(llvm::StringRef Text) {
  try {
    json J = json::parse(Text.begin(), Text.end());
    return J.get<TUModel>();
  } catch (const std::exception &E) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   std::string("corrupt program model: ") +
                                       E.what());
  }
}

std::string ProgramModel::versionId() const {
  // Hash the semantic content only, in a canonical order.
  std::vector<std::string> Lines;
  for (const TUModel &TU : TUs) {
    for (const FunctionInfo &F : TU.Functions)
      Lines.push_back("f " + F.Symbol + " " + F.BodyHash +
                      (F.DirectCalls ? " direct" : ""));
    // Annotations take part: they change the patch's pointer tables, so a
    // transformers file generated before one was added must not match.
    for (const GlobalInfo &G : TU.Globals)
      Lines.push_back("g " + G.Symbol + " " + G.TypeHash + " " + G.InitHash +
                      (G.PointsTo.empty() ? "" : " points-to " + G.PointsTo) +
                      (G.LiveCount.empty() ? "" : " live " + G.LiveCount));
    for (const TypeInfo &T : TU.Types) {
      std::string Line = "t " + T.Name + " " + T.Hash;
      for (const FieldInfo &F : T.Fields)
        if (!F.PointsTo.empty())
          Line += " " + F.Name + " points-to " + F.PointsTo;
      Lines.push_back(Line);
    }
  }
  std::sort(Lines.begin(), Lines.end());
  Lines.erase(std::unique(Lines.begin(), Lines.end()), Lines.end());
  StableHasher H;
  for (const std::string &L : Lines)
    H.add(L);
  return H.hex(16);
}

std::string ProgramModel::dump() const {
  std::vector<const TUModel *> Sorted;
  for (const TUModel &TU : TUs)
    Sorted.push_back(&TU);
  std::sort(Sorted.begin(), Sorted.end(),
            [](auto *A, auto *B) { return A->TU < B->TU; });
  std::string Out;
  llvm::raw_string_ostream OS(Out);
  OS << "version " << versionId() << "\n";
  for (const TUModel *TU : Sorted) {
    TUModel C = *TU;
    C.canonicalize();
    OS << "tu " << C.TU << " tag=" << C.TUTag << "\n";
    for (const FunctionInfo &F : C.Functions) {
      OS << "  function " << F.Name << (F.IsStatic ? " static" : "")
         << (F.Managed ? "" : " unmanaged")
         << (F.DirectCalls ? " direct-calls" : "")
         << (F.AddressTaken ? " address-taken" : "")
         << (F.IndirectCalls ? " indirect-calls" : "") << " sym=" << F.Symbol
         << " sig=\"" << F.Signature << "\" body=" << F.BodyHash << "\n";
      for (const std::string &Callee : F.Callees)
        OS << "    calls " << Callee << "\n";
      for (const std::string &G : F.Globals)
        OS << "    uses " << G << "\n";
      // In argument order: the order the loop passes them in.
      for (const LoopArg &A : F.LoopArgs)
        OS << "    loop-arg " << (A.Local ? "local " : "value ")
           << (A.Name.empty() ? "-" : A.Name) << " \"" << A.CType << "\" "
           << A.Layout << (A.UsedAfter ? " used-after" : "")
           << (A.Init.empty() ? "" : " init=" + A.Init) << "\n";
      for (const std::string &E : F.LoopExits)
        OS << "    loop-exit " << E << "\n";
    }
    for (const GlobalInfo &G : C.Globals)
      OS << "  global " << G.Name << (G.IsStatic ? " static" : "")
         << (G.IsConst ? " const" : "")
         << (G.NeverWritten ? " never-written" : "") << " sym=" << G.Symbol
         << " type=\"" << G.Type << "\" size=" << G.Size
         << " init=" << (G.InitHash.empty() ? "-" : G.InitHash) << "\n";
    for (const TypeInfo &T : C.Types) {
      OS << "  type " << T.Name << " size=" << T.Size << " align=" << T.Align
         << " hash=" << T.Hash << (T.IsSystem ? " system" : "");
      for (const std::string &A : T.Aliases)
        OS << " alias=" << A;
      OS << "\n";
      for (const FieldInfo &F : T.Fields)
        OS << "    field " << F.Name << " \"" << F.Type << "\" @"
           << F.OffsetBits / 8 << (F.IsBitField ? " bits" : "") << " size="
           << (F.IsBitField ? F.SizeBits : F.SizeBits / 8) << "\n";
    }
    for (const UpdatePointInfo &U : C.UpdatePoints)
      OS << "  update-point " << U.Function << " " << U.File << ":" << U.Line
         << "\n";
    for (const AddressEscape &E : C.Escapes)
      OS << "  escape " << E.Type << (E.Field.empty() ? "" : "." + E.Field)
         << " to " << E.Callee << " in " << E.Function << " " << E.File
         << ":" << E.Line << "\n";
    for (const UntypedStore &S : C.UntypedStores)
      OS << "  untyped-store " << S.Target << " <- "
         << (S.Source.empty() ? "?" : S.Source) << " " << S.File << ":"
         << S.Line << "\n";
    for (const UntypedCast &U : C.UntypedCasts)
      OS << "  untyped-cast " << U.Type
         << (U.Callee.empty() ? "" : " to " + U.Callee) << " " << U.File << ":"
         << U.Line << "\n";
    for (const AllocSite &A : C.AllocSites)
      OS << "  alloc " << A.Allocator << " \"" << A.Type << "\""
         << (A.Trailing ? " with trailing data" : "")
         << (A.Deallocator.empty() ? "" : " freed by " + A.Deallocator)
         << " in " << A.Function << " " << A.File << ":" << A.Line << "\n";
  }
  // Continuation facts, sorted by point; frames and uses keep their order
  // (own frame first, nearest use first), which the analysis makes stable.
  std::vector<const PointContinuations *> Points;
  for (const PointContinuations &PC : Continuations)
    Points.push_back(&PC);
  std::sort(Points.begin(), Points.end(), [](auto *A, auto *B) {
    return std::tie(A->Point.File, A->Point.Line, A->Point.Function,
                    A->BlockingCall) < std::tie(B->Point.File, B->Point.Line,
                                                B->Point.Function,
                                                B->BlockingCall);
  });
  for (const PointContinuations *PC : Points) {
    OS << "continuations at " << PC->Point.File << ":" << PC->Point.Line
       << " in " << PC->Point.Function;
    if (!PC->BlockingCall.empty())
      OS << " (a thread blocked in " << PC->BlockingCall << ")";
    OS << "\n";
    for (const FrameContinuation &F : PC->Frames) {
      OS << "  frame " << F.Function << " suspended at";
      for (unsigned L : F.Lines)
        OS << " " << L;
      if (F.Site)
        OS << " site " << toHex(F.Site) << (F.Tracked ? "" : " untracked");
      OS << "\n";
      for (const ContinuationUse &U : F.Uses)
        OS << "    " << (U.IsGlobal ? "global " : "type ") << U.What << " ("
           << U.Kind << ") at " << U.File << ":" << U.Line << "\n";
      for (const std::string &C : F.SlotCallees)
        OS << "    calls " << C << "\n";
    }
  }
  return Out;
}

std::map<std::string, const FunctionInfo *>
ProgramModel::functionsBySymbol() const {
  std::map<std::string, const FunctionInfo *> M;
  for (const TUModel &TU : TUs)
    for (const FunctionInfo &F : TU.Functions)
      M[F.Symbol] = &F;
  return M;
}

std::map<std::string, const GlobalInfo *> ProgramModel::globalsBySymbol() const {
  std::map<std::string, const GlobalInfo *> M;
  for (const TUModel &TU : TUs)
    for (const GlobalInfo &G : TU.Globals)
      M[G.Symbol] = &G;
  return M;
}

std::map<std::string, const TypeInfo *>
ProgramModel::typesByName(bool WithSystem) const {
  std::map<std::string, const TypeInfo *> M;
  for (const TUModel &TU : TUs)
    for (const TypeInfo &T : TU.Types)
      if (WithSystem || !T.IsSystem)
        M.emplace(T.Name, &T);
  return M;
}

std::map<std::string, const FunctionInfo *>
ProgramModel::functionsByLinkName() const {
  std::map<std::string, const FunctionInfo *> Functions = functionsBySymbol();
  for (const auto &[Plain, Symbol] : externalSymbols())
    if (auto It = Functions.find(Symbol); It != Functions.end())
      Functions.emplace(Plain, It->second);
  return Functions;
}

std::map<std::string, std::string> ProgramModel::externalSymbols() const {
  std::map<std::string, std::string> M;
  for (const TUModel &TU : TUs) {
    for (const FunctionInfo &F : TU.Functions)
      if (!F.IsStatic && F.Managed)
        M[F.Name] = F.Symbol;
    for (const GlobalInfo &G : TU.Globals)
      if (!G.IsStatic)
        M[G.Name] = G.Symbol;
  }
  return M;
}

llvm::Error ProgramModel::validate() const {
  std::map<std::string, std::string> SeenTU;
  std::map<std::string, std::string> SeenSymbol;
  for (const TUModel &TU : TUs) {
    auto [It, New] = SeenTU.emplace(TU.TU, TU.Source);
    if (!New)
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "translation units '" + It->second + "' and '" + TU.Source +
              "' have the same identity '" + TU.TU +
              "'; build with -fdsu-tu-root=DIR (the source root) so that units "
              "are named by their path below it, or give one of them another "
              "name with -fdsu-tu-name=NAME");
    for (const FunctionInfo &F : TU.Functions) {
      // Weak and inline definitions may appear in several TUs; the linker
      // picks one and dsu does not update them.
      if (!F.Managed)
        continue;
      auto [S, NewSym] = SeenSymbol.emplace(F.Symbol, TU.Source);
      if (!NewSym)
        return llvm::createStringError(
            llvm::inconvertibleErrorCode(),
            "function '" + F.Name + "' is defined in both '" + S->second +
                "' and '" + TU.Source + "'");
    }
  }
  return llvm::Error::success();
}
