//===- UntypedFacts.cpp - what flows into untyped pointers ----------------===//
//
// When an update moves the objects of a changed type, every pointer to them
// must be redirected. Typed pointers say what they point to; a `void *`
// field or global does not, so `dsu patch` needs to know whether one may
// hold the address of an object the update moves. The C code says it, in
// two kinds of facts this file records per translation unit:
//
//  * stores: every value assigned or initialised into an untyped field,
//    array element or global, classified by what it points to as the code
//    spells it before any cast: a record (`(void *)c` with `conn *c`, or
//    `&c->event`, an address inside one), an integer made a pointer, a
//    non-record C type ("char" for a buffer), fresh memory from an
//    allocator, a function; or nothing known (a `void *` parameter, the
//    result of a call). A local `void *` variable is looked through: its
//    own initialiser and assignments in the same function stand for it.
//    Taking the address of an untyped place (`&c->data`) is a store of
//    anything ("address taken"): bytes may be copied in through it
//    (memcpy) without any cast.
//  * casts: every place where a pointer to (or into) an object of a record
//    becomes an untyped pointer, another record's pointer or an integer,
//    other than as the operand of a comparison or the argument of a library
//    function that keeps no address (free, memcpy). After such a cast the
//    record's address may reach any untyped place through values the code
//    does not type. Integers made pointers are recorded as casts of the
//    pseudo-type "integer", since an untyped place fed by unknown values may
//    then hold a number, which must never be "redirected".
//
// lib/Patch/UntypedPointers.cpp combines them over the whole program.
//
//===----------------------------------------------------------------------===//
#include "UntypedFacts.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Expr.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Basic/SourceManager.h"
#include <map>

using namespace clang;
using namespace dsu;

std::optional<QualType> dsu::sizeofType(const Expr *E) {
  if (!E)
    return std::nullopt;
  E = E->IgnoreParenImpCasts();
  if (const auto *U = dyn_cast<UnaryExprOrTypeTraitExpr>(E))
    if (U->getKind() == UETT_SizeOf)
      return U->getTypeOfArgument();
  for (const Stmt *Child : E->children())
    if (const auto *CE = dyn_cast_or_null<Expr>(Child))
      if (auto T = sizeofType(CE))
        return T;
  return std::nullopt;
}

std::pair<std::string, std::string>
dsu::pointedObject(const Expr *Arg, const RecordNamer &Name) {
  const Expr *E = Arg->IgnoreParenCasts();
  // &obj->field, &obj.field, obj->array (decayed): an address inside obj.
  const Expr *Inner = E;
  if (const auto *U = dyn_cast<UnaryOperator>(E);
      U && U->getOpcode() == UO_AddrOf)
    Inner = U->getSubExpr()->IgnoreParens();
  if (const auto *M = dyn_cast<MemberExpr>(Inner)) {
    if (Inner != E || M->getType()->isArrayType()) {
      // The outermost object of a chain of '.' accesses holds the field.
      while (!M->isArrow())
        if (const auto *Base =
                dyn_cast<MemberExpr>(M->getBase()->IgnoreParens()))
          M = Base;
        else
          break;
      if (const auto *FD = dyn_cast<FieldDecl>(M->getMemberDecl()))
        return {Name(FD->getParent()), FD->getNameAsString()};
    }
  }
  // obj: a pointer to a record.
  QualType T = E->getType().getCanonicalType();
  if (const auto *PT = T->getAs<PointerType>())
    if (const auto *RT = PT->getPointeeType()->getAs<RecordType>())
      return {Name(RT->getDecl()), ""};
  return {"", ""};
}

namespace {

bool isUntyped(QualType T) {
  T = T.getCanonicalType();
  while (const auto *AT = dyn_cast<ArrayType>(T.getTypePtr()))
    T = AT->getElementType().getCanonicalType();
  return T->isPointerType() && T->getPointeeType()->isVoidType();
}

class UntypedVisitor : public RecursiveASTVisitor<UntypedVisitor> {
public:
  UntypedVisitor(ASTContext &Ctx, const RecordNamer &Name,
                 const std::set<std::string> &Allocators,
                 const std::function<bool(StringRef)> &KeepsNoAddress,
                 std::vector<UntypedStore> &Stores,
                 std::vector<UntypedCast> &Casts)
      : Ctx(Ctx), SM(Ctx.getSourceManager()), Name(Name),
        Allocators(Allocators), KeepsNoAddress(KeepsNoAddress), Stores(Stores),
        Casts(Casts) {}

  bool TraverseFunctionDecl(FunctionDecl *FD) {
    if (!FD->doesThisDeclarationHaveABody())
      return RecursiveASTVisitor::TraverseFunctionDecl(FD);
    Locals.clear();
    Pending.clear();
    bool R = RecursiveASTVisitor::TraverseFunctionDecl(FD);
    resolvePending();
    return R;
  }

  bool VisitBinaryOperator(BinaryOperator *BO) {
    if (BO->isComparisonOp()) {
      // Comparing a record pointer with a `void *` converts it, but the
      // address goes nowhere.
      markHarmless(BO->getLHS());
      markHarmless(BO->getRHS());
      return true;
    }
    if (BO->getOpcode() != BO_Assign)
      return true; // `p->free += size` derives from the place itself
    if (const VarDecl *Local = untypedLocal(BO->getLHS())) {
      Locals[Local].push_back(classify(BO->getRHS()));
      return true;
    }
    if (auto Target = targetOf(BO->getLHS()))
      store(*Target, BO->getRHS(), BO->getExprLoc());
    return true;
  }

  bool VisitUnaryOperator(UnaryOperator *U) {
    if (U->getOpcode() != UO_AddrOf)
      return true;
    // The place may be written through the pointer taken here.
    if (const VarDecl *Local = untypedLocal(U->getSubExpr()))
      Locals[Local].push_back(Source{""});
    else if (auto Target = targetOf(U->getSubExpr()))
      record(*Target, "address taken", U->getExprLoc());
    return true;
  }

  bool VisitVarDecl(VarDecl *VD) {
    if (isa<ParmVarDecl>(VD) || !VD->hasInit())
      return true;
    if (VD->hasGlobalStorage()) {
      if (isUntyped(VD->getType()))
        storeInit(globalName(VD), VD->getInit(), VD->getLocation());
    } else if (isUntypedScalar(VD->getType())) {
      Locals[VD].push_back(classify(VD->getInit()));
    }
    return true;
  }

  bool VisitInitListExpr(InitListExpr *ILE) {
    if (ILE->isSyntacticForm() && ILE->getSemanticForm())
      ILE = ILE->getSemanticForm();
    if (!SeenInits.insert(ILE).second)
      return true;
    const auto *RT = ILE->getType().getCanonicalType()->getAs<RecordType>();
    if (!RT)
      return true;
    const RecordDecl *RD = RT->getDecl();
    std::string Record = Name(RD);
    if (Record == "anonymous")
      return true;
    unsigned I = 0;
    for (const FieldDecl *FD : RD->fields()) {
      if (I >= ILE->getNumInits())
        break;
      const Expr *Init = ILE->getInit(I++);
      if (RD->isUnion() && ILE->getInitializedFieldInUnion() != FD)
        continue;
      if (isUntyped(FD->getType()))
        storeInit(Record + "." + FD->getNameAsString(), Init,
                  Init->getBeginLoc());
    }
    return true;
  }

  bool VisitCallExpr(CallExpr *CE) {
    const FunctionDecl *Callee = CE->getDirectCallee();
    for (const Expr *Arg : CE->arguments()) {
      const Expr *A = Arg->IgnoreParens();
      if (Callee &&
          (Callee->getBuiltinID() || KeepsNoAddress(Callee->getName())))
        Harmless.insert(A);
      else if (Callee)
        ArgumentOf[A] = Callee->getNameAsString();
    }
    return true;
  }

  bool VisitCastExpr(CastExpr *CE) {
    // Inline functions of system headers (CMSG_NXTHDR) cast their own
    // types, never the program's.
    if (Harmless.count(CE) ||
        SM.isInSystemHeader(SM.getExpansionLoc(CE->getExprLoc())))
      return true;
    if (CE->getCastKind() == CK_IntegralToPointer) {
      if (!CE->getType()->isFunctionPointerType() && // SIG_IGN
          !CE->isNullPointerConstant(Ctx, Expr::NPC_ValueDependentIsNotNull))
        cast("integer", CE);
      return true;
    }
    if (CE->getCastKind() != CK_BitCast &&
        CE->getCastKind() != CK_PointerToIntegral)
      return true;
    auto [Record, Field] = pointedObject(CE->getSubExpr(), Name);
    if (Record.empty() || Record == "anonymous")
      return true;
    // A record pointer to its own record (const, a typedef) stays typed.
    QualType To = CE->getType().getCanonicalType();
    if (Field.empty() && To->isPointerType())
      if (const auto *RT = To->getPointeeType()->getAs<RecordType>())
        if (Name(RT->getDecl()) == Record)
          return true;
    cast(Record, CE);
    return true;
  }

private:
  /// A stored value: what it points to (UntypedStore::Source), or a local
  /// `void *` variable that stands for its own values.
  struct Source {
    std::string What;
    const VarDecl *Local = nullptr;
  };
  struct PendingStore {
    std::string Target;
    const VarDecl *Local;
    SourceLocation Loc;
  };

  void place(SourceLocation Loc, std::string &File, unsigned &Line) {
    PresumedLoc P = SM.getPresumedLoc(SM.getExpansionLoc(Loc));
    if (P.isValid()) {
      File = P.getFilename();
      Line = P.getLine();
    }
  }

  /// Every cast an operand goes through (`p == MAP_FAILED` converts
  /// `((void *)-1)` again) goes nowhere.
  void markHarmless(const Expr *E) {
    while (E) {
      Harmless.insert(E);
      if (const auto *CE = dyn_cast<CastExpr>(E))
        E = CE->getSubExpr();
      else if (const auto *PE = dyn_cast<ParenExpr>(E))
        E = PE->getSubExpr();
      else
        break;
    }
  }

  void cast(const std::string &Type, const CastExpr *CE) {
    UntypedCast C;
    C.Type = Type;
    auto It = ArgumentOf.find(CE);
    if (It != ArgumentOf.end())
      C.Callee = It->second;
    place(CE->getExprLoc(), C.File, C.Line);
    Casts.push_back(C);
  }

  bool isFlexible(QualType T) {
    if (T->isIncompleteArrayType())
      return true;
    const auto *AT = Ctx.getAsConstantArrayType(T);
    return AT && AT->getSize().getZExtValue() == 0;
  }

  static bool isUntypedScalar(QualType T) {
    T = T.getCanonicalType();
    return T->isPointerType() && T->getPointeeType()->isVoidType();
  }

  /// The local (automatic) `void *` variable E names, if it does.
  static const VarDecl *untypedLocal(const Expr *E) {
    const auto *DR = dyn_cast<DeclRefExpr>(E->IgnoreParenImpCasts());
    const auto *VD = DR ? dyn_cast<VarDecl>(DR->getDecl()) : nullptr;
    if (!VD || VD->hasGlobalStorage() || isa<ParmVarDecl>(VD) ||
        !isUntypedScalar(VD->getType()))
      return nullptr;
    return VD;
  }

  static std::string globalName(const VarDecl *VD) {
    if (VD->isStaticLocal())
      if (const auto *FD =
              dyn_cast_or_null<FunctionDecl>(VD->getParentFunctionOrMethod()))
        return FD->getNameAsString() + "." + VD->getNameAsString();
    return VD->getNameAsString();
  }

  /// The untyped place an lvalue names: "RECORD.FIELD" or a global's name.
  /// Elements of an untyped array field or global are that place too.
  std::optional<std::string> targetOf(const Expr *LHS) {
    const Expr *E = LHS->IgnoreParenImpCasts();
    while (const auto *AS = dyn_cast<ArraySubscriptExpr>(E)) {
      const Expr *Base = AS->getBase()->IgnoreParenImpCasts();
      if (!Base->getType()->isArrayType())
        return std::nullopt; // an element of a heap array: see dsu_heap.c
      E = Base;
    }
    if (const auto *M = dyn_cast<MemberExpr>(E)) {
      const auto *FD = dyn_cast<FieldDecl>(M->getMemberDecl());
      if (!FD || !isUntyped(FD->getType()) || isFlexible(FD->getType()))
        return std::nullopt; // trailing data is never scanned for pointers
      std::string Record = Name(FD->getParent());
      if (Record == "anonymous")
        return std::nullopt;
      return Record + "." + FD->getNameAsString();
    }
    if (const auto *DR = dyn_cast<DeclRefExpr>(E))
      if (const auto *VD = dyn_cast<VarDecl>(DR->getDecl()))
        if (VD->hasGlobalStorage() && isUntyped(VD->getType()))
          return globalName(VD);
    return std::nullopt;
  }

  /// What a value stored into an untyped place points to.
  Source classify(const Expr *Value) {
    if (Value->isNullPointerConstant(Ctx, Expr::NPC_ValueDependentIsNotNull))
      return Source{"null"};
    const Expr *E = Value->IgnoreParenCasts();
    auto [Record, Field] = pointedObject(E, Name);
    if (!Record.empty())
      return Source{Record == "anonymous" ? "" : Record};
    QualType T = E->getType().getCanonicalType();
    if (T->isIntegerType())
      return Source{"integer"};
    if (T->isFunctionType() || T->isFunctionPointerType())
      return Source{"function"};
    if (const auto *AT = dyn_cast<ArrayType>(T.getTypePtr()))
      return Source{AT->getElementType().getUnqualifiedType().getAsString()};
    if (!T->isPointerType())
      return Source{""};
    QualType Pointee = T->getPointeeType();
    if (!Pointee->isVoidType())
      return Source{Pointee.getUnqualifiedType().getAsString()};
    if (const VarDecl *Local = untypedLocal(E))
      return Source{"", Local};
    if (const auto *Call = dyn_cast<CallExpr>(E))
      if (const FunctionDecl *Callee = Call->getDirectCallee();
          Callee && Allocators.count(Callee->getNameAsString())) {
        for (const Expr *Arg : Call->arguments())
          if (auto Type = sizeofType(Arg))
            if (const auto *RT = Type->getCanonicalType()->getAs<RecordType>())
              return Source{Name(RT->getDecl())};
        return Source{"fresh memory"};
      }
    return Source{""};
  }

  void record(const std::string &Target, const std::string &What,
              SourceLocation Loc) {
    if (What == "null")
      return;
    UntypedStore S;
    S.Target = Target;
    S.Source = What;
    place(Loc, S.File, S.Line);
    Stores.push_back(S);
  }

  void store(const std::string &Target, const Expr *Value, SourceLocation Loc) {
    Source S = classify(Value);
    if (S.Local)
      Pending.push_back({Target, S.Local, Loc});
    else
      record(Target, S.What, Loc);
  }

  /// An initialiser: arrays of untyped pointers element by element.
  void storeInit(const std::string &Target, const Expr *Init,
                 SourceLocation Loc) {
    if (const auto *ILE = dyn_cast<InitListExpr>(Init->IgnoreParens())) {
      for (const Expr *E : ILE->inits())
        storeInit(Target, E, E->getBeginLoc());
      return;
    }
    store(Target, Init, Loc);
  }

  /// Stores of local `void *` variables become stores of what the variable
  /// may hold anywhere in its function.
  void resolvePending() {
    for (const PendingStore &P : Pending) {
      std::set<const VarDecl *> Seen;
      std::set<std::string> Whats;
      std::vector<const VarDecl *> Work = {P.Local};
      while (!Work.empty()) {
        const VarDecl *V = Work.back();
        Work.pop_back();
        if (!Seen.insert(V).second)
          continue;
        auto It = Locals.find(V);
        if (It == Locals.end())
          continue; // never given a value: nothing to store
        for (const Source &S : It->second)
          if (S.Local)
            Work.push_back(S.Local);
          else
            Whats.insert(S.What);
      }
      for (const std::string &W : Whats)
        record(P.Target, W, P.Loc);
    }
  }

  ASTContext &Ctx;
  SourceManager &SM;
  const RecordNamer &Name;
  const std::set<std::string> &Allocators;
  const std::function<bool(StringRef)> &KeepsNoAddress;
  std::vector<UntypedStore> &Stores;
  std::vector<UntypedCast> &Casts;
  std::map<const VarDecl *, std::vector<Source>> Locals;
  std::vector<PendingStore> Pending;
  std::set<const Expr *> Harmless;
  std::map<const Expr *, std::string> ArgumentOf;
  std::set<const InitListExpr *> SeenInits;
};

} // namespace

void dsu::collectUntypedFacts(
    ASTContext &Ctx, const RecordNamer &Name,
    const std::set<std::string> &Allocators,
    const std::function<bool(StringRef)> &KeepsNoAddress,
    std::vector<UntypedStore> &Stores, std::vector<UntypedCast> &Casts) {
  UntypedVisitor V(Ctx, Name, Allocators, KeepsNoAddress, Stores, Casts);
  V.TraverseDecl(Ctx.getTranslationUnitDecl());
}
