//===- UseFacts.cpp - where a body uses the representation of a type ---===//
//
// The continuation analysis (lib/Analysis/Continuations.cpp) asks, for a
// frame that is still on the stack when an update commits, whether the rest
// of it may use the representation of a type the update changes. The LLVM
// module no longer says that reliably: with opaque pointers a whole-object
// copy through a pointer is an untyped memcpy, sizeof is a constant and a
// pointer difference is a division. The AST still knows, so this visitor
// records, per line of a function body, the record types whose layout the
// code depends on:
//
//   field  `p->f`, `s.f`: the base's type (every level of `a->b.c`);
//   size   sizeof/alignof/offsetof of the type or of arrays of it;
//   copy   the whole object read (passed or returned by value, assigned),
//          or built (initialiser lists, compound literals);
//   arith  pointer arithmetic, indexing and pointer differences over it;
//   frame  a reference to a local variable or parameter whose type holds
//          the type by value or by pointer. The runtime relocates objects of
//          a changed type and fixes the pointers it can see (globals, heap),
//          never those in stack frames, so a frame that goes on using such a
//          variable after the update, even only to pass it along, would use
//          the old object.
//
// Passing along a pointer that the frame did not hold across the update (a
// fresh load from a global or a field, a call's result) is not a use: the
// pointer the runtime fixed is the one read. Lines are expansion lines, so a
// use inside a macro is at the line that invokes it, as in the IR's debug
// locations that the analysis matches against.
//
//===----------------------------------------------------------------------===//
#include "UseFacts.h"

#include "clang/AST/Expr.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Basic/SourceManager.h"

using namespace clang;
using namespace dsu;

namespace {

class UseCollector : public RecursiveASTVisitor<UseCollector> {
public:
  UseCollector(const SourceManager &SM, const RecordNamer &Name,
               std::vector<TypeUse> &Out)
      : SM(SM), Name(Name), Out(Out) {}

  bool shouldVisitImplicitCode() const { return false; }

  bool VisitMemberExpr(MemberExpr *E) {
    QualType Base = E->getBase()->getType();
    if (E->isArrow())
      if (const auto *PT = Base->getAs<PointerType>())
        Base = PT->getPointeeType();
    addRecord(E->getExprLoc(), Base, "field");
    return true;
  }
  bool VisitUnaryExprOrTypeTraitExpr(UnaryExprOrTypeTraitExpr *E) {
    addHeld(E->getExprLoc(), E->getTypeOfArgument(), "size",
            /*ThroughPointers=*/false);
    return true;
  }
  bool VisitOffsetOfExpr(OffsetOfExpr *E) {
    addHeld(E->getExprLoc(), E->getTypeSourceInfo()->getType(), "size", false);
    return true;
  }
  bool VisitImplicitCastExpr(ImplicitCastExpr *E) {
    if (E->getCastKind() == CK_LValueToRValue)
      addRecord(E->getExprLoc(), E->getType(), "copy");
    return true;
  }
  bool VisitInitListExpr(InitListExpr *E) {
    addRecord(E->getBeginLoc(), E->getType(), "copy");
    return true;
  }
  bool VisitCompoundLiteralExpr(CompoundLiteralExpr *E) {
    addRecord(E->getBeginLoc(), E->getType(), "copy");
    return true;
  }
  bool VisitBinaryOperator(BinaryOperator *E) {
    if (E->isAssignmentOp() && E->getOpcode() == BO_Assign)
      addRecord(E->getExprLoc(), E->getType(), "copy");
    if (E->isAdditiveOp() || E->getOpcode() == BO_AddAssign ||
        E->getOpcode() == BO_SubAssign) {
      addPointee(E->getExprLoc(), E->getLHS()->getType());
      addPointee(E->getExprLoc(), E->getRHS()->getType());
    }
    return true;
  }
  bool VisitUnaryOperator(UnaryOperator *E) {
    if (E->isIncrementDecrementOp())
      addPointee(E->getExprLoc(), E->getSubExpr()->getType());
    return true;
  }
  bool VisitArraySubscriptExpr(ArraySubscriptExpr *E) {
    addRecord(E->getExprLoc(), E->getType(), "arith");
    return true;
  }
  bool VisitDeclRefExpr(DeclRefExpr *E) {
    const auto *VD = dyn_cast<VarDecl>(E->getDecl());
    if (VD && VD->hasLocalStorage())
      addHeld(E->getExprLoc(), VD->getType(), "frame",
              /*ThroughPointers=*/true);
    return true;
  }

private:
  unsigned lineOf(SourceLocation Loc) {
    PresumedLoc P = SM.getPresumedLoc(SM.getExpansionLoc(Loc));
    return P.isValid() ? P.getLine() : 0;
  }
  void add(SourceLocation Loc, const RecordType *RT, const char *Kind) {
    unsigned Line = lineOf(Loc);
    std::string N = Name(RT->getDecl());
    if (Line && !N.empty() && N != "anonymous")
      Out.push_back({Line, N, Kind});
  }
  void addRecord(SourceLocation Loc, QualType T, const char *Kind) {
    if (const auto *RT = T.getCanonicalType()->getAs<RecordType>())
      add(Loc, RT, Kind);
  }
  void addPointee(SourceLocation Loc, QualType T) {
    if (const auto *PT = T.getCanonicalType()->getAs<PointerType>())
      addRecord(Loc, PT->getPointeeType(), "arith");
  }
  /// Every record T holds by value (arrays included) and, if
  /// ThroughPointers, the records it points to.
  void addHeld(SourceLocation Loc, QualType T, const char *Kind,
               bool ThroughPointers) {
    for (unsigned Depth = 0; Depth < 8 && !T.isNull(); ++Depth) {
      T = T.getCanonicalType();
      if (const auto *RT = T->getAs<RecordType>())
        return add(Loc, RT, Kind);
      if (const auto *AT = T->getAsArrayTypeUnsafe())
        T = AT->getElementType();
      else if (const auto *PT = T->getAs<PointerType>(); PT && ThroughPointers)
        T = PT->getPointeeType();
      else
        return;
    }
  }

  const SourceManager &SM;
  const RecordNamer &Name;
  std::vector<TypeUse> &Out;
};

} // namespace

void dsu::collectTypeUses(Stmt *Body, const SourceManager &SM,
                          const RecordNamer &Name, std::vector<TypeUse> &Out) {
  if (!Body)
    return;
  UseCollector C(SM, Name, Out);
  C.TraverseStmt(Body);
}
