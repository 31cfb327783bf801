//===- UseFacts.h - representation uses of types, by line ---------*- C++ -*-===//
#ifndef DSU_FRONTEND_USEFACTS_H
#define DSU_FRONTEND_USEFACTS_H

#include "dsu/Model/Model.h"
#include <functional>
#include <string>
#include <vector>

namespace clang {
class RecordDecl;
class SourceManager;
class Stmt;
} // namespace clang

namespace dsu {

/// The model's name of a record type ("struct item", a typedef name).
using RecordNamer = std::function<std::string(const clang::RecordDecl *)>;

/// Appends to Out every place in Body that uses the representation of a
/// record type (see UseFacts.cpp for what counts).
void collectTypeUses(clang::Stmt *Body, const clang::SourceManager &SM,
                     const RecordNamer &Name, std::vector<TypeUse> &Out);

} // namespace dsu

#endif
