//===- ASTFactsConsumer.h - collects ASTFacts from a parsed TU ----*- C++ -*-===//
#ifndef DSU_FRONTEND_ASTFACTSCONSUMER_H
#define DSU_FRONTEND_ASTFACTSCONSUMER_H

#include "dsu/Frontend/ClangFrontend.h"
#include "clang/AST/ASTConsumer.h"

namespace dsu {
std::unique_ptr<clang::ASTConsumer> createASTFactsConsumer(ASTFacts &Facts);
}

#endif
