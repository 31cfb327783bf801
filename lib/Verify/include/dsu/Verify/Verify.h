//===- Verify.h - dsu verify: client-oriented specs of an update -*- C++
//-*-===//
//
// See lib/Verify/Verify.cpp for how an update is verified and
// docs/verification.md for the forms, the bounds and the case files.
//
//===----------------------------------------------------------------------===//
#ifndef DSU_VERIFY_VERIFY_H
#define DSU_VERIFY_VERIFY_H

#include "dsu/Model/TURecord.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace dsu {

enum class VerifyForm { BackwardCompatible, Conformable, PostUpdate };

/// "backward-compatible", "conformable" or "post-update"; nullopt for
/// anything else.
std::optional<VerifyForm> parseVerifyForm(llvm::StringRef Name);
llvm::StringRef verifyFormName(VerifyForm F);

struct VerifyOptions {
  VerifyForm Form = VerifyForm::BackwardCompatible;
  /// As dsu merge: the patch the update stands for, the user's transformers
  /// (C), the update points forced (as dsu apply --force-at).
  std::string PatchFile, TransformersIn, ForceAt;
  bool AllowPartial = false;
  std::set<std::string> AllowStateLoss;
  /// --old-error: a pattern (c . ^ $ *) matched against the old version's
  /// reply to each request; a history with a request it matches is not
  /// judged (see the forms).
  std::string OldError;
  /// --spec: a C file defining dsu_spec() (<dsu/spec.h>), checked on every
  /// path in addition to the form (the post-update form is the spec alone).
  std::string SpecFile;
  /// The input model: Lines requests on standard input, each 1 to LineMax
  /// bytes, the last a newline; with Alphabet, every other byte from it.
  unsigned Lines = 2, LineMax = 4;
  std::string Alphabet;
  /// --tcp-lines: the requests arrive on one client connection of a server
  /// instead (harness/verify_net.c, the socket model); the replies are what
  /// the program writes to that connection, and the run ends when the
  /// server would wait with nothing more to come.
  bool Tcp = false;
  /// --request-forms: each request is one of these (without its newline),
  /// each '?' one symbolic byte (from Alphabet if given); LineMax is then
  /// ignored. Empty: any bytes, as above.
  std::vector<std::string> RequestForms;
  double MaxTime = 0; ///< Seconds; 0: no limit.
  /// Explore the old version alone on the same input model and stop (what
  /// verifying costs is measured against it); the verdict is holds if that
  /// exploration completed without error, else unknown.
  bool Baseline = false;
  std::string IncludeDir; ///< <dsu/patch_format.h> (BIN/../include).
  std::string CaseFile;   ///< Where a counterexample's case goes.
  std::string KeepDir;    ///< Keep the harness and modules here.
  llvm::raw_ostream *Progress = nullptr;
};

/// One counterexample, as `dsu replay` takes it.
struct VerifyCase {
  VerifyForm Form = VerifyForm::BackwardCompatible;
  std::string Old, New, Patch, ForceAt;
  long UpdateAt = 0;    ///< The visit the update was requested at; 0: never.
  std::string Where;    ///< FILE:LINE it committed at ("" if it did not).
  std::string Stdin;    ///< The requests.
  bool Tcp = false;     ///< They arrive on a TCP connection (--tcp-lines).
  std::string Expected; ///< What the form requires on stdout.
  std::string Merged;   ///< What the updated program writes (predicted).
  std::string Error;    ///< For an error the run stopped at ("": replies).
  std::string Spec;     ///< The spec's assertion that failed ("": none).
  /// The spec's file (absolute; "" for a case without a spec, or written
  /// before cases named it): replay runs it natively on the real process.
  std::string SpecFile;
};

std::string formatVerifyCase(const VerifyCase &C);
llvm::Expected<VerifyCase> parseVerifyCase(llvm::StringRef Text);

struct VerifyResult {
  enum Kind { Holds, Counterexample, Unknown } V = Holds;
  std::string Reason; ///< Unknown: why.
  std::string Bounds; ///< Holds: what was covered.
  /// Counterexample: the requests, the update, the replies side by side.
  std::string Report;
  std::optional<VerifyCase> Case;
  uint64_t Paths = 0, UpdatedPaths = 0;
  /// Request paths on which the old version alone fails (a memory error, a
  /// failed assertion): it gives no reply to compare with, so they are not
  /// judged (a request the old version cannot serve is not one it
  /// understood). OldFailures names the first failure at each site: its
  /// location, kind and message, and the requests.
  uint64_t OldFailedPaths = 0;
  std::vector<std::string> OldFailures;
  double Seconds = 0;        ///< The whole verification.
  double ExploreSeconds = 0; ///< Of which the exploration (lib/Symex).
  /// What the exploration cost, for `dsu verify`'s statistics line: where
  /// the time goes (instructions run, forks, solver queries and how many
  /// reached Z3, the solver's seconds).
  uint64_t Instructions = 0, Forks = 0, Queries = 0, Z3Queries = 0;
  uint64_t EnumerationAnswers = 0; ///< Decided without Z3 by enumeration.
  double SolverSeconds = 0;
};

/// Verifies the update Old -> New in the given form. Fails (a tool failure)
/// if the builds cannot be merged or the harness cannot be built.
llvm::Expected<VerifyResult> verifyUpdate(const Build &Old, const Build &New,
                                          const VerifyOptions &O);

/// `dsu replay` of a verify case: runs the real old build with the real
/// patch applied at the case's visit (the runtime's synchronous test mode)
/// on the case's requests (for a --tcp-lines case, through the same socket
/// model, compiled natively and preloaded). Writes what it finds to OS; returns
/// 0 if the divergence reproduced, 1 if it did not (loudly), or an error.
/// A case from a spec (SpecFile) also has the spec compiled natively (with
/// <dsu/spec.h> from IncludeDir) and run on the real process's replies: it
/// reproduces if the same assertion fails (runSpecOnRealSession).
llvm::Expected<int> replayVerifyCase(const VerifyCase &C, llvm::raw_ostream &OS,
                                     llvm::StringRef IncludeDir = "");

/// A post-update spec run natively on one concrete session (`dsu spec-run`,
/// and the replay of a spec's case): the real old build alone, and the real
/// old build with Patch applied at update-point visit UpdateAt by the
/// runtime's synchronous test mode, both on Requests.
struct SpecRunOptions {
  std::string SpecFile;   ///< Defines dsu_spec() (<dsu/spec.h>).
  std::string IncludeDir; ///< Where <dsu/spec.h> is.
  std::string Old;        ///< The old build (a dsu-cc build).
  /// The update: "" for none (the spec then sees the old version's replies
  /// as the updated program's, and dsu_spec_updated() is 0).
  std::string Patch, ForceAt;
  long UpdateAt = 0;
  std::string Requests; ///< Lines, each ending in a newline.
  bool Tcp = false;     ///< On one TCP connection (the socket model).
  double Timeout = 20;  ///< Seconds, for each real process.
};

struct SpecRunResult {
  bool Holds = true;
  /// Not empty: the session cannot be judged, and why (the spec read a
  /// reply of the old version alone that its failure cut short; dsu verify
  /// leaves such a path unjudged). Holds is then true: no assertion failed.
  std::string Unjudged;
  std::string Assertion; ///< Failed: the assertion's text.
  std::string Place;     ///< Failed: its FILE:LINE.
  /// The requests the updated process had begun to read when the update
  /// committed (-1: it did not) and where it committed.
  int CommittedBefore = -1;
  std::string Where;
  /// The replies of the updated process and of the old version alone, whole,
  /// and their exit statuses (negative: killed by that signal).
  std::string Updated, OldAlone;
  int UpdatedStatus = 0, OldStatus = 0;
  /// The session as the spec saw it: every request, both replies, the
  /// commit; and the lines the runtime and the socket model printed.
  std::string Report;
};

/// Builds the spec natively (clang-19, -DDSU_SPEC_NATIVE, spec_native.c),
/// runs the two real processes, cuts their replies as dsu verify's harness
/// does (reply i: what was written from reading the first byte of request i
/// to reading the first byte of the next), and runs dsu_spec() on them.
/// Fails if the spec does not compile (clang's diagnostics, FILE:LINE:COL:
/// error: ...), a process cannot be run, or the spec crashes or misuses the
/// API.
llvm::Expected<SpecRunResult> runSpecOnRealSession(const SpecRunOptions &O);

/// Renames every symbol of M under Prefix (definitions in IR and in the
/// module-level assembly dsu-cc's trampolines live in, local ones included,
/// so that the linker never renames one behind the assembly's back), except
/// declarations of what lies outside the program (the executor's
/// functions) and the names in Redirect (NAME -> NEW), which become
/// declarations named NEW (a definition loses its body): one of the
/// programs of verifyUpdate's module.
void prefixProgram(llvm::Module &M, llvm::StringRef Prefix,
                   const std::map<std::string, std::string> &Redirect);

/// The first line at which A and B differ ("line N: a 'X', b 'Y'"), or "".
std::string firstDifference(llvm::StringRef A, llvm::StringRef B,
                            llvm::StringRef NameA, llvm::StringRef NameB);

} // namespace dsu

#endif
