//===- UntypedFacts.h - what flows into untyped pointers ----------*- C++
//-*-===//
#ifndef DSU_FRONTEND_UNTYPEDFACTS_H
#define DSU_FRONTEND_UNTYPEDFACTS_H

#include "UseFacts.h"
#include "dsu/Model/Model.h"
#include "clang/AST/Type.h"
#include "llvm/ADT/StringRef.h"
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace clang {
class ASTContext;
class Expr;
} // namespace clang

namespace dsu {

/// The record whose object a pointer-valued expression points to or into,
/// and the field when it points at one inside it (`&c->event`, a decayed
/// array field): {"", ""} when the expression says neither.
std::pair<std::string, std::string> pointedObject(const clang::Expr *E,
                                                  const RecordNamer &Name);

/// The type named by the first sizeof inside E (an allocation's size), if
/// any.
std::optional<clang::QualType> sizeofType(const clang::Expr *E);

/// Appends to Stores every value the translation unit stores into an
/// untyped pointer field or global, and to Casts every conversion of a
/// pointer to (or into) a record into an untyped pointer, another record's
/// pointer or an integer, and every integer made a pointer (Type
/// "integer"). Allocators names the allocation functions (their results
/// are fresh memory); KeepsNoAddress the library functions that do not keep
/// an address they are given (a cast passed to one is not recorded).
void collectUntypedFacts(
    clang::ASTContext &Ctx, const RecordNamer &Name,
    const std::set<std::string> &Allocators,
    const std::function<bool(llvm::StringRef)> &KeepsNoAddress,
    std::vector<UntypedStore> &Stores, std::vector<UntypedCast> &Casts);

} // namespace dsu

#endif
