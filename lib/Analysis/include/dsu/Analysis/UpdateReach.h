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

/// Symbols of the functions that may be on the stack when the update point U
/// is reached: U's function and, transitively, every function that may call
/// it (through pointers and libraries conservatively, as above).
std::set<std::string> functionsActiveAt(const ProgramModel &P,
                                        const UpdatePointInfo &U);

/// Sets FunctionInfo::DirectCalls on every managed function that can never
/// be active at an update point. Returns how many were marked.
size_t markDirectCalls(ProgramModel &P);

} // namespace dsu

#endif
