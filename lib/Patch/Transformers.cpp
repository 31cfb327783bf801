//===- Transformers.cpp - generating state transformers -------------------===//
//
// A patch that changes struct types or the types of globals carries C code
// that turns old state into new state, and tables that tell the runtime where
// that state lives (include/dsu/patch_format.h). This file writes that C.
//
// Types. Both versions of every changed type are declared, the old ones
// renamed with a "__old" suffix (`struct item__old`), together with the
// unchanged types they hold by value. Definitions come from the program model
// (clang prints them with canonical types, so no typedef or header is
// needed). For each changed type the default transformer copies fields by
// name: scalars and pointers by assignment (converting integer widths),
// arrays element by element up to the shorter length, nested changed types
// through their own transformer, unchanged nested types by copy. New fields
// stay zero; removed fields are dropped. Pointers are copied as they are: the
// runtime redirects those that point to relocated objects afterwards.
//
// Globals. A global whose type changed has new storage in the patch; its
// transformer fills it from the old storage, which it reaches by symbol.
//
// Where pointers live. For every type of the new program, the offsets of the
// fields that may point to an object of a changed type, through nested
// structs and arrays; allocations of pointer arrays; and every global that
// holds such pointers. A `void *` anywhere in the program could hold such a
// pointer unseen, so the patch is refused, naming it: the tool never guesses.
//
// Safety (whether an update point may take the patch) is in the plan, see
// Diff.cpp; the runtime skips unsafe points.
//
//===----------------------------------------------------------------------===//
#include "dsu/Patch/Transformers.h"
#include "dsu/Patch/LoopMigration.h"
#include "dsu/Patch/PatchBuilder.h"
#include "dsu/Support/Error.h"

#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>
#include <map>
#include <regex>
#include <set>

using namespace dsu;
using namespace llvm;

namespace {

/// A C type spelled canonically, split into what the generator needs.
struct CType {
  std::string Base;           ///< Without the outermost array dimension.
  std::optional<uint64_t> N;  ///< Outermost array length.
  /// Base names a record known by a typedef name only (`typedef struct
  /// {...} conn`), which its spelling does not show.
  bool NamedRecord = false;
  bool isPointer() const { return Base.find('*') != std::string::npos; }
  bool isRecord() const {
    return !isPointer() && (NamedRecord || StringRef(Base).starts_with("struct ") ||
                            StringRef(Base).starts_with("union "));
  }
};

CType parseType(StringRef T) {
  CType C;
  T = T.trim();
  size_t Open = T.find('[');
  // "int (*)[4]" is a pointer to an array: the bracket is inside parentheses.
  if (Open != StringRef::npos && T.find('(') == StringRef::npos) {
    size_t Close = T.find(']', Open);
    uint64_t N = 0;
    if (!T.substr(Open + 1, Close - Open - 1).getAsInteger(10, N))
      C.N = N;
    C.Base = (T.substr(0, Open).rtrim() + T.substr(Close + 1)).str();
  } else {
    C.Base = T.str();
  }
  return C;
}

/// The name of the record a pointer type points to ("struct item *" ->
/// "struct item"), if it points to one directly.
std::string pointee(StringRef T) {
  T = T.trim();
  if (!T.consume_back("*"))
    return "";
  T = T.rtrim();
  if (T.ends_with("*") || T.contains('('))
    return "";
  if (T.consume_front("const "))
    T = T.trim();
  return T.str();
}

/// "char []", "void *[0]": a flexible array member (or the zero-length
/// array that GNU C used for one).
bool isFlexibleArray(StringRef T) {
  T = T.trim();
  return T.ends_with("[]") || T.ends_with("[0]");
}

/// How many parameters a C function type has ("void (void *, unsigned
/// long)": 2), or none if it cannot tell (a variadic function).
std::optional<unsigned> parameterCount(StringRef Signature) {
  Signature = Signature.trim();
  if (!Signature.ends_with(")") || Signature.contains("..."))
    return std::nullopt;
  int Depth = 0;
  unsigned Commas = 0;
  size_t I = Signature.size();
  while (I-- > 0) {
    char C = Signature[I];
    if (C == ')')
      ++Depth;
    else if (C == '(' && --Depth == 0)
      break;
    else if (C == ',' && Depth == 1)
      ++Commas;
  }
  if (I == StringRef::npos)
    return std::nullopt;
  StringRef Params = Signature.substr(I + 1).drop_back().trim();
  if (Params.empty() || Params == "void")
    return 0u;
  return Commas + 1;
}

std::string mangle(StringRef Name) {
  std::string S;
  for (char C : Name)
    S += isalnum(static_cast<unsigned char>(C)) ? C : '_';
  return S;
}

class Generator {
public:
  Generator(const ProgramModel &Old, const ProgramModel &New,
            const PatchPlan &Plan)
      : Old(Old), New(New), Plan(Plan), OldTypes(Old.typesByName()),
        NewTypes(New.typesByName()),
        LayoutTypes(New.typesByName(/*WithSystem=*/true)) {
    for (const PatchPlan::UntypedSlot &U : Plan.UntypedSlots)
      UntypedSlots.insert(U.Place);
    for (const PatchPlan::TypeChange &T : Plan.Types) {
      Changed.insert(T.Name);
      AnyChangedName.insert(T.Name);
      AnyChangedName.insert(T.oldName());
      if (T.oldName() != T.Name) {
        OldNameOf[T.Name] = T.oldName();
        NewNameOf[T.oldName()] = T.Name;
      }
    }
  }

  Expected<std::string> run();

private:
  void emitHeader();
  Error emitDefinitions();
  void emitTypeTransformers();
  Expected<std::string> emitGlobalTransformers();
  void emitTypeTables(const std::string &GlobalTable);
  std::string emitAllocatorPair(const std::string &Type);
  void emitPointerFields();
  void emitGlobalPointers();
  Error emitLiveRanges();
  void emitHooks();
  Error emitLoopMigrations();

  /// parseType, knowing the program's records by every name.
  CType typeOf(StringRef T) const {
    CType C = parseType(T);
    C.NamedRecord = !C.isPointer() &&
                    (NewTypes.count(C.Base) || OldTypes.count(C.Base) ||
                     (StringRef(C.Base).ends_with("__old") &&
                      OldTypes.count(C.Base.substr(0, C.Base.size() - 5))));
    return C;
  }

  const ProgramModel &Old, &New;
  const PatchPlan &Plan;
  std::map<std::string, const TypeInfo *> OldTypes, NewTypes;
  /// NewTypes and the system types the pointer tables need (struct msghdr).
  std::map<std::string, const TypeInfo *> LayoutTypes;
  std::set<std::string> Changed; ///< New names of the changed types.
  std::set<std::string> AnyChangedName; ///< Their new and old names.
  /// Types matched through another name (see PatchPlan::TypeChange).
  std::map<std::string, std::string> OldNameOf, NewNameOf;

  const std::string &oldNameOf(const std::string &New) const {
    auto It = OldNameOf.find(New);
    return It == OldNameOf.end() ? New : It->second;
  }
  const std::string &newNameOf(const std::string &OldName) const {
    auto It = NewNameOf.find(OldName);
    return It == NewNameOf.end() ? OldName : It->second;
  }
  std::string Out;
  std::set<std::string> Declared;

  std::string oldName(const std::string &Type) const {
    return Changed.count(Type) ? oldNameOf(Type) + "__old" : Type;
  }
  /// Renames every changed type in a C spelling to its old name.
  std::string renameOld(std::string Text) const {
    for (const std::string &New : Changed) {
      const std::string &T = oldNameOf(New);
      std::regex Word("(^|[^A-Za-z0-9_])" + T + "(?![A-Za-z0-9_])");
      Text = std::regex_replace(Text, Word, "$1" + T + "__old");
    }
    return Text;
  }

  Error declare(const std::string &Name, bool OldVersion);
  std::string copy(const std::string &N, const std::string &O,
                   const std::string &NewType, const std::string &OldType,
                   int Depth, bool BitField = false);
  /// A place that may hold a pointer to (or into) a relocated object.
  struct PointerSlot {
    uint64_t Offset;
    std::string Where;
    /// 0: points to a changed type. 1: to a type held by value in a changed
    /// type. 2: to pointers to a changed type (a table of them), which must
    /// lie where dsu reads pointers (dsu_pointer_field.inner).
    int Inner;
    /// An array of such slots: Count of them, Stride bytes apart (Where
    /// names the element with "[]"); 0 for one slot.
    uint64_t Count = 0, Stride = 0;
  };
  /// The size of an object of C type T when it may hold pointers (pointers,
  /// records the program defines, arrays of them); none otherwise.
  std::optional<uint64_t> sizeOfType(const std::string &T, int Depth = 0);
  /// Appends the slots of an array of N elements of ElemSize bytes at Base
  /// whose element's slots (at offset 0) are One: one range per slot, or
  /// one set per element when the element holds ranges itself.
  void arraySlots(const std::vector<PointerSlot> &One, uint64_t N,
                  uint64_t ElemSize, uint64_t Base, const std::string &Where,
                  const std::function<void(uint64_t, const std::string &,
                                           std::vector<PointerSlot> &)> &Expand,
                  std::vector<PointerSlot> &Out);
  /// Types that changed types hold by value (fields, array elements,
  /// recursively): a pointer to one may point into a relocated object.
  std::set<std::string> Embedded;
  void collectEmbedded(const std::string &Type, int Depth);
  void pointerOffsets(const std::string &Type, uint64_t Base,
                      const std::string &Where, std::vector<PointerSlot> &Out,
                      int Depth);
  /// The #include lines of the system headers that the units defining the
  /// changed types and globals include: their definitions hold system types
  /// by value (`struct event`, `struct sockaddr`).
  std::string systemIncludes() const;
  /// Untyped places that may hold pointers into moved objects
  /// (PatchPlan::UntypedSlots): "OLDRECORD.FIELD" or a global's name.
  std::set<std::string> UntypedSlots;
  /// Appends the slots of an untyped place of C type Type (an array of them
  /// gives one slot per element).
  void untypedSlots(const std::string &Type, uint64_t Base,
                    const std::string &Where, std::vector<PointerSlot> &Out);
};

Error Generator::declare(const std::string &Name, bool OldVersion) {
  std::string Key = (OldVersion ? "old " : "new ") + Name;
  if (OldVersion && !Changed.count(Name))
    Key = "new " + Name; // unchanged types are declared once
  if (!Declared.insert(Key).second)
    return Error::success();
  bool FromOld = OldVersion && Changed.count(Name);
  const auto &Types = FromOld ? OldTypes : NewTypes;
  auto It = Types.find(FromOld ? oldNameOf(Name) : Name);
  if (It == Types.end())
    return failure("cannot generate a transformer: the definition of '" +
                   (FromOld ? oldNameOf(Name) : Name) + "' is not in the " +
                   (FromOld ? "old" : "new") + " build's program model");
  const TypeInfo &T = *It->second;
  if (T.Definition.empty() || T.Definition.find("(unnamed") != std::string::npos ||
      T.Definition.find("(anonymous") != std::string::npos)
    return failure("cannot generate a transformer for '" + Name +
                   "': it holds an anonymous struct or union by value");
  // Types held by value must be complete first.
  for (const FieldInfo &F : T.Fields) {
    CType C = typeOf(F.Type);
    // An old definition names the old types: declare their new names.
    std::string Base = FromOld ? newNameOf(C.Base) : C.Base;
    if (C.isRecord() && (NewTypes.count(Base) || OldTypes.count(C.Base)))
      if (Error E = declare(Base, FromOld))
        return E;
  }
  Out += (OldVersion && Changed.count(Name) ? renameOld(T.Definition)
                                            : T.Definition) +
         "\n";
  // The program's typedef names of the new type (`typedef struct conn
  // conn;`), so that code of the user's in the file says `conn *` as the
  // program does.
  if (!FromOld && (StringRef(Name).starts_with("struct ") ||
                   StringRef(Name).starts_with("union ")))
    for (const std::string &Alias : T.Aliases)
      if (!Alias.empty() && Alias != Name &&
          llvm::all_of(Alias, [](char C) { return isalnum(C) || C == '_'; }))
        Out += "typedef " + Name + " " + Alias + ";\n";
  return Error::success();
}

/// C statements that fill new lvalue N from old lvalue O.
std::string Generator::copy(const std::string &N, const std::string &O,
                            const std::string &NewType,
                            const std::string &OldType, int Depth,
                            bool BitField) {
  CType NT = typeOf(NewType), OT = typeOf(OldType);
  std::string Ind(2 * Depth + 2, ' ');
  if (NT.N || OT.N) {
    if (!NT.N || !OT.N)
      return Ind + "/* " + todoMarker().str() + " " + N + ": '" + OldType +
             "' -> '" + NewType +
             "' (array and non-array) has no default conversion: write it "
             "here and delete this line */\n";
    std::string I = "i" + std::to_string(Depth);
    uint64_t Count = std::min(*NT.N, *OT.N);
    return Ind + "for (size_t " + I + " = 0; " + I + " < " +
           std::to_string(Count) + "; " + I + "++) {\n" +
           copy(N + "[" + I + "]", O + "[" + I + "]", NT.Base, OT.Base,
                Depth + 1) +
           Ind + "}\n";
  }
  if (NT.isRecord() || OT.isRecord()) {
    StringRef OldBase = OT.Base;
    OldBase.consume_back("__old");
    if (oldNameOf(NT.Base) != OldBase)
      return Ind + "/* " + todoMarker().str() + " " + N + ": '" + OldType +
             "' -> '" + NewType +
             "' has no default conversion: write it here and delete this "
             "line */\n";
    if (Changed.count(NT.Base))
      return Ind + "if (__dsu_xform_" + mangle(NT.Base) + "(&" + N + ", &" +
             O + ")) return -1;\n";
    return Ind + "memcpy(&" + N + ", &" + O + ", sizeof " + N + ");\n";
  }
  // The same type (a scalar, or a struct or union the program knows by a
  // system typedef such as pthread_mutex_t) and bit-fields (which
  // __typeof__ does not accept) are assigned as they are; a conversion
  // between different types is spelled out.
  if (NewType == OldType || BitField)
    return Ind + N + " = " + O + ";\n";
  return Ind + N + " = (__typeof__(" + N + "))" + O + ";\n";
}

void Generator::collectEmbedded(const std::string &Type, int Depth) {
  if (Depth > 16)
    return;
  for (const auto *Types : {&OldTypes, &NewTypes}) {
    auto It = Types->find(Types == &OldTypes ? oldNameOf(Type) : Type);
    if (It == Types->end())
      continue;
    for (const FieldInfo &F : It->second->Fields) {
      CType C = typeOf(F.Type);
      while (C.N) // multi-dimensional arrays
        C = typeOf(C.Base);
      if (C.isPointer() || F.IsBitField || !Embedded.insert(C.Base).second)
        continue;
      if (C.isRecord())
        collectEmbedded(C.Base, Depth + 1);
    }
  }
}

void Generator::pointerOffsets(const std::string &Type, uint64_t Base,
                               const std::string &Where,
                               std::vector<PointerSlot> &Result, int Depth) {
  if (Depth > 16)
    return;
  CType C = typeOf(Type);
  if (C.N) {
    std::optional<uint64_t> Size = sizeOfType(C.Base);
    if (!Size)
      return;
    std::vector<PointerSlot> One;
    pointerOffsets(C.Base, 0, Where + "[]", One, Depth + 1);
    arraySlots(
        One, *C.N, *Size, Base, Where,
        [&](uint64_t At, const std::string &Name, std::vector<PointerSlot> &O) {
          pointerOffsets(C.Base, At, Name, O, Depth + 1);
        },
        Result);
    return;
  }
  if (C.isPointer()) {
    std::string To = pointee(C.Base);
    if (Changed.count(To))
      Result.push_back({Base, Where, 0});
    else if (Embedded.count(To))
      Result.push_back({Base, Where, 1});
    else if (StringRef Table = StringRef(C.Base).trim();
             Table.consume_back("*") && Changed.count(pointee(Table)))
      Result.push_back({Base, Where, 2});
    return;
  }
  if (C.isRecord()) {
    auto It = LayoutTypes.find(C.Base);
    if (It == LayoutTypes.end() || It->second->IsUnion)
      return;
    for (const FieldInfo &F : It->second->Fields) {
      if (F.IsBitField)
        continue;
      if (!F.PointsTo.empty()) { // void * annotated with DSU_POINTS_TO
        if (Changed.count(F.PointsTo))
          Result.push_back(
              {Base + F.OffsetBits / 8, Where + "." + F.Name, false});
        continue;
      }
      if (UntypedSlots.count(oldNameOf(C.Base) + "." + F.Name)) {
        untypedSlots(F.Type, Base + F.OffsetBits / 8, Where + "." + F.Name,
                     Result);
        continue;
      }
      pointerOffsets(F.Type, Base + F.OffsetBits / 8, Where + "." + F.Name,
                     Result, Depth + 1);
    }
  }
}

std::string Generator::systemIncludes() const {
  std::set<std::string> ChangedGlobals;
  for (const PatchPlan::GlobalChange &G : Plan.Globals)
    if (G.Kind == PatchPlan::GlobalChangeKind::TypeChanged) {
      ChangedGlobals.insert(G.OldSymbol);
      ChangedGlobals.insert(G.NewSymbol);
    }
  std::vector<std::string> Headers;
  for (const ProgramModel *P : {&New, &Old})
    for (const TUModel &TU : P->TUs) {
      bool Defines = false;
      for (const TypeInfo &T : TU.Types)
        Defines |= AnyChangedName.count(T.Name) != 0;
      for (const GlobalInfo &G : TU.Globals)
        Defines |= ChangedGlobals.count(G.Symbol) != 0;
      if (Defines)
        for (const std::string &H : TU.SystemIncludes)
          if (std::find(Headers.begin(), Headers.end(), H) == Headers.end())
            Headers.push_back(H);
    }
  std::string Lines;
  for (const std::string &H : Headers)
    Lines += "#include <" + H + ">\n";
  return Lines;
}

void Generator::untypedSlots(const std::string &Type, uint64_t Base,
                             const std::string &Where,
                             std::vector<PointerSlot> &Out) {
  CType C = parseType(Type);
  if (!C.N) {
    Out.push_back({Base, Where, true});
    return;
  }
  uint64_t Stride = 8; // the size of one element, itself maybe an array
  for (CType Inner = parseType(C.Base); Inner.N; Inner = parseType(Inner.Base))
    Stride *= *Inner.N;
  std::vector<PointerSlot> One;
  untypedSlots(C.Base, 0, Where + "[]", One);
  arraySlots(
      One, *C.N, Stride, Base, Where,
      [&](uint64_t At, const std::string &Name, std::vector<PointerSlot> &O) {
        untypedSlots(C.Base, At, Name, O);
      },
      Out);
}

std::optional<uint64_t> Generator::sizeOfType(const std::string &T, int Depth) {
  CType C = typeOf(T);
  if (Depth > 16)
    return std::nullopt;
  if (C.N) {
    auto Elem = sizeOfType(C.Base, Depth + 1);
    if (!Elem)
      return std::nullopt;
    return *Elem * *C.N;
  }
  if (C.isPointer())
    return 8;
  if (C.isRecord()) {
    auto It = LayoutTypes.find(C.Base);
    if (It != LayoutTypes.end())
      return It->second->Size;
  }
  return std::nullopt;
}

void Generator::arraySlots(
    const std::vector<PointerSlot> &One, uint64_t N, uint64_t ElemSize,
    uint64_t Base, const std::string &Where,
    const std::function<void(uint64_t, const std::string &,
                             std::vector<PointerSlot> &)> &Expand,
    std::vector<PointerSlot> &Out) {
  bool Flat = std::all_of(One.begin(), One.end(),
                          [](const PointerSlot &S) { return S.Count == 0; });
  if (Flat) { // a 10,240-element array is one entry per slot of its element
    for (const PointerSlot &S : One)
      Out.push_back({Base + S.Offset, S.Where, S.Inner, N, ElemSize});
    return;
  }
  for (uint64_t I = 0; I < N; ++I)
    Expand(Base + I * ElemSize, Where + "[" + std::to_string(I) + "]", Out);
}

void Generator::emitHeader() {
  Out += "/* " + transformersMarker().str() + Plan.BaseVersion + " -> " +
         Plan.TargetVersion +
         ".\n * Generated by dsu patch; edit and pass back with "
         "--transformers FILE.\n * Old definitions carry the suffix __old. A "
         "transformer returns 0 on success;\n * anything else rolls the "
         "update back. */\n";
  Out += "#include <stddef.h>\n#include <string.h>\n#include "
         "<dsu/patch_format.h>\n#include <dsu/dsu.h>\n";
  Out += systemIncludes() + "\n";
}

/// The old and new definitions of the changed types (and of those the
/// changed globals need).
Error Generator::emitDefinitions() {
  Out += "\n/* Old and new definitions. */\n";
  for (const std::string &T : Changed) {
    if (Error E = declare(T, true))
      return E;
    if (Error E = declare(T, false))
      return E;
  }
  // Globals of changed types may involve types not declared yet.
  for (const PatchPlan::GlobalChange &G : Plan.Globals) {
    if (G.Kind != PatchPlan::GlobalChangeKind::TypeChanged)
      continue;
    for (const std::string *T : {&G.OldType, &G.NewType}) {
      CType C = typeOf(*T);
      if (C.isRecord())
        if (Error E = declare(T == &G.OldType ? newNameOf(C.Base) : C.Base,
                              T == &G.OldType))
          return E;
    }
  }

  return Error::success();
}

/// One transformer per changed type, field by field.
void Generator::emitTypeTransformers() {
  Out += "\n/* Type transformers. */\n";
  for (const std::string &T : Changed)
    Out += "static int __dsu_xform_" + mangle(T) + "(void *, const void *);\n";
  for (const std::string &T : Changed) {
    const TypeInfo &NT = *NewTypes.at(T);
    const TypeInfo &OT = *OldTypes.at(oldNameOf(T));
    Out += "static int __dsu_xform_" + mangle(T) +
           "(void *new_object, const void *old_object) {\n";
    Out += "  " + T + " *n = new_object;\n  const " + oldName(T) +
           " *o = old_object;\n";
    if (NT.IsUnion || OT.IsUnion) {
      Out += "  memcpy(n, o, sizeof *n < sizeof *o ? sizeof *n : sizeof *o);\n";
    } else {
      std::map<std::string, const FieldInfo *> OldFields;
      for (const FieldInfo &F : OT.Fields)
        OldFields[F.Name] = &F;
      for (const FieldInfo &F : NT.Fields) {
        auto It = OldFields.find(F.Name);
        if (F.Name.empty())
          continue;
        if (It == OldFields.end()) {
          Out += "  /* " + F.Name + ": new, zero */\n";
          continue;
        }
        if (isFlexibleArray(F.Type) || isFlexibleArray(It->second->Type)) {
          // Data after the object has no size in the type: the runtime
          // copies it itself once this transformer ran (dsu_heap.c).
          Out += "  /* " + F.Name + ": flexible array member, no data */\n";
          continue;
        }
        Out += copy("n->" + F.Name, "o->" + F.Name, F.Type,
                    renameOld(It->second->Type), 0,
                    F.IsBitField || It->second->IsBitField);
      }
      for (const FieldInfo &F : OT.Fields)
        if (!NT.Fields.empty() &&
            std::none_of(NT.Fields.begin(), NT.Fields.end(),
                         [&](const FieldInfo &N) { return N.Name == F.Name; }))
          Out += "  /* " + F.Name + ": removed */\n";
    }
    Out += "  (void)n;\n  (void)o;\n  return 0;\n}\n";
  }
}

/// One transformer per global whose type changed; returns the rows of
/// __dsu_global_xforms.
Expected<std::string> Generator::emitGlobalTransformers() {
  Out += "\n/* Globals whose type changed: new storage, filled from the old. */\n";
  std::string GlobalTable;
  unsigned K = 0;
  auto Declarator = [](const std::string &Type, const std::string &Name) {
    CType C = parseType(Type);
    return C.Base + " " + Name +
           (C.N ? "[" + std::to_string(*C.N) + "]" : std::string());
  };
  for (const PatchPlan::GlobalChange &G : Plan.Globals) {
    if (G.Kind != PatchPlan::GlobalChangeKind::TypeChanged)
      continue;
    if (G.OldType.find('(') != std::string::npos ||
        G.NewType.find('(') != std::string::npos)
      return failure("cannot generate a transformer for global '" + G.Name +
                     "' of type '" + G.NewType + "'");
    std::string Id = std::to_string(K++);
    Out += "extern " + Declarator(renameOld(G.OldType), "__dsu_old_" + Id) +
           " __asm__(\"" + G.OldSymbol + "\");\n";
    Out += "extern " + Declarator(G.NewType, "__dsu_new_" + Id) +
           " __asm__(\"" + G.NewSymbol + "\");\n";
    Out += "static int __dsu_global_" + Id + "(void) {\n";
    std::string Copy = copy("__dsu_new_" + Id, "__dsu_old_" + Id, G.NewType,
                            renameOld(G.OldType), 0);
    if (G.TakesNewInitialiser) {
      // Its running bytes are its old initialiser (GlobalWrites.cpp); an
      // index-wise copy would undo the new initialiser's changes.
      Out += "  /* '" + G.Name +
             "' is never written by the running version: the new storage\n"
             "   * keeps the new initialiser. To copy the old value instead,\n"
             "   * change 0 to 1. */\n#if 0\n" +
             Copy + "#endif\n";
    } else {
      // The runtime skips it while the running bytes are the old
      // initialiser (GlobalInits.cpp): the new storage holds the new one.
      Out += "  /* Runs only if '" + G.Name +
             "' no longer holds its old initialiser\n"
             "   * (else the new storage keeps the new one). */\n" +
             Copy;
    }
    Out += "  return 0;\n}\n";
    // Pointers to its elements (and into them) follow it when its elements
    // are of a changed type.
    unsigned ElemType = 0;
    CType NC = typeOf(G.NewType);
    if (NC.isRecord() && oldNameOf(NC.Base) == typeOf(G.OldType).Base &&
        Changed.count(NC.Base))
      ElemType = 1 + std::distance(Changed.begin(), Changed.find(NC.Base));
    GlobalTable += "  {\"" + G.Name + "\", (void *)&__dsu_old_" + Id +
                   ", (void *)&__dsu_new_" + Id + ", __dsu_global_" + Id +
                   ", sizeof __dsu_old_" + Id + ", sizeof __dsu_new_" + Id +
                   ", " + std::to_string(ElemType) + "},\n";
  }

  return GlobalTable;
}

/// Field moves and __dsu_type_xforms, then __dsu_global_xforms.
void Generator::emitTypeTables(const std::string &GlobalTable) {
  Out += "\n/* Tables read by the runtime at commit. */\n";
  // Fields that keep their representation, for pointers into the middle of
  // a relocated object (a list head embedded in it, a key buffer).
  for (const std::string &T : Changed) {
    const TypeInfo &NT = *NewTypes.at(T);
    const TypeInfo &OT = *OldTypes.at(oldNameOf(T));
    Out += "static const struct dsu_field_move __dsu_moves_" + mangle(T) +
           "[] = {\n";
    for (const FieldInfo &F : NT.Fields)
      for (const FieldInfo &O : OT.Fields)
        if (!F.Name.empty() && O.Name == F.Name && O.Type == F.Type &&
            O.TypeHash == F.TypeHash && O.SizeBits == F.SizeBits &&
            !F.IsBitField && !O.IsBitField && F.SizeBits % 8 == 0 &&
            F.SizeBits > 0 && !NT.IsUnion && !OT.IsUnion)
          Out += "  {" + std::to_string(O.OffsetBits / 8) + ", " +
                 std::to_string(F.OffsetBits / 8) + ", " +
                 std::to_string(F.SizeBits / 8) + "}, /* " + F.Name + " */\n";
    Out += "  {0, 0, 0}};\n";
  }
  std::map<std::string, std::string> Allocators;
  for (const std::string &T : Changed)
    Allocators[T] = emitAllocatorPair(T);
  Out += "const struct dsu_type_xform __dsu_type_xforms[] = {\n";
  for (const std::string &T : Changed) {
    const TypeInfo &NT = *NewTypes.at(T);
    const TypeInfo &OT = *OldTypes.at(oldNameOf(T));
    // Where data after an object starts: at its flexible array member, or
    // after the struct.
    auto Tail = [&](const TypeInfo &Ty, const std::string &Spelling) {
      for (const FieldInfo &F : Ty.Fields)
        if (isFlexibleArray(F.Type))
          return "offsetof(" + Spelling + ", " + F.Name + ")";
      return "sizeof(" + Spelling + ")";
    };
    std::string NewTag = T + "#" + NT.Hash.substr(0, 8);
    Out += "  {\"" + oldNameOf(T) + "#" + OT.Hash.substr(0, 8) + "\", \"" +
           NewTag + "\", sizeof(" + oldName(T) + "), sizeof(" + T +
           "), __dsu_xform_" + mangle(T) + ", __dsu_moves_" + mangle(T) + ", " +
           Tail(OT, oldName(T)) + ", " + Tail(NT, T) + ", \"" + NewTag +
           "+\", " + Allocators[T] + "},\n";
  }
  Out += "  {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}};\n";
  Out += "/* A global state transformer of your own goes here too, as\n"
         " * {\"state\", 0, 0, my_function}: it runs after the globals above. */\n";
  Out += "const struct dsu_global_xform __dsu_global_xforms[] = {\n" +
         GlobalTable + "  {0, 0, 0, 0, 0, 0, 0}};\n";
}

/// The allocator and deallocator of the old build's objects of Type that
/// the program frees itself (-fdsu-allocator=A:FREE), as "alloc, dealloc"
/// entries of __dsu_type_xforms: wrappers that call the new build's
/// functions through their identity symbols, so that objects whose new
/// layout does not fit in place move through the program's own allocator.
/// "0, 0" unless every such site uses one pair whose functions the new build
/// has under one name each, and whose deallocator takes the object and
/// perhaps its size.
std::string Generator::emitAllocatorPair(const std::string &Type) {
  // The plan found the type's allocator pairs (PatchPlan::Pooled).
  const PatchPlan::Pooled *P = nullptr;
  for (const PatchPlan::Pooled &Candidate : Plan.PooledTypes)
    if (Candidate.Type == Type)
      P = &Candidate;
  if (!P || P->Allocators.size() != 1)
    return "0, 0";
  const auto &[Alloc, Dealloc] = P->Allocators.front();
  std::map<std::string, std::string> Names = transformerNames(New);
  const FunctionInfo *AllocFn = nullptr, *FreeFn = nullptr;
  for (const TUModel &TU : New.TUs)
    for (const FunctionInfo &F : TU.Functions) {
      if (Names.count(Alloc) && F.Symbol == Names[Alloc])
        AllocFn = &F;
      if (Names.count(Dealloc) && F.Symbol == Names[Dealloc])
        FreeFn = &F;
    }
  std::optional<unsigned> FreeArgs =
      FreeFn ? parameterCount(FreeFn->Signature) : std::nullopt;
  if (!AllocFn || !FreeArgs || *FreeArgs < 1 || *FreeArgs > 2)
    return "0, 0";
  std::string Id = mangle(Type);
  Out += "/* Objects of " + Type + " come from " + Alloc +
         "() and go back to " + Dealloc +
         "(): where the new layout\n * does not fit in place, they move "
         "through the new build's functions. */\n";
  Out += "extern char __dsu_alloc_fn_" + Id + "[] __asm__(\"" +
         AllocFn->Symbol + "\");\n";
  Out += "extern char __dsu_free_fn_" + Id + "[] __asm__(\"" + FreeFn->Symbol +
         "\");\n";
  Out += "static void *__dsu_alloc_" + Id +
         "(size_t size) {\n  return ((void *(*)(size_t))(void "
         "*)__dsu_alloc_fn_" +
         Id + ")(size);\n}\n";
  Out += "static void __dsu_free_" + Id +
         "(void *object, size_t size) {\n  (void)size;\n  ((void (*)(void *" +
         (*FreeArgs == 2 ? ", size_t" : "") + "))(void *)__dsu_free_fn_" + Id +
         ")(object" + (*FreeArgs == 2 ? ", size" : "") + ");\n}\n";
  return "__dsu_alloc_" + Id + ", __dsu_free_" + Id;
}

/// __dsu_pointer_fields: pointer fields of every type, arrays of pointers.
void Generator::emitPointerFields() {
  // Pointer fields of every type, and pointer arrays from allocation sites.
  Out += "const struct dsu_pointer_field __dsu_pointer_fields[] = {\n";
  for (const std::string &T : Changed)
    collectEmbedded(T, 0);
  for (const auto &[Name, T] : LayoutTypes) {
    std::vector<PointerSlot> Offsets;
    pointerOffsets(Name, 0, Name, Offsets, 0);
    for (const PointerSlot &P : Offsets)
      Out += "  {\"" + Name + "#" + T->Hash.substr(0, 8) + "\", " +
             std::to_string(P.Offset) + ", \"" + P.Where + "\", " +
             std::to_string(P.Inner) + ", " + std::to_string(T->Size) + ", " +
             std::to_string(P.Count) + ", " + std::to_string(P.Stride) + "},\n";
  }
  std::set<std::string> ArrayTags;
  for (const ProgramModel *P : {&Old, &New})
    for (const TUModel &TU : P->TUs)
      for (const AllocSite &A : TU.AllocSites)
        if (AnyChangedName.count(pointee(A.Type)))
          ArrayTags.insert(allocationTag(A.Type, TU));
  for (const std::string &Tag : ArrayTags)
    Out += "  {\"" + Tag + "\", (size_t)-1, \"an array of pointers (" +
           Tag.substr(0, Tag.find('#')) +
           "; if only its first elements are in use, annotate the global "
           "that points to it with DSU_LIVE_COUNT(count))\"},\n";
  // Arrays of void * (a server's table of connections) may hold pointers to
  // relocated objects that nothing types: the runtime refuses if one does.
  std::set<std::string> UntypedTags;
  if (!Changed.empty())
    for (const ProgramModel *P : {&Old, &New})
      for (const TUModel &TU : P->TUs)
        for (const AllocSite &A : TU.AllocSites)
          if (typeOf(A.Type).Base == "void *")
            UntypedTags.insert(allocationTag(A.Type, TU) + "\", (size_t)-2, \"" +
                               "an array of void * allocated at " +
                               sys::path::filename(A.File).str() + ":" +
                               std::to_string(A.Line));
  for (const std::string &Entry : UntypedTags)
    Out += "  {\"" + Entry + "\"},\n";
  Out += "  {0, 0, 0, 0, 0, 0, 0}};\n";
}

/// __dsu_global_pointers: globals that hold pointers to relocated objects.
void Generator::emitGlobalPointers() {
  // Globals holding pointers to relocated objects.
  std::string Externs, Table;
  unsigned G = 0;
  std::set<std::string> NewGlobalsDone;
  for (const TUModel &TU : New.TUs)
    for (const GlobalInfo &Gl : TU.Globals) {
      if (!NewGlobalsDone.insert(Gl.Symbol).second)
        continue;
      std::vector<PointerSlot> Offsets;
      pointerOffsets(Gl.Type, 0, Gl.Name, Offsets, 0);
      if (!Gl.PointsTo.empty() && Changed.count(Gl.PointsTo))
        Offsets.push_back({0, Gl.Name, false}); // void * with DSU_POINTS_TO
      else if (Gl.PointsTo.empty() && UntypedSlots.count(Gl.Name))
        untypedSlots(Gl.Type, 0, Gl.Name, Offsets);
      if (Offsets.empty())
        continue;
      std::string Id = "__dsu_gp_" + std::to_string(G++);
      Externs += "extern char " + Id + "[] __asm__(\"" + Gl.Symbol + "\");\n";
      for (const PointerSlot &P : Offsets)
        Table += "  {" + Id + " + " + std::to_string(P.Offset) + ", \"global " +
                 P.Where + "\", " + std::to_string(P.Inner) + ", " +
                 std::to_string(P.Count) + ", " + std::to_string(P.Stride) +
                 "},\n";
    }
  Out += Externs;
  Out += "const struct dsu_global_pointer __dsu_global_pointers[] = {\n" +
         Table + "  {0, 0, 0, 0, 0}};\n";
}

/// __dsu_live_ranges: arrays of pointers with a count (DSU_LIVE_COUNT).
Error Generator::emitLiveRanges() {
  // Arrays of pointers with a count of the elements in use (DSU_LIVE_COUNT).
  std::string Live;
  unsigned L = 0;
  for (const TUModel &TU : New.TUs)
    for (const GlobalInfo &Gl : TU.Globals) {
      if (Gl.LiveCount.empty())
        continue;
      const GlobalInfo *Count = nullptr;
      for (const TUModel &T : New.TUs)
        for (const GlobalInfo &C : T.Globals)
          if (C.Name == Gl.LiveCount && (!C.IsStatic || &T == &TU))
            Count = &C;
      if (!Count || !(Count->Size == 1 || Count->Size == 2 ||
                      Count->Size == 4 || Count->Size == 8))
        return failure("DSU_LIVE_COUNT(" + Gl.LiveCount + ") on global '" +
                       Gl.Name + "' (" + Gl.File + ":" +
                       std::to_string(Gl.Line) +
                       "): no integer global of that name in its scope");
      std::string Id = std::to_string(L++);
      Out += "extern char __dsu_la_" + Id + "[] __asm__(\"" + Gl.Symbol +
             "\");\nextern char __dsu_lc_" + Id + "[] __asm__(\"" +
             Count->Symbol + "\");\n";
      Live += "  {(void *const *)__dsu_la_" + Id + ", __dsu_lc_" + Id + ", " +
              std::to_string(Count->Size) + ", \"global " + Gl.Name +
              " (its first " + Gl.LiveCount + " elements)\"},\n";
    }
  Out += "const struct dsu_live_range __dsu_live_ranges[] = {\n" + Live +
         "  {0, 0, 0, 0}};\n";
  return Error::success();
}

void Generator::emitHooks() {
  Out += "\n/* Hooks of your own (struct dsu_hooks in <dsu/patch_format.h>): "
         "commit runs\n * once the update is in place, rollback if it is "
         "abandoned after the\n * transformers ran. A patch that moves objects "
         "a library holds re-registers\n * them in its commit hook and says so "
         "with DSU_REREGISTERS(type) from <dsu.h>. */\n";
  Out += "const struct dsu_hooks __dsu_hooks = {0, 0};\n";
}

/// Control migration (LoopMigration.cpp): for each running loop whose body
/// became a new function, the block that holds the locals the new body needs
/// in another form or that are new, its layout for the patch's adapter, and
/// the local-state transformer that fills it once from the old frame.
Error Generator::emitLoopMigrations() {
  for (const PatchPlan::LoopMigration &M : Plan.Migrations) {
    std::string Name = loopMigrationName(M);
    // The member for a local: its C name ("x.addr" is parameter x), made
    // an identifier (clang's temporaries are named "atomic-temp2").
    auto Local = [](const std::string &IRName) {
      StringRef N = IRName;
      N.consume_back(".addr");
      return mangle(N);
    };
    for (const PatchPlan::LoopMigration::Local &L : M.Args) {
      if (!L.Moved)
        continue;
      if (CType NT = typeOf(L.NewType);
          NT.isRecord() && NewTypes.count(NT.Base))
        if (Error E = declare(NT.Base, false))
          return E;
      if (CType OT = typeOf(L.OldType);
          L.OldArg >= 0 && OT.isRecord() && OldTypes.count(OT.Base))
        if (Error E = declare(newNameOf(OT.Base), true))
          return E;
    }
    Out += "\n/* Control migration: the running loop " + M.Loop + " (" +
           M.File + ":" + std::to_string(M.Line) +
           ") goes on with the new body\n * at its next turn. The locals in "
           "this block live there from then on;\n * the function below fills "
           "it once from the old frame's locals (edit it\n * to convert them). "
           "The other locals stay in the old frame. */\n";
    Out += "struct " + Name + " {\n";
    bool Any = false;
    for (const PatchPlan::LoopMigration::Local &L : M.Args)
      if (L.Moved) {
        Out += L.NewType.empty()
                   ? "  _Alignas(16) unsigned char " + Local(L.Name) + "[" +
                         std::to_string(L.Size) + "]; /* clang's storage */\n"
                   : "  __typeof__(" + L.NewType + ") " + Local(L.Name) + ";\n";
        Any = true;
      }
    if (!Any)
      Out += "  char unused;\n";
    // Hidden: patches' symbols become global once committed, and a later
    // patch's adapter must find its own.
    Out += "};\n__attribute__((visibility(\"hidden\")))\nconst unsigned long " +
           Name + "_layout[] = {sizeof(struct " + Name + ")";
    for (const PatchPlan::LoopMigration::Local &L : M.Args)
      Out += L.Moved ? ", offsetof(struct " + Name + ", " + Local(L.Name) + ")"
                     : std::string(", 0");
    Out += "};\n__attribute__((visibility(\"hidden\")))\nint " + Name +
           "(void *__dsu_block, void **__dsu_old) {\n";
    Out += "  struct " + Name + " *__dsu_to = __dsu_block;\n";
    for (const PatchPlan::LoopMigration::Local &L : M.Args) {
      if (!L.Moved)
        continue;
      std::string To = "__dsu_to->" + Local(L.Name);
      // The block's member must be the storage the new body expects: a
      // spelling that resolves to another type here (a tag declared inside
      // the function) stops the patch's build.
      if (L.Size)
        Out += "  _Static_assert(sizeof " + To +
               " == " + std::to_string(L.Size) + ", \"" + Local(L.Name) +
               ": the C type does not match the new body's storage\");\n";
      if (L.OldArg >= 0) {
        std::string OldType = renameOld(L.OldType);
        std::string From = "__dsu_old_" + Local(L.Name);
        Out += "  __typeof__(" + OldType + ") *" + From + " = __dsu_old[" +
               std::to_string(L.OldArg) + "];\n";
        // A pointer that changed type may point to memory of the old type
        // (or to an object the update moved, see dsu_relocated): a cast
        // would hide that.
        if (typeOf(L.NewType).isPointer() || typeOf(L.OldType).isPointer())
          Out += "  /* " + todoMarker().str() + " " + To + ": '" + L.OldType +
                 "' -> '" + L.NewType +
                 "' is a pointer whose target changed: convert what it points "
                 "to, or use dsu_relocated(), and delete this line */\n";
        else
          Out += copy(To, "(*" + From + ")", L.NewType, OldType, 0);
      } else if (L.NewType.empty()) {
        Out += "  /* " + Local(L.Name) +
               ": clang's storage for a statement, written before it is "
               "read */\n";
      } else if (L.Init == "?") {
        Out += "  /* " + todoMarker().str() + " " + Local(L.Name) +
               ": the new version sets this new local with code before its "
               "loop: write its value here and delete this line */\n";
      } else if (!L.Init.empty() && L.Init != "0") {
        Out += "  " + To + " = " + L.Init + ";\n";
      } else if (L.Init == "0") {
        Out += "  /* " + Local(L.Name) +
               ": starts at zero, as the block does */\n";
      } else {
        Out += "  /* " + Local(L.Name) +
               ": a new local that nothing sets before the loop: zero */\n";
      }
    }
    Out += "  (void)__dsu_to;\n  (void)__dsu_old;\n  return 0;\n}\n";
  }
  return Error::success();
}

/// The transformers file, section by section, in the order a reader meets
/// them: definitions, transformers, then the tables the runtime reads.
Expected<std::string> Generator::run() {
  emitHeader();
  if (Error E = emitDefinitions())
    return E;
  emitTypeTransformers();
  if (Error E = emitLoopMigrations())
    return E;
  auto GlobalTable = emitGlobalTransformers();
  if (!GlobalTable)
    return GlobalTable.takeError();
  emitTypeTables(*GlobalTable);
  emitPointerFields();
  emitGlobalPointers();
  if (Error E = emitLiveRanges())
    return E;
  emitHooks();
  return Out;
}

} // namespace

StringRef dsu::todoMarker() { return "DSU-TODO"; }

StringRef dsu::transformersMarker() {
  return "State transformers for the patch ";
}

bool dsu::needsStateTransformation(const PatchPlan &Plan) {
  if (!Plan.Types.empty() || !Plan.Migrations.empty())
    return true;
  for (const PatchPlan::GlobalChange &G : Plan.Globals)
    if (G.Kind == PatchPlan::GlobalChangeKind::TypeChanged)
      return true;
  return false;
}

Expected<std::string> dsu::generateTransformers(const ProgramModel &Old,
                                                const ProgramModel &New,
                                                const PatchPlan &Plan) {
  return Generator(Old, New, Plan).run();
}
