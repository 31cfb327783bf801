//===- Symex.h - Public interface of the symbolic executor ------*- C++ -*-===//
//
// dsuSymex explores a C program compiled to LLVM IR from its main function
// on all inputs made symbolic with the KLEE intrinsics, and answers with a
// verdict: holds (every path explored, no error), error (with a test case
// per distinct error), or unknown (a bound or an unmodelled feature stopped
// it). `dsu symex` is a thin layer over compileProgram() and runSymex().
//
//===----------------------------------------------------------------------===//

#ifndef DSU_SYMEX_SYMEX_H
#define DSU_SYMEX_SYMEX_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dsu::symex {

//===-- Compilation -------------------------------------------------------===//

struct CompileOptions {
  std::string Clang;                   ///< clang-19 binary.
  std::vector<std::string> ClangFlags; ///< Extra flags for every file.
  std::string OptLevel = "-O0";        ///< -O0 (default) or -O1.
  /// If set, each clang-19 command run is written here, one a line.
  llvm::raw_ostream *Commands = nullptr;
};

/// Compiles \p Files with clang-19 to bitcode, links them with the libc
/// model and returns the program. Messages are `file: error: ...`.
llvm::Expected<std::unique_ptr<llvm::Module>>
compileProgram(llvm::LLVMContext &Ctx, llvm::ArrayRef<std::string> Files,
               const CompileOptions &O);

/// The embedded sources shipped with the tool.
llvm::StringRef libcModelSource();
llvm::StringRef replayRuntimeSource();
llvm::StringRef kleeHeaderSource();

/// Writes <Dir>/klee/klee.h so `-I Dir` finds <klee/klee.h>.
llvm::Error writeKleeHeader(llvm::StringRef Dir);

//===-- Exploration -------------------------------------------------------===//

enum class SearchKind { DFS, BFS, RandomPath, Coverage };

struct Options {
  SearchKind Search = SearchKind::DFS;
  double MaxTime = 0;             ///< Seconds; 0 = no limit.
  uint64_t MaxPaths = 0;          ///< 0 = no limit.
  uint64_t MaxInstructions = 0;   ///< Per path; 0 = no limit.
  uint64_t MaxLoopIterations = 0; ///< Per loop and call; 0 = no limit.
  unsigned MaxStackDepth = 1000;
  /// A symbolic value the engine needs concrete (an allocation or output
  /// size, a freed pointer) forks once per possible value, up to this many;
  /// beyond that one more value is picked and the verdict is weakened.
  unsigned MaxConcretizeValues = 8;
  uint64_t SymStdin = 0; ///< Bytes of symbolic standard input.
  bool ExitOnError = false;
  bool QueryCache = true;
  bool Independence = true;
  /// Try the last models found on each question before Z3 (Solver.cpp).
  bool ModelReuse = true;
  unsigned SolverTimeoutMs = 10000;
  unsigned Seed = 1;
  /// If set, a progress line (time, paths, states, instructions, queries)
  /// is written here every two seconds.
  llvm::raw_ostream *Progress = nullptr;
  bool PathCases = false; ///< Report a test case for every completed path.
  /// Report shifts by >= the bit width (C undefined behaviour). Turn off for
  /// optimized IR, where such shifts yield an unused poison value.
  bool OvershiftIsError = true;
  /// time(), gettimeofday() and clock_gettime() return FixedTime seconds;
  /// with SymbolicTime each call returns a fresh symbolic value (a test-case
  /// object named "time") no smaller than the previous one.
  bool SymbolicTime = false;
  static constexpr int64_t FixedTime = 1700000000; ///< 2023-11-14 22:13:20 UTC
  llvm::raw_ostream *QueryDump = nullptr;
  /// If set, exit() called while a function whose name starts with this is
  /// on the stack returns the exit status from the outermost such function
  /// instead of ending the path: a harness that runs several programs' mains
  /// one after the other (dsu verify, whose programs' names all carry the
  /// prefix) gets control back after each.
  std::string ExitReturnsFrom;
};

struct Location {
  std::string Function;
  std::string File;
  unsigned Line = 0;
};

struct TestObject {
  std::string Name;
  std::vector<uint8_t> Bytes;
};

/// The concrete inputs (and observed output) of one path.
struct TestCase {
  std::vector<TestObject> Objects; ///< In klee_make_symbolic order.
  std::optional<std::vector<uint8_t>> Stdin;
  std::string Output; ///< Bytes the path wrote (fd 1 and fds above 2).
  std::string Error;  ///< "" for a path without error.
  std::string Kind;
  std::string Where; ///< file:line of the error.
  int ExitCode = 0;
};

struct ErrorReport {
  std::string Kind;    ///< assertion, out-of-bounds, null-dereference, ...
  std::string Message; ///< Lowercase, without location.
  std::vector<Location> Stack; ///< Innermost first.
  Location Where;              ///< The innermost frame in user code.
  TestCase Case;
};

struct Statistics {
  uint64_t Instructions = 0;
  uint64_t PathsCompleted = 0;
  uint64_t PathsErrored = 0;
  uint64_t PathsEarly = 0;
  /// Paths ended by an error while the program had excused errors
  /// (__dsu_symex_excuse_errors): not an error of the verdict.
  uint64_t PathsExcused = 0;
  uint64_t PathsInfeasible = 0;
  uint64_t StatesLeft = 0;
  uint64_t Forks = 0;
  uint64_t Queries = 0;
  uint64_t CacheHits = 0;
  uint64_t ModelHits = 0; ///< Answered Sat by a recent model, not Z3.
  uint64_t Z3Queries = 0;
  /// Decided by trying every value of small variables, not Z3.
  uint64_t EnumerationAnswers = 0;
  uint64_t SlicedAway = 0;
  uint64_t ConstraintsIn = 0;
  double SolverSeconds = 0;
  double Seconds = 0;
  uint64_t LinesCovered = 0;
  uint64_t LinesTotal = 0;
};

enum class Verdict { Holds, Error, Unknown };

struct RunResult {
  Verdict V = Verdict::Holds;
  std::string Reason; ///< For Unknown.
  std::vector<ErrorReport> Errors;
  /// The first excused error at each site (RunResult::Errors' form).
  std::vector<ErrorReport> Excused;
  Statistics Stats;
};

struct Callbacks {
  std::function<void(const ErrorReport &)> OnError;
  std::function<void(const TestCase &)> OnPath;
  /// Warnings with a location (unmodelled functions and intrinsics).
  std::function<void(const std::string &)> OnWarning;
  /// __dsu_symex_note(const char *text) in the program: the (concrete)
  /// text, once per call on every path that makes it (a harness telling its
  /// tool what a path did, without a test case per path).
  std::function<void(const std::string &)> OnNote;
};

/// Explores \p M from main.
llvm::Expected<RunResult> runSymex(llvm::Module &M, const Options &O,
                                   const Callbacks &CB = {});

//===-- Test cases --------------------------------------------------------===//

std::string formatTestCase(const TestCase &C);
llvm::Expected<TestCase> parseTestCase(llvm::StringRef Text);

std::string formatLocation(const Location &L);
llvm::StringRef verdictName(Verdict V);

} // namespace dsu::symex

#endif
