//===- ASTFacts.cpp - the C-level half of the program model ---------------===//
//
// Walks a parsed translation unit and records what LLVM IR no longer says:
//
//  * struct/union types declared outside system headers, with field names,
//    C types, offsets and sizes, and a structural hash. The hash follows
//    fields held by value (nested structs, arrays) and stops at pointers,
//    which contribute only the pointee's name: a change to `struct item`
//    changes the hash of `struct list { struct item first; }` but not of
//    `struct item *head`, because the pointer's storage does not change.
//  * the canonical C signature of every function defined here, and the C type
//    of every global, so that identities are stable under typedef renames;
//  * allocation sites: calls to malloc, calloc, realloc and named wrappers
//    whose size argument contains sizeof(T) (or sizeof an expression of type
//    T), which is how the runtime will later know the type of heap objects;
//  * update points: calls to __dsu_update_point, which DSU_UPDATE_POINT()
//    expands to;
//  * what flows into untyped pointers (UntypedFacts.cpp).
//
//===----------------------------------------------------------------------===//
#include "ASTFactsConsumer.h"
#include "UntypedFacts.h"
#include "UseFacts.h"
#include "dsu/Support/Hash.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Attr.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/AST/RecordLayout.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Basic/SourceManager.h"
#include <map>
#include <regex>
#include <set>

using namespace clang;
using namespace dsu;

namespace {

/// "void *[0]" -> "void *[]": GNU C's zero-length array and C99's flexible
/// array member are one layout, spelled one way.
std::string flexibleArraySpelling(std::string T) {
  if (StringRef(T).ends_with("[0]"))
    T.replace(T.size() - 3, 3, "[]");
  return T;
}

class TypeHasher {
public:
  explicit TypeHasher(ASTContext &Ctx) : Ctx(Ctx) {}

  /// Structural hash text of a type as held by value.
  std::string structural(QualType T) {
    T = T.getCanonicalType();
    if (const auto *RT = T->getAs<RecordType>()) {
      const RecordDecl *RD = RT->getDecl()->getDefinition();
      std::string Name = recordName(RT->getDecl());
      if (!RD)
        return "incomplete " + Name;
      if (InProgress.count(RD))
        return "recursive " + Name;
      InProgress.insert(RD);
      const ASTRecordLayout &L = Ctx.getASTRecordLayout(RD);
      std::string S = Name + "{size=" + std::to_string(L.getSize().getQuantity());
      unsigned I = 0;
      for (const FieldDecl *F : RD->fields()) {
        S += ";" + F->getNameAsString() + "@" +
             std::to_string(L.getFieldOffset(I++)) + ":" +
             structural(F->getType());
        if (F->isBitField())
          S += ":bits" + std::to_string(F->getBitWidthValue(Ctx));
      }
      InProgress.erase(RD);
      return S + "}";
    }
    // A zero-length array is GNU C's flexible array member: the same
    // layout as `[]`, so the two spellings hash alike.
    if (const auto *AT = Ctx.getAsConstantArrayType(T))
      if (AT->getSize().getZExtValue() != 0)
        return "[" + std::to_string(AT->getSize().getZExtValue()) + "]" +
               structural(AT->getElementType());
    if (T->isArrayType())
      return "[]" + structural(Ctx.getAsArrayType(T)->getElementType());
    if (const auto *PT = T->getAs<PointerType>())
      return "*" + nominal(PT->getPointeeType());
    return T.getAsString();
  }

  std::string nominal(QualType T) {
    T = T.getCanonicalType();
    if (const auto *RT = T->getAs<RecordType>())
      return recordName(RT->getDecl());
    return T.getAsString();
  }

  static std::string recordName(const RecordDecl *RD) {
    if (!RD->getName().empty())
      return (RD->isUnion() ? "union " : "struct ") + RD->getNameAsString();
    if (const TypedefNameDecl *TD = RD->getTypedefNameForAnonDecl())
      return TD->getNameAsString();
    return "anonymous";
  }

private:
  ASTContext &Ctx;
  std::set<const RecordDecl *> InProgress;
};

/// Collects the record types a function body mentions, through pointers,
/// arrays and typedefs.
class TypesUsedCollector : public RecursiveASTVisitor<TypesUsedCollector> {
public:
  explicit TypesUsedCollector(std::set<std::string> &Out) : Out(Out) {}

  void addType(QualType T) {
    if (T.isNull())
      return;
    const Type *Ty = T.getCanonicalType().getTypePtr();
    if (!Seen.insert(Ty).second)
      return;
    if (const auto *RT = dyn_cast<RecordType>(Ty)) {
      Out.insert(TypeHasher::recordName(RT->getDecl()));
      return;
    }
    if (const auto *PT = dyn_cast<PointerType>(Ty))
      return addType(PT->getPointeeType());
    if (const auto *AT = dyn_cast<ArrayType>(Ty))
      return addType(AT->getElementType());
    if (const auto *FT = dyn_cast<FunctionProtoType>(Ty)) {
      addType(FT->getReturnType());
      for (QualType P : FT->param_types())
        addType(P);
    }
  }
  bool VisitExpr(Expr *E) {
    addType(E->getType());
    if (auto *U = dyn_cast<UnaryExprOrTypeTraitExpr>(E))
      if (U->isArgumentType())
        addType(U->getArgumentType());
    return true;
  }
  bool VisitDeclaratorDecl(DeclaratorDecl *D) {
    addType(D->getType());
    return true;
  }

private:
  std::set<std::string> &Out;
  std::set<const Type *> Seen;
};

class FactsVisitor : public RecursiveASTVisitor<FactsVisitor> {
public:
  FactsVisitor(ASTContext &Ctx, ASTFacts &Facts)
      : Ctx(Ctx), SM(Ctx.getSourceManager()), Facts(Facts), Hasher(Ctx) {
    Allocators = {"malloc", "calloc", "realloc", "reallocarray"};
    for (const std::string &A : Facts.ExtraAllocators)
      Allocators.insert(A);
  }

  bool shouldVisitImplicitCode() const { return false; }
  const std::set<std::string> &allocators() const { return Allocators; }

  void place(SourceLocation Loc, std::string &File, unsigned &Line) {
    PresumedLoc P = SM.getPresumedLoc(SM.getExpansionLoc(Loc));
    if (P.isValid()) {
      File = P.getFilename();
      Line = P.getLine();
    }
  }

  bool TraverseFunctionDecl(FunctionDecl *FD) {
    const FunctionDecl *Saved = CurrentFunction;
    if (FD->doesThisDeclarationHaveABody())
      CurrentFunction = FD;
    bool R = RecursiveASTVisitor::TraverseFunctionDecl(FD);
    CurrentFunction = Saved;
    return R;
  }

  bool VisitFunctionDecl(FunctionDecl *FD) {
    if (!FD->doesThisDeclarationHaveABody()) {
      if (!FD->isDefined() &&
          (FD->isImplicit() ||
           SM.isInSystemHeader(SM.getExpansionLoc(FD->getLocation())))) {
        Facts.SystemFunctions.insert(FD->getNameAsString());
        if (const auto *Label = FD->getAttr<AsmLabelAttr>())
          Facts.SystemFunctions.insert(Label->getLabel().str());
      }
      return true;
    }
    ASTFacts::Function F;
    F.Name = FD->getNameAsString();
    F.Signature = FD->getType().getCanonicalType().getAsString();
    place(FD->getLocation(), F.File, F.Line);
    TypesUsedCollector Collector(F.TypesUsed);
    Collector.addType(FD->getType());
    Collector.TraverseStmt(FD->getBody());
    collectTypeUses(FD->getBody(), SM, TypeHasher::recordName, F.TypeUses);
    Facts.Functions[F.Name] = F;
    return true;
  }

  bool VisitVarDecl(VarDecl *VD) {
    if (!VD->hasGlobalStorage()) {
      recordLocal(VD);
      return true;
    }
    if (isa<ParmVarDecl>(VD))
      return true;
    if (VD->hasExternalStorage() && !VD->hasInit())
      return true; // a declaration only
    ASTFacts::Global G;
    if (VD->isStaticLocal()) {
      const auto *FD = dyn_cast<FunctionDecl>(VD->getParentFunctionOrMethod());
      if (!FD)
        return true;
      G.IRName = FD->getNameAsString() + "." + VD->getNameAsString();
    } else {
      G.IRName = VD->getNameAsString();
    }
    G.Type = VD->getType().getCanonicalType().getAsString();
    G.TypeHash = toHex(hashString(Hasher.structural(VD->getType())));
    G.IsConst = VD->getType().isConstQualified();
    for (const auto *D = VD->getMostRecentDecl(); D; D = D->getPreviousDecl())
      for (const auto *Attr : D->specific_attrs<AnnotateAttr>()) {
        StringRef Note = Attr->getAnnotation();
        if (Note.consume_front("dsu_points_to:"))
          G.PointsTo = Note.trim().str();
        else if (Note.consume_front("dsu_live_count:"))
          G.LiveCount = Note.trim().str();
      }
    place(VD->getLocation(), G.File, G.Line);
    Facts.Globals.emplace(G.IRName, G);
    return true;
  }

  /// Locals by the name clang gives their storage in the IR.
  void recordLocal(VarDecl *VD) {
    if (!CurrentFunction || VD->getName().empty())
      return;
    auto Fn = Facts.Functions.find(CurrentFunction->getNameAsString());
    if (Fn == Facts.Functions.end())
      return;
    std::string Name = VD->getNameAsString();
    if (isa<ParmVarDecl>(VD)) {
      // Not the parameters of a function type spelled in the body.
      if (VD->getDeclContext() != CurrentFunction)
        return;
      Name += ".addr";
    }
    std::string Type = VD->getType().getCanonicalType().getAsString();
    uint64_t Size = VD->getType()->isIncompleteType() ||
                            VD->getType()->isVariablyModifiedType()
                        ? 0
                        : Ctx.getTypeSizeInChars(VD->getType()).getQuantity();
    auto [It, New] =
        Fn->second.Locals.emplace(Name, ASTFacts::Function::Local{Type, Size});
    if (!New && It->second.Type != Type)
      It->second.Type.clear();
  }

  bool VisitRecordDecl(RecordDecl *RD) {
    if (!RD->isCompleteDefinition() || RD->isInvalidDecl() ||
        RD->isDependentType())
      return true;
    std::string Name = TypeHasher::recordName(RD);
    if (Name == "anonymous")
      return true;
    if (SM.isInSystemHeader(SM.getExpansionLoc(RD->getLocation()))) {
      SystemRecords.emplace(Name, RD);
      return true;
    }
    if (SeenTypes.insert(Name).second)
      addRecord(RD, Name, false);
    return true;
  }

  /// A definition that names an enum (`state_t state;`) needs the enum's
  /// own definition, which a transformers file does not have: the enum is
  /// spelled as its integer type instead, the same layout and values.
  static std::string enumsAsIntegers(const RecordDecl *RD, std::string Text,
                                     const PrintingPolicy &Policy) {
    std::vector<const RecordDecl *> Work = {RD};
    std::map<std::string, std::string> Spelling;
    while (!Work.empty()) {
      const RecordDecl *R = Work.back();
      Work.pop_back();
      for (const FieldDecl *FD : R->fields()) {
        QualType T = FD->getType().getCanonicalType();
        while (const auto *AT = dyn_cast<ArrayType>(T.getTypePtr()))
          T = AT->getElementType().getCanonicalType();
        if (const auto *ET = T->getAs<EnumType>())
          Spelling[QualType(ET, 0).getAsString(Policy)] =
              ET->getDecl()->getIntegerType().getAsString(Policy);
        else if (const auto *Inner = T->getAs<RecordType>())
          if (!Inner->getDecl()->getIdentifier()) // printed inline
            Work.push_back(Inner->getDecl());
      }
    }
    for (const auto &[Enum, Integer] : Spelling) {
      std::regex Word("(^|[^A-Za-z0-9_])" + Enum + "(?![A-Za-z0-9_])");
      Text = std::regex_replace(Text, Word, "$1" + Integer);
    }
    return Text;
  }

  /// Records of system headers that the pointer tables need: allocated at a
  /// typed site, or holding an untyped field the program stores into (the
  /// address of a moved object may be there: struct msghdr's msg_name).
  void addSystemRecords() {
    std::set<std::string> Needed;
    for (const AllocSite &A : Facts.AllocSites)
      Needed.insert(A.Type);
    for (const UntypedStore &S : Facts.UntypedStores)
      Needed.insert(S.Target.substr(0, S.Target.rfind('.')));
    for (const std::string &Name : Needed) {
      auto It = SystemRecords.find(Name);
      if (It != SystemRecords.end() && SeenTypes.insert(Name).second)
        addRecord(It->second, Name, true);
    }
  }

  void addRecord(const RecordDecl *RD, const std::string &Name, bool System) {
    dsu::TypeInfo T;
    T.Name = Name;
    T.IsSystem = System;
    T.IsUnion = RD->isUnion();
    const ASTRecordLayout &L = Ctx.getASTRecordLayout(RD);
    T.Size = L.getSize().getQuantity();
    T.Align = L.getAlignment().getQuantity();
    unsigned I = 0;
    for (const FieldDecl *FD : RD->fields()) {
      FieldInfo F;
      F.Name = FD->getNameAsString();
      F.Type = flexibleArraySpelling(
          FD->getType().getCanonicalType().getAsString());
      F.TypeHash = toHex(hashString(Hasher.structural(FD->getType())));
      F.OffsetBits = L.getFieldOffset(I++);
      F.IsBitField = FD->isBitField();
      for (const auto *Attr : FD->specific_attrs<AnnotateAttr>()) {
        StringRef Note = Attr->getAnnotation();
        if (Note.consume_front("dsu_points_to:"))
          F.PointsTo = Note.trim().str();
      }
      F.SizeBits = F.IsBitField ? FD->getBitWidthValue(Ctx)
                   : FD->getType()->isIncompleteType()
                       ? 0
                       : Ctx.getTypeSize(FD->getType());
      T.Fields.push_back(F);
    }
    QualType QT = Ctx.getRecordType(RD);
    T.Hash = toHex(hashString(Hasher.structural(QT)));
    {
      llvm::raw_string_ostream OS(T.Definition);
      PrintingPolicy Policy(Ctx.getLangOpts());
      Policy.SuppressTagKeyword = false;
      Policy.IncludeTagDefinition = false;
      Policy.PrintCanonicalTypes = true;
      RD->print(OS, Policy);
      if (RD->getName().empty())
        T.Definition = "typedef " + T.Definition + " " + Name;
      T.Definition += ";";
      T.Definition = enumsAsIntegers(RD, T.Definition, Policy);
    }
    place(RD->getLocation(), T.File, T.Line);
    Facts.Types.push_back(T);
  }

  /// Library functions that use the memory they are given only during the
  /// call: passing them an object's address does not pin it.
  static bool keepsNoAddress(StringRef Name) {
    static const std::set<std::string> Known = {
        "memcpy", "memmove", "memset", "memcmp", "memchr", "bzero", "bcopy",
        "strcpy", "strncpy", "strcat", "strncat", "strcmp", "strncmp",
        "strcasecmp", "strncasecmp", "strlen", "strnlen", "strchr", "strrchr",
        "strstr", "strdup", "strndup", "strtol", "strtoul", "strtoll",
        "strtoull", "strtod", "atoi", "atol", "printf", "fprintf", "sprintf",
        "snprintf", "vprintf", "vfprintf", "vsprintf", "vsnprintf", "puts",
        "fputs", "fputc", "putc", "fwrite", "fread", "fgets", "sscanf",
        "fscanf", "scanf", "read", "write", "pread", "pwrite", "readv",
        "writev", "recv", "recvfrom", "recvmsg", "send", "sendto", "sendmsg",
        "free", "qsort", "bsearch", "accept", "accept4", "bind", "connect",
        "getsockname", "getpeername", "setsockopt", "getsockopt", "select",
        "poll", "ppoll", "pselect", "epoll_wait", "fstat", "stat", "lstat",
        "gettimeofday", "clock_gettime", "time", "localtime_r", "gmtime_r",
        "localtime", "gmtime", "strftime", "mktime", "inet_ntop", "inet_pton",
        "inet_ntoa", "inet_aton", "getaddrinfo", "getnameinfo", "pipe",
        "pipe2", "socketpair", "pthread_mutex_lock", "pthread_mutex_unlock",
        "pthread_mutex_trylock", "pthread_mutex_init", "pthread_mutex_destroy",
        "sigemptyset", "sigfillset", "sigaddset", "sigdelset", "sigprocmask",
        "pthread_sigmask", "getrlimit", "setrlimit", "getrusage", "uname",
        "gethostname", "sysconf", "crc32", "assert", "__assert_fail",
        "perror", "syslog", "vsyslog",
        // A new thread's argument reaches program code, whose frames the
        // safety analysis covers.
        "pthread_create"};
    return Known.count(Name.str()) != 0;
  }

  /// Records the calls that give an object's address to a function this TU
  /// does not define (whether the program defines it elsewhere is decided
  /// on the whole program, see lib/Patch/Diff.cpp).
  void recordEscapes(const CallExpr *CE, const FunctionDecl *Callee) {
    if (Callee->hasBody() || Callee->getBuiltinID() ||
        keepsNoAddress(Callee->getName()))
      return;
    for (const Expr *Arg : CE->arguments()) {
      auto [Record, Field] = pointedObject(Arg, TypeHasher::recordName);
      if (Record.empty() || Record == "anonymous")
        continue;
      AddressEscape A;
      A.Callee = Callee->getNameAsString();
      A.Type = Record;
      A.Field = Field;
      A.Function = CurrentFunction->getNameAsString();
      place(CE->getBeginLoc(), A.File, A.Line);
      Facts.Escapes.push_back(A);
    }
  }

  /// Typedef names of records, so that types can be matched by any name.
  bool VisitTypedefNameDecl(TypedefNameDecl *TD) {
    QualType U = TD->getUnderlyingType().getCanonicalType();
    if (const auto *RT = U->getAs<RecordType>()) {
      std::string Record = TypeHasher::recordName(RT->getDecl());
      if (Record != TD->getNameAsString() && Record != "anonymous")
        Aliases[Record].insert(TD->getNameAsString());
    }
    return true;
  }

  /// Gives each type the typedef names seen for it anywhere in the TU.
  void attachAliases() {
    for (dsu::TypeInfo &T : Facts.Types) {
      auto It = Aliases.find(T.Name);
      if (It != Aliases.end())
        T.Aliases.assign(It->second.begin(), It->second.end());
    }
  }

  /// Whether an allocation's size makes room for data after one object of
  /// Type (`sizeof(struct msg) + len`, or any size but a product for a
  /// struct ending in a flexible array member), rather than for one object
  /// or an array of them.
  static bool hasTrailingData(const Expr *Size, QualType Type) {
    const Expr *E = Size->IgnoreParenCasts();
    if (isa<UnaryExprOrTypeTraitExpr>(E))
      return false;
    if (const auto *BO = dyn_cast<BinaryOperator>(E)) {
      if (BO->getOpcode() == BO_Add)
        return true;
      if (BO->getOpcode() == BO_Mul)
        return false;
    }
    return endsInFlexibleArray(Type);
  }

  /// A struct ending in a flexible array member, or in the zero-length
  /// array GNU C used for one (`void *end[0]`, memcached 1.2.2).
  static bool endsInFlexibleArray(QualType Type) {
    const auto *RT = Type->getAs<RecordType>();
    const RecordDecl *RD = RT ? RT->getDecl()->getDefinition() : nullptr;
    if (!RD)
      return false;
    if (RD->hasFlexibleArrayMember())
      return true;
    const FieldDecl *Last = nullptr;
    for (const FieldDecl *F : RD->fields())
      Last = F;
    if (!Last)
      return false;
    const auto *CA = dyn_cast<ConstantArrayType>(
        Last->getType()->getUnqualifiedDesugaredType());
    return CA && CA->getSize() == 0;
  }

  bool VisitCallExpr(CallExpr *CE) {
    const FunctionDecl *Callee = CE->getDirectCallee();
    if (!Callee || !CurrentFunction)
      return true;
    std::string Name = Callee->getNameAsString();
    if (Name == "__dsu_update_point") {
      UpdatePointInfo U;
      U.Function = CurrentFunction->getNameAsString();
      place(CE->getBeginLoc(), U.File, U.Line);
      Facts.UpdatePoints.push_back(U);
      return true;
    }
    if (!Allocators.count(Name)) {
      recordEscapes(CE, Callee);
      return true;
    }
    std::optional<QualType> Named;
    const Expr *SizeArg = nullptr;
    for (const Expr *Arg : CE->arguments())
      if (auto T = sizeofType(Arg)) {
        Named = T->getCanonicalType();
        SizeArg = Arg;
        break;
      }
    // A size with no sizeof (`malloc(bytes)`, `slabs_alloc(ntotal)`), or
    // one that names `void *` for a table of typed pointers: the type the
    // result is converted to says what the memory holds, where that leaves
    // no doubt about its shape (resultElementType).
    if (!Named || (*Named)->isVoidPointerType())
      if (std::optional<QualType> FromResult = resultElementType(CE)) {
        Named = FromResult;
        SizeArg = nullptr;
      }
    if (!Named)
      return true;
    QualType QT = *Named;
    // Only records (which updates transform) and pointers (arrays of them
    // hold references) are worth tracking: a scalar sizeof is a buffer or an
    // allocator's own header (zmalloc's size_t), and tracking it would put
    // every allocation in the table.
    if (!QT->isRecordType() && !QT->isPointerType())
      return true;
    AllocSite A;
    A.Function = CurrentFunction->getNameAsString();
    A.Allocator = Name;
    if (const auto *RT = QT->getAs<RecordType>())
      A.Type = TypeHasher::recordName(RT->getDecl());
    else
      A.Type = QT.getAsString();
    A.Trailing = SizeArg ? hasTrailingData(SizeArg, QT) : QT->isRecordType();
    place(CE->getBeginLoc(), A.File, A.Line);
    A.Column =
        SM.getPresumedLoc(SM.getExpansionLoc(CE->getBeginLoc())).getColumn();
    Facts.AllocSites.push_back(A);
    return true;
  }

  /// What an allocation whose size names no type holds, read from the type
  /// its result is converted to (`struct item **t = malloc(bytes)`, `item
  /// *it = slabs_alloc(ntotal)`, a cast): pointers to T for a T ** result,
  /// whatever the byte count (every slot is a pointer; T a struct, since only
  /// those can change), and one T with its
  /// data for a struct ending in a flexible array member (C has no arrays of
  /// those). Any other struct could be one object, an array or an object with
  /// data after it; nothing here says which, so the site stays untracked and
  /// the runtime's pointer check refuses an update that meets its objects.
  std::optional<QualType> resultElementType(const CallExpr *CE) {
    const Expr *Result = CE;
    while (true) {
      auto Parents = Ctx.getParents(*Result);
      if (Parents.size() != 1)
        return std::nullopt;
      const auto *E = Parents[0].get<Expr>();
      if (!E || !(isa<ParenExpr>(E) || isa<CastExpr>(E)))
        return std::nullopt;
      Result = E;
      QualType To = E->getType().getCanonicalType();
      if (!To->isPointerType())
        return std::nullopt;
      QualType Pointee = To->getPointeeType().getUnqualifiedType();
      if (Pointee->isVoidType())
        continue;
      if (Pointee->isPointerType() && Pointee->getPointeeType()->isRecordType())
        return Pointee;
      if (endsInFlexibleArray(Pointee))
        return Pointee;
      return std::nullopt;
    }
  }

private:
  ASTContext &Ctx;
  SourceManager &SM;
  ASTFacts &Facts;
  TypeHasher Hasher;
  std::set<std::string> Allocators;
  std::set<std::string> SeenTypes;
  std::map<std::string, const RecordDecl *> SystemRecords;
  std::map<std::string, std::set<std::string>> Aliases;
  const FunctionDecl *CurrentFunction = nullptr;
};

class FactsConsumer : public ASTConsumer {
public:
  explicit FactsConsumer(ASTFacts &Facts) : Facts(Facts) {}
  void HandleTranslationUnit(ASTContext &Ctx) override {
    if (Ctx.getDiagnostics().hasErrorOccurred())
      return;
    FactsVisitor V(Ctx, Facts);
    V.TraverseDecl(Ctx.getTranslationUnitDecl());
    V.attachAliases();
    collectUntypedFacts(Ctx, TypeHasher::recordName, V.allocators(),
                        FactsVisitor::keepsNoAddress, Facts.UntypedStores,
                        Facts.UntypedCasts);
    V.addSystemRecords();
  }

private:
  ASTFacts &Facts;
};

} // namespace

std::unique_ptr<ASTConsumer> dsu::createASTFactsConsumer(ASTFacts &Facts) {
  return std::make_unique<FactsConsumer>(Facts);
}
