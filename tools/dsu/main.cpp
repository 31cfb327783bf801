//===- main.cpp - the dsu command-line tool ---------------------------------===//
#include "Commands.h"
#ifdef DSU_HAVE_SYMEX
#include "SymexCommand.h"
#include "VerifyCommand.h"
#endif

#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

static const char *Usage = R"(usage: dsu COMMAND [ARGS]

Live updates of programs built with dsu-cc:
  patch OLD NEW -o PATCH [--keep DIR] [--sign KEY] [-v]
        [--emit-transformers FILE.c] [--transformers FILE.c]
        [--allow-state-loss NAME[,NAME...]] [--allow-partial]
                     build the patch that updates a process running the
                     build OLD to the build NEW; when types, global types
                     or a running loop's locals changed (the loop is then
                     migrated to the new body), write the generated state
                     transformers to
                     FILE.c (FILE.c.new if FILE.c exists with other
                     contents), or use the edited FILE.c instead; a global
                     whose running value the update would drop (its file
                     renamed, a static moved) is refused unless named in
                     --allow-state-loss; an update that would leave a loop
                     running its old body for good (one that cannot be
                     migrated, as dsu diff says why) is refused unless
                     --allow-partial; --sign KEY signs it with the secret
                     key KEY (see keygen)
  keygen KEYFILE     make an Ed25519 key pair for signing patches: the
                     secret key in KEYFILE (mode 0600), the public key in
                     KEYFILE.pub (give it to processes in DSU_TRUSTED_KEYS)
  diff OLD NEW [--json]
                     print the patch plan: what changed and what an update
                     does about it
  apply PID PATCH [--timeout SECONDS] [--force-at FILE:LINE[,...]|all]
                     apply PATCH to the running process PID at its next
                     update point where it is safe (default timeout 10 s);
                     exits 0 only if the update was applied; --force-at
                     (repeatable) also allows the update points FILE:LINE,
                     or all of them, although dsu found them unsafe (the
                     process may be corrupted); dsu status records it
  status PID [--json]
                     the process's version, updates applied, pending request
  model PROGRAM      print the program model stored in a build or object
  test PROGRAM PATCH --input FILE [--expected FILE] [--timeout S] [-q]
       [-- ARGS...]  run PROGRAM on FILE once without an update, to count
                     the update points it reaches, then once per update
                     point with PATCH applied there; compare each output
                     with FILE (default: the output without an update)

Verification of updates:
  merge OLD NEW [--patch PATCH] [--transformers FILE.c] [-o MERGED.bc|.ll]
        [--exe PROGRAM] [--explain] [--keep DIR] [--allow-partial]
        [--allow-state-loss NAME[,NAME...]] [--force-at FILE:LINE[,...]|all]
                     make the merged program of the update OLD -> NEW: both
                     versions' code, the transformers, and at every update
                     point visit a choice to update there (natively
                     DSU_MERGE_UPDATE_AT=K: at the K-th visit; under symex
                     a symbolic choice); -o writes its LLVM module, --exe a
                     native program; --explain prints where each function,
                     global and update point went; --allow-partial and
                     --allow-state-loss as for patch, --force-at as for
                     apply
)"
#ifdef DSU_HAVE_SYMEX
                           R"(
Verification:
  symex FILE.c... [OPTIONS] [-- CLANG-FLAGS]
                     symbolically execute a C program (dsu symex --help)
  replay CASE FILE.c... [-- CLANG-FLAGS]
                     run a program natively on a test case from symex
  verify OLD NEW --form backward-compatible|conformable|post-update
         [--spec F.c] --stdin-lines N|--tcp-lines N
         --line-max L|--request-forms 'FORM|...' [--alphabet CHARS]
         [--patch P | --transformers F.c]
         [--old-error PATTERN] [--force-at FILE:LINE[,...]|all]
         [--max-time S] [--case FILE] [--quiet]
                     verify the update OLD -> NEW on every sequence of N
                     requests (of at most L bytes, or each one of the forms,
                     whose '?' bytes are symbolic) and every update timing:
                     the replies a client sees stay the old version's
                     (backward-compatible), or are the old version's before
                     the update and the new version's after it
                     (conformable), and the assertions of a spec in C
                     (<dsu/spec.h>); the requests are lines on stdin
                     (replies: stdout), or with --tcp-lines a server's one
                     client connection through a model of socket, bind,
                     listen, accept, poll, read/recv, write/send, close
                     (replies: what it writes to the connection; the run
                     ends when the server would wait with no request left;
                     other socket calls give unknown); a counterexample is
                     written as a case file (default
                     verify-out/counterexample.case)
  replay CASE        run a verify case on the real old build with the real
                     patch applied at its visit, and check the divergence;
                     a case from a spec runs the spec natively on the real
                     process's replies: the same assertion must fail
  spec-run OLD --spec F.c --requests FILE [--patch P --update-at K
           [--force-at FILE:LINE[,...]|all]] [--tcp] [--timeout S]
                     run a post-update spec natively, without symbolic
                     execution, on one session: the requests of FILE (one a
                     line) on stdin (--tcp: on one connection through
                     verify's socket model) of the real OLD alone and of OLD
                     with P applied at update-point visit K; exits 0 if the
                     spec holds, 1 naming the assertion that fails (FILE:LINE),
                     3 if the spec does not compile
)"
#endif
    ;

static int dispatch(int argc, char **argv);

/// Output that could not be written (a full disk, a closed pipe) is an
/// error with dsu's prefix, not LLVM's "IO failure" fatal error at exit.
static int checkOutput(int Rc) {
  llvm::outs().flush();
  if (!llvm::outs().has_error())
    return Rc;
  std::error_code EC = llvm::outs().error();
  llvm::outs().clear_error();
  llvm::errs() << "dsu: error: cannot write the output: " << EC.message()
               << "\n";
  return Rc ? Rc : 1;
}

int main(int argc, char **argv) {
  llvm::InitLLVM X(argc, argv);
  return checkOutput(dispatch(argc, argv));
}

static int dispatch(int argc, char **argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" ||
      std::string(argv[1]) == "-h" || std::string(argv[1]) == "help") {
    llvm::outs() << Usage;
    return argc < 2 ? 1 : 0;
  }
  std::string Cmd = argv[1];
  // `dsu COMMAND --help`: the command's part of the usage (symex prints its
  // own, longer help).
  if (argc == 3 && Cmd != "symex" &&
      (std::string(argv[2]) == "--help" || std::string(argv[2]) == "-h")) {
    llvm::StringRef Rest = Usage;
    std::string Part;
    bool In = false;
    while (!Rest.empty()) {
      auto [Line, Next] = Rest.split('\n');
      Rest = Next;
      bool CommandLine =
          Line.starts_with("  ") && Line.size() > 2 && Line[2] != ' ';
      if (CommandLine || !Line.starts_with(" "))
        In = CommandLine && Line.substr(2).starts_with(Cmd + " ");
      if (In)
        Part += Line.str() + "\n";
    }
    if (!Part.empty()) {
      llvm::outs() << "usage: dsu " << llvm::StringRef(Part).ltrim();
      return 0;
    }
  }
  dsu::ArgList Args(argv + 1, argv + argc);
  if (Cmd == "patch")
    return dsu::runPatchCommand(Args);
  if (Cmd == "merge")
    return dsu::runMergeCommand(Args);
  if (Cmd == "keygen")
    return dsu::runKeygenCommand(Args);
  if (Cmd == "diff")
    return dsu::runDiffCommand(Args);
  if (Cmd == "apply")
    return dsu::runApplyCommand(Args);
  if (Cmd == "status")
    return dsu::runStatusCommand(Args);
  if (Cmd == "model")
    return dsu::runModelCommand(Args);
  if (Cmd == "test")
    return dsu::runTestCommand(Args);
#ifdef DSU_HAVE_SYMEX
  if (Cmd == "symex")
    return dsuSymexMain(argc - 1, argv + 1);
  if (Cmd == "verify")
    return dsu::runVerifyCommand(Args);
  if (Cmd == "spec-run")
    return dsu::runSpecRunCommand(Args);
  if (Cmd == "replay" && argc == 3 && dsu::isVerifyCase(argv[2]))
    return dsu::runVerifyReplay(argv[2]);
  if (Cmd == "replay")
    return dsuReplayMain(argc - 1, argv + 1);
#endif
  llvm::errs() << "dsu: error: unknown command '" << Cmd
               << "' (see dsu --help)\n";
  return 1;
}
