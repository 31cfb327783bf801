//===- SymexCommand.cpp - dsu symex / dsu replay --------------------------===//
//
// Thin layers over dsuSymex: option parsing, printing, test-case files, and
// for replay a native clang-19 build of the program with the replay runtime.
//
//===----------------------------------------------------------------------===//

#include "SymexCommand.h"

#include "dsu/Symex/Symex.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstring>

using namespace dsu::symex;
using namespace llvm;

#ifndef DSU_CLANG_PATH
#define DSU_CLANG_PATH "clang-19"
#endif

namespace {

/// Splits argv at "--": the tail goes to clang.
void splitArgs(int Argc, char **Argv, std::vector<std::string> &Own,
               std::vector<std::string> &Clang) {
  bool Tail = false;
  for (int I = 1; I < Argc; ++I) {
    if (!Tail && std::strcmp(Argv[I], "--") == 0) {
      Tail = true;
      continue;
    }
    (Tail ? Clang : Own).push_back(Argv[I]);
  }
}

int parse(CLI::App &App, const std::string &Name,
          std::vector<std::string> Own) {
  std::reverse(Own.begin(), Own.end());
  try {
    App.parse(Own);
  } catch (const CLI::ParseError &E) {
    if (E.get_exit_code() == 0) {
      outs() << App.help();
      return 0;
    }
    errs() << "dsu " << Name << ": error: " << E.what() << "\n";
    return 3;
  }
  return -1;
}

std::string reportText(const ErrorReport &R) {
  std::string S = formatLocation(R.Where) + ": error: " + R.Message + "\n";
  unsigned I = 0;
  for (const Location &L : R.Stack)
    S += "  #" + std::to_string(I++) + " " + L.Function + " at " +
         formatLocation(L) + "\n";
  return S;
}

} // namespace

int dsuSymexMain(int argc, char **argv) {
  std::vector<std::string> Own, ClangFlags;
  splitArgs(argc, argv, Own, ClangFlags);

  CLI::App App("dsu symex: explore a C program symbolically from main",
               "dsu symex");
  App.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  std::vector<std::string> Files;
  std::string Search = "dfs", OutDir = "symex-out", DumpQueries, DumpIR;
  double MaxTime = 0;
  uint64_t MaxPaths = 0, MaxInsts = 0, MaxLoops = 0, SymStdin = 0;
  unsigned MaxDepth = 1000, Seed = 1, SolverTimeout = 10000, MaxValues = 8;
  bool ExitOnError = false, NoCache = false, NoModelReuse = false,
       NoIndependence = false, Quiet = false, WritePaths = false, O1 = false,
       NoStats = false;
  App.add_option("files", Files, "C source files")->required();
  App.add_option("--search", Search,
                 "search strategy: dfs, bfs, random-path, coverage")
      ->check(CLI::IsMember({"dfs", "bfs", "random-path", "coverage"}));
  App.add_option("--max-time", MaxTime, "stop after this many seconds");
  App.add_option("--max-paths", MaxPaths, "stop after this many paths");
  App.add_option("--max-instructions", MaxInsts,
                 "stop a path after this many instructions");
  App.add_option("--max-loop-iterations", MaxLoops,
                 "stop a path that runs a loop more often than this");
  App.add_option("--max-depth", MaxDepth, "stop a path at this call depth");
  App.add_option("--sym-stdin", SymStdin,
                 "serve this many symbolic bytes on standard input");
  App.add_option("--max-concretize-values", MaxValues,
                 "fork over at most this many values of a symbolic size "
                 "before concretizing it (default 8)");
  App.add_option("--output-dir", OutDir, "where test cases are written");
  App.add_option("--seed", Seed, "seed of the random strategies");
  App.add_option("--solver-timeout", SolverTimeout,
                 "milliseconds per solver query");
  App.add_option("--dump-queries", DumpQueries,
                 "print every query sent to Z3 as SMT-LIB to this file (- "
                 "for stdout)");
  App.add_option("--dump-ir", DumpIR,
                 "print the linked LLVM IR to this file (- for stdout)");
  App.add_flag("--exit-on-error", ExitOnError, "stop at the first error");
  bool SymbolicTime = false;
  App.add_flag("--symbolic-time", SymbolicTime,
               "time() and friends return symbolic, non-decreasing values "
               "(default: 1700000000)");
  App.add_flag("--no-cache", NoCache, "disable the query cache");
  App.add_flag("--no-model-reuse", NoModelReuse,
               "never answer a query with a recent model (always ask z3)");
  App.add_flag("--no-independence", NoIndependence,
               "disable independent-constraint slicing");
  App.add_flag("--write-paths", WritePaths,
               "write a test case for every completed path too");
  App.add_flag("--O1", O1, "compile with -O1 instead of -O0");
  App.add_flag("--quiet", Quiet, "no progress lines on stderr");
  App.add_flag("--no-stats", NoStats, "do not print statistics");
  if (int RC = parse(App, "symex", Own); RC >= 0)
    return RC;

  CompileOptions CO;
  CO.Clang = DSU_CLANG_PATH;
  CO.ClangFlags = ClangFlags;
  CO.OptLevel = O1 ? "-O1" : "-O0";
  LLVMContext Ctx;
  auto M = compileProgram(Ctx, Files, CO);
  if (!M) {
    errs() << toString(M.takeError()) << "\n";
    outs() << "verdict: unknown (compilation failed)\n";
    return 3;
  }
  if (!DumpIR.empty()) {
    std::error_code EC;
    raw_fd_ostream OS(DumpIR, EC);
    if (EC) {
      errs() << DumpIR << ": error: " << EC.message() << "\n";
      return 3;
    }
    (*M)->print(OS, nullptr);
  }

  Options O;
  O.Search = Search == "bfs"           ? SearchKind::BFS
             : Search == "random-path" ? SearchKind::RandomPath
             : Search == "coverage"    ? SearchKind::Coverage
                                       : SearchKind::DFS;
  O.MaxTime = MaxTime;
  O.MaxPaths = MaxPaths;
  O.MaxInstructions = MaxInsts;
  O.MaxLoopIterations = MaxLoops;
  O.MaxStackDepth = MaxDepth;
  O.MaxConcretizeValues = MaxValues;
  O.SymbolicTime = SymbolicTime;
  O.SymStdin = SymStdin;
  O.ExitOnError = ExitOnError;
  O.QueryCache = !NoCache;
  O.Independence = !NoIndependence;
  O.ModelReuse = !NoModelReuse;
  O.SolverTimeoutMs = SolverTimeout;
  O.Seed = Seed;
  O.Progress = Quiet ? nullptr : &errs();
  O.PathCases = WritePaths;
  // At -O0 an IR shift is a C shift; optimized IR may shift speculatively
  // and discard the (poison) result, which is not an error.
  O.OvershiftIsError = !O1;
  std::unique_ptr<raw_fd_ostream> QueryFile;
  if (!DumpQueries.empty()) {
    std::error_code EC;
    QueryFile = std::make_unique<raw_fd_ostream>(DumpQueries, EC);
    if (EC) {
      errs() << DumpQueries << ": error: " << EC.message() << "\n";
      return 3;
    }
    O.QueryDump = QueryFile.get();
  }

  if (std::error_code EC = sys::fs::create_directories(OutDir)) {
    errs() << OutDir << ": error: " << EC.message() << "\n";
    return 3;
  }
  unsigned ErrorNo = 0, PathNo = 0;
  auto WriteCase = [&](const TestCase &T, const std::string &Stem) {
    SmallString<256> P(OutDir);
    sys::path::append(P, Stem + ".case");
    std::error_code EC;
    raw_fd_ostream OS(P, EC);
    if (EC) {
      errs() << P << ": error: " << EC.message() << "\n";
      return std::string();
    }
    OS << formatTestCase(T);
    return std::string(P);
  };
  Callbacks CB;
  CB.OnError = [&](const ErrorReport &R) {
    std::string Path = WriteCase(R.Case, "error-" + std::to_string(++ErrorNo));
    outs() << reportText(R);
    if (!Path.empty())
      outs() << "  test case: " << Path << "\n";
    outs().flush();
  };
  CB.OnPath = [&](const TestCase &T) {
    WriteCase(T, "path-" + std::to_string(++PathNo));
  };
  CB.OnWarning = [&](const std::string &W) { errs() << W << "\n"; };

  auto R = runSymex(**M, O, CB);
  if (!R) {
    errs() << toString(R.takeError()) << "\n";
    outs() << "verdict: unknown (engine failure)\n";
    return 3;
  }
  const Statistics &S = R->Stats;
  if (!NoStats) {
    double Secs = S.Seconds > 0 ? S.Seconds : 1e-9;
    outs() << "statistics:\n";
    outs() << format("  paths: %llu completed, %llu with errors, %llu "
                     "stopped early, %llu infeasible, %llu unexplored\n",
                     (unsigned long long)S.PathsCompleted,
                     (unsigned long long)S.PathsErrored,
                     (unsigned long long)S.PathsEarly,
                     (unsigned long long)S.PathsInfeasible,
                     (unsigned long long)S.StatesLeft);
    if (S.PathsExcused)
      outs() << format("  excused: %llu paths ended by an error the program "
                       "excused (__dsu_symex_excuse_errors)\n",
                       (unsigned long long)S.PathsExcused);
    outs() << format("  instructions: %llu (%.0f/s), forks: %llu\n",
                     (unsigned long long)S.Instructions, S.Instructions / Secs,
                     (unsigned long long)S.Forks);
    outs() << format(
        "  solver: %llu queries, %llu cache hits, %llu by recent models, "
        "%llu by enumeration, %llu to z3 in %.3fs, %llu of %llu constraints "
        "sliced away\n",
        (unsigned long long)S.Queries, (unsigned long long)S.CacheHits,
        (unsigned long long)S.ModelHits,
        (unsigned long long)S.EnumerationAnswers,
        (unsigned long long)S.Z3Queries, S.SolverSeconds,
        (unsigned long long)S.SlicedAway, (unsigned long long)S.ConstraintsIn);
    outs() << format(
        "  coverage: %llu of %llu lines (%.1f%%)\n",
        (unsigned long long)S.LinesCovered, (unsigned long long)S.LinesTotal,
        S.LinesTotal ? 100.0 * S.LinesCovered / S.LinesTotal : 100.0);
    outs() << format("  time: %.3fs\n", S.Seconds);
  }
  switch (R->V) {
  case Verdict::Holds:
    outs() << "verdict: holds\n";
    return 0;
  case Verdict::Error:
    outs() << "verdict: error\n";
    return 1;
  case Verdict::Unknown:
    outs() << "verdict: unknown (" << R->Reason << ")\n";
    return 2;
  }
  return 2;
}

//===----------------------------------------------------------------------===//
// dsu replay
//===----------------------------------------------------------------------===//

static const char *signalName(int Sig) {
  switch (Sig) {
  case SIGABRT:
    return "SIGABRT";
  case SIGSEGV:
    return "SIGSEGV";
  case SIGFPE:
    return "SIGFPE";
  case SIGILL:
    return "SIGILL";
  case SIGBUS:
    return "SIGBUS";
  case SIGTRAP:
    return "SIGTRAP";
  default:
    return "a signal";
  }
}

int dsuReplayMain(int argc, char **argv) {
  std::vector<std::string> Own, ClangFlags;
  splitArgs(argc, argv, Own, ClangFlags);
  CLI::App App("dsu replay: run a program natively on a test case",
               "dsu replay");
  std::string CasePath;
  std::vector<std::string> Files;
  bool NoSanitize = false, Verbose = false;
  App.add_option("case", CasePath, "test case written by dsu symex")
      ->required();
  App.add_option("files", Files, "C source files")->required();
  App.add_flag("--no-sanitize", NoSanitize,
               "build without AddressSanitizer/UBSan checks");
  App.add_flag("-v,--verbose", Verbose, "print the build command");
  if (int RC = parse(App, "replay", Own); RC >= 0)
    return RC;

  auto Buf = MemoryBuffer::getFile(CasePath);
  if (!Buf) {
    errs() << CasePath << ": error: " << Buf.getError().message() << "\n";
    return 3;
  }
  auto Case = parseTestCase((*Buf)->getBuffer());
  if (!Case) {
    errs() << CasePath << ":" << toString(Case.takeError()) << "\n";
    return 3;
  }
  SmallString<256> AbsCase(CasePath);
  sys::fs::make_absolute(AbsCase);

  SmallString<256> Tmp;
  if (std::error_code EC = sys::fs::createUniqueDirectory("dsu-replay", Tmp)) {
    errs() << "dsu replay: error: " << EC.message() << "\n";
    return 3;
  }
  struct Cleanup {
    SmallString<256> &P;
    ~Cleanup() { sys::fs::remove_directories(P); }
  } C{Tmp};
  SmallString<256> Inc(Tmp), Rt(Tmp), Exe(Tmp), Out(Tmp);
  sys::path::append(Inc, "include");
  sys::path::append(Rt, "dsu-replay.c");
  sys::path::append(Exe, "program");
  sys::path::append(Out, "stdout");
  if (Error E = writeKleeHeader(Inc)) {
    errs() << toString(std::move(E)) << "\n";
    return 3;
  }
  {
    std::error_code EC;
    raw_fd_ostream OS(Rt, EC);
    if (EC) {
      errs() << Rt << ": error: " << EC.message() << "\n";
      return 3;
    }
    OS << replayRuntimeSource();
  }

  auto Build = [&](bool Sanitize) {
    std::vector<std::string> Args = {DSU_CLANG_PATH, "-g", "-O0",
                                     "-w",           "-I", std::string(Inc)};
    if (Sanitize) {
      Args.push_back("-fsanitize=address,shift-exponent,integer-divide-by-"
                     "zero");
      Args.push_back("-fno-sanitize-recover=all");
    }
    for (auto &F : ClangFlags)
      Args.push_back(F);
    for (auto &F : Files)
      Args.push_back(F);
    Args.push_back(std::string(Rt));
    Args.push_back("-o");
    Args.push_back(std::string(Exe));
    std::vector<StringRef> Refs(Args.begin(), Args.end());
    if (Verbose) {
      for (auto &A : Args)
        errs() << A << " ";
      errs() << "\n";
    }
    // The sanitized attempt is silent: without the sanitizer runtime it
    // fails and the plain build below reports real errors.
    std::optional<StringRef> R[] = {
        std::nullopt, std::nullopt,
        Sanitize ? std::optional<StringRef>("/dev/null") : std::nullopt};
    return sys::ExecuteAndWait(DSU_CLANG_PATH, Refs, std::nullopt, R) == 0;
  };
  bool Sanitized = !NoSanitize && Build(true);
  if (!Sanitized && !Build(false)) {
    errs() << "dsu replay: error: the native build failed\n";
    return 3;
  }

  // Run with the case, capturing stdout to compare with the output trace.
  std::vector<std::string> Env;
  for (char **E = environ; *E; ++E)
    Env.push_back(*E);
  Env.push_back("DSU_REPLAY_CASE=" + std::string(AbsCase));
  Env.push_back("ASAN_OPTIONS=abort_on_error=1:detect_leaks=0");
  Env.push_back("UBSAN_OPTIONS=abort_on_error=1:print_stacktrace=1");
  std::vector<StringRef> EnvRefs(Env.begin(), Env.end());
  std::string ErrMsg;
  std::optional<StringRef> Redirects[] = {StringRef("/dev/null"),
                                          StringRef(Out), std::nullopt};
  StringRef ExeRef(Exe);
  int RC = sys::ExecuteAndWait(ExeRef, {ExeRef}, ArrayRef<StringRef>(EnvRefs),
                               Redirects, 0, 0, &ErrMsg);
  std::string Stdout;
  if (auto OB = MemoryBuffer::getFile(Out))
    Stdout = (*OB)->getBuffer().str();
  outs() << Stdout;
  outs().flush();
  if (RC == -2 || RC < 0) {
    // ExecuteAndWait reports a crash as -2 with a message naming the signal.
    std::string Sig = ErrMsg;
    for (int S : {SIGABRT, SIGSEGV, SIGFPE, SIGILL, SIGBUS, SIGTRAP})
      if (ErrMsg.find(strsignal(S)) != std::string::npos)
        Sig = signalName(S);
    outs() << "replay: error reproduced (" << (Sig.empty() ? "crash" : Sig)
           << ")";
    if (!Case->Error.empty())
      outs() << "; expected: " << Case->Error;
    outs() << "\n";
    return 1;
  }
  if (RC == 3) {
    errs() << "dsu replay: error: the test case does not fit the program\n";
    return 3;
  }
  if (Stdout != Case->Output)
    outs() << "replay: note: the output differs from the test case's trace\n";
  outs() << "replay: no error (exit status " << RC << ")";
  if (!Case->Error.empty())
    outs() << "; the test case expected: " << Case->Error;
  outs() << "\n";
  return 0;
}
