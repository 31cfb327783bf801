//===- UpdateReach.h - which functions can be active at an update -*- C++ -*-===//
#ifndef DSU_ANALYSIS_UPDATEREACH_H
#define DSU_ANALYSIS_UPDATEREACH_H

#include "dsu/Model/Model.h"
#include <set>
#include <string>

namespace dsu {

/// Symbols of the functions that may be on the stack when an update point is
/// reached (see UpdateReach.cpp for the rules).
std::set<std::string> functionsActiveAtUpdatePoints(const ProgramModel &P);

/// Sets FunctionInfo::DirectCalls on every managed function that can never
/// be active at an update point. Returns how many were marked.
size_t markDirectCalls(ProgramModel &P);

} // namespace dsu

#endif
