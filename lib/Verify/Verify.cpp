//===- Verify.cpp - dsu verify: client-oriented specs of an update --------===//
//
// `dsu verify OLD NEW --form FORM` answers "is this update correct, whenever
// it happens?" for what a client observes: the replies a program writes to
// the requests it reads (DESIGN.md section 6, CO-specs). Two forms need no
// hand-written assertion:
//
//  - backward-compatible: on every request sequence the old version accepts
//    (no reply matches --old-error), the updated program, whenever the
//    update happens, replies exactly what the old version alone replies.
//  - conformable: the replies to the requests read before the update are
//    the old version's, and those to the requests read after it are what
//    the new version alone replies to the whole sequence from its start: the
//    update is indistinguishable from having run the new version all along.
//    A history where the old version rejected a request before the update
//    is not judged (a command only the new version knows is no violation).
//
// A third, post-update, is the user's: a C file (--spec, <dsu/spec.h>)
// whose dsu_spec() the harness calls on every path with the requests, the
// replies and when the update happened, asserting what must hold (it may
// also be given with the other two forms, and is then checked as well).
//
// Where the update commits while a request is being processed (its first
// byte read before the commit), that request and its reply belong to the
// old side: "after the update" starts with the first request the program
// begins to read after the commit. dsu's programs read a request and then
// reach their update point, so the request read just before the commit is
// answered by new code yet judged against the old version: an update that
// changes that reply is reported (it is what a client sees).
//
// How. One LLVM module holds everything and lib/Symex explores it once:
//
//  1. The merged program (lib/Merge, exactly what `dsu merge` builds), its
//     update timing a symbolic choice at every update-point visit.
//  2. The old version alone: the same merged module, its timing hook
//     answering "never". Its code is the old executable's (the merged
//     program's run without the update is, by construction, the old one).
//  3. For the conformable form, the new version alone: the merge of NEW
//     with itself, never updated.
//
// Each is compiled with its own copy of the C library model (lib/Symex
// compileProgram) and every symbol it defines, in IR or in the module-level
// assembly dsu-cc's trampolines live in, is renamed under a prefix of its
// own (__dsu_v_old., __dsu_v_merged., __dsu_v_new.), so the three keep
// separate globals, heaps of objects and stdio states in one address space.
// The library model's input and output hooks (__dsu_stdin_getc,
// __dsu_stdin_eof, __dsu_output) and the merge runtime's commit hook are
// redirected to the harness (harness/verify_harness.c, embedded), which
// draws the requests once, hands each program the same bytes from its
// start, cuts each program's standard output into one reply per request,
// runs the three mains in lockstep, request by request (below; the
// executor's ExitReturnsFrom turns an exit() inside one into a return to
// the harness) and compares
// the replies the form requires, then runs the spec if there is one (the
// spec file is compiled with the harness, -I the installed headers). A
// difference, or a failed spec assertion, is an assertion of the
// harness; before it, the harness writes a report (the requests, the
// commit, every run's output and where each request began) to its own
// output trace, which the executor concretises with the same model as the
// inputs: the counterexample below is read from it.
//
// Servers (--tcp-lines): each program is compiled with the socket model
// (harness/verify_net.c) as well, whose hooks (__dsu_net_getc,
// __dsu_net_eof, __dsu_net_reply) go to the same harness functions: the
// requests arrive on one client connection, one read each, the replies are
// what the program writes to it, standard input is empty and standard
// output is not a reply, and the run ends (as an exit) when the server
// would wait with no request left. A call the model does not cover stops
// the path as unknown, naming the call. The counterexample's replay
// preloads the same file, compiled natively, into the real process.
//
// Requests are lines of symbolic bytes, or (--request-forms) each one of
// the user's forms with symbolic bytes at its '?': a parser forks on every
// free byte, and forms keep a real server's requests to a few paths each.
//
// Sharing: the three runs are fibers of the executor (each its own call
// stack, one memory) that take turns request by request: the harness draws
// request k only when every run has reached it, then lets the old version,
// the new one and the merged program each answer it and stop where they
// need request k + 1. So what the runs do before request k forks (the
// start-up, the requests before it, the timings already chosen) is
// explored once for every way request k's length and bytes fork, not once
// per request path as when each run went to its end before the next began
// (redis 2.0.x's start-up alone is a million instructions). Within the
// merged run the prefix before an update-point visit is shared by every
// timing that parts there (the executor forks at the choice).
//
// What the timings cannot share, they need not repeat. The runs that
// answer request k after the merged run has forked do so once per timing
// alive: under the conformable and post-update forms the old version
// alone is stopped on a timing once the update has committed and it has
// answered the requests on the old side (harness old_wanted), as nothing
// after is judged against it. And the same question about a request's
// bytes, asked on each timing, is the same question to the solver: the
// executor names a symbolic object's variables by its name and how many
// of that name the path made before (lib/Symex variableBase), not by how
// many objects of any name, so the timing choices made before a request
// is drawn do not rename it, and the query cache answers every timing
// after the first.
//
// A path on which the old version alone fails (a memory error, a failed
// assertion) is not judged: the harness excuses errors while it runs
// (__dsu_symex_excuse_errors), the executor ends such a path without a
// verdict and counts it, and each failure is named in the output. The old
// version gives no reply there to compare with, and a request it cannot
// serve is not one it understood: an update that fixes an old crash is
// not a counterexample. Under the conformable form such a failure ends
// only the old version's run (__dsu_symex_excuse_errors(2)): the replies
// after the update are judged against the new version's, and the path is
// left unjudged only when the failure is in a request on the old side.
//
// Verdicts: `counterexample` when some path's replies differ or a run
// fails (a memory error, an update-safety violation of the merged
// program's checks, a rolled-back update); `unknown` when the exploration
// was cut short, or when no path commits the update (the update never
// happens within the bounds: nothing was verified); `holds` otherwise,
// with the bounds stated.
//
// Counterexamples are written as case files that `dsu replay` runs on the
// real old build with the real patch (built here with lib/Patch unless
// --patch names one) applied by the real runtime at the case's visit, in
// its synchronous test mode, and compares with what the merged program
// predicted (replayVerifyCase).
//
//===----------------------------------------------------------------------===//
#include "dsu/Verify/Verify.h"
#include "Internal.h"
#include "dsu/Merge/Merge.h"
#include "dsu/Patch/PatchBuilder.h"
#include "dsu/Patch/PatchFile.h"
#include "dsu/Support/Error.h"
#include "dsu/Support/Process.h"
#include "dsu/Symex/Symex.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Linker/Linker.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <chrono>
#include <climits>
#include <map>

#include "EmbeddedVerifyHarness.inc"
#include "EmbeddedVerifyNet.inc"

using namespace dsu;
using namespace llvm;

extern char **environ;

std::optional<VerifyForm> dsu::parseVerifyForm(StringRef Name) {
  if (Name == "backward-compatible")
    return VerifyForm::BackwardCompatible;
  if (Name == "conformable")
    return VerifyForm::Conformable;
  if (Name == "post-update")
    return VerifyForm::PostUpdate;
  return std::nullopt;
}

StringRef dsu::verifyFormName(VerifyForm F) {
  switch (F) {
  case VerifyForm::Conformable:
    return "conformable";
  case VerifyForm::PostUpdate:
    return "post-update";
  case VerifyForm::BackwardCompatible:
    break;
  }
  return "backward-compatible";
}

namespace {

enum Run { OldRun = 0, MergedRun = 1, NewRun = 2 };
const char *const RunNames[] = {"old", "merged", "new"};

/// L with its function's run prefix (__dsu_v_old. ...) taken off: the name
/// the user wrote.
symex::Location unprefixed(symex::Location L) {
  for (const char *R : RunNames)
    if (StringRef(L.Function).starts_with("__dsu_v_" + std::string(R) + "."))
      L.Function = L.Function.substr(9 + strlen(R));
  return L;
}

/// Names the module-level assembly defines (labels and .set aliases).
std::set<std::string> asmDefinitions(StringRef Asm) {
  std::set<std::string> Out;
  SmallVector<StringRef, 64> Lines;
  Asm.split(Lines, '\n');
  for (StringRef Line : Lines) {
    Line = Line.trim();
    if (Line.consume_front(".set "))
      Out.insert(Line.split(',').first.trim().str());
    else if (Line.ends_with(":") && !Line.contains(' '))
      Out.insert(Line.drop_back().str());
  }
  return Out;
}

bool isSymbolChar(char C) {
  return isAlnum(C) || C == '_' || C == '.' || C == '$';
}

} // namespace

void dsu::prefixProgram(Module &M, StringRef Prefix,
                        const std::map<std::string, std::string> &Redirect) {
  std::set<std::string> AsmDefs = asmDefinitions(M.getModuleInlineAsm());
  std::map<std::string, std::string> Renamed;
  std::vector<GlobalValue *> Values;
  for (GlobalValue &GV : M.global_values())
    Values.push_back(&GV);
  for (GlobalValue *GV : Values) {
    std::string Name = GV->getName().str();
    if (Name.empty() || StringRef(Name).starts_with("llvm."))
      continue;
    if (auto R = Redirect.find(Name); R != Redirect.end()) {
      if (auto *F = dyn_cast<Function>(GV); F && !F->isDeclaration())
        F->deleteBody();
      GV->setLinkage(GlobalValue::ExternalLinkage);
      GV->setName(R->second);
      continue;
    }
    if (GV->isDeclaration() && !AsmDefs.count(Name))
      continue;
    std::string NewName = (Prefix + Name).str();
    GV->setName(NewName);
    Renamed[Name] = GV->getName().str();
  }
  for (const std::string &Name : AsmDefs)
    Renamed.emplace(Name, (Prefix + Name).str());
  std::string Asm = M.getModuleInlineAsm(), Out;
  for (size_t I = 0; I < Asm.size();) {
    if (!isSymbolChar(Asm[I]) || (I > 0 && isSymbolChar(Asm[I - 1]))) {
      Out += Asm[I++];
      continue;
    }
    size_t J = I;
    while (J < Asm.size() && isSymbolChar(Asm[J]))
      ++J;
    std::string Tok = Asm.substr(I, J - I);
    auto It = Renamed.find(Tok);
    Out += It == Renamed.end() ? Tok : It->second;
    I = J;
  }
  M.setModuleInlineAsm(Out);
}

namespace {

std::string cString(StringRef S) {
  std::string R = "\"";
  for (char C : S) {
    if (C == '"' || C == '\\')
      R += '\\', R += C;
    else if (isPrint(C))
      R += C;
    else {
      char Buf[8];
      snprintf(Buf, sizeof Buf, "\\%03o", (unsigned char)C);
      R += Buf;
    }
  }
  return R + "\"";
}

} // namespace

std::string dsu::verify_detail::quoted(StringRef S) {
  std::string R = "'";
  for (char C : S) {
    if (C == '\n')
      R += "\\n";
    else if (C == '\\' || C == '\'')
      R += '\\', R += C;
    else if (isPrint(C))
      R += C;
    else {
      char Buf[8];
      snprintf(Buf, sizeof Buf, "\\x%02x", (unsigned char)C);
      R += Buf;
    }
  }
  return R + "'";
}

Expected<std::string> dsu::verify_detail::buildNetModel(const TempDir &Tmp) {
  std::string NetC = Tmp.file("verify_net.c"),
              NetSo = Tmp.file("verify_net.so");
  if (Error E = writeFile(NetC, EmbeddedVerifyNet))
    return std::move(E);
  std::string Log;
  auto RC = runProgramCapture(
      clangPath(),
      {clangPath(), "-shared", "-fPIC", "-O1", "-o", NetSo, NetC, "-ldl"}, Log);
  if (!RC)
    return RC.takeError();
  if (*RC != 0)
    return failure("cannot build the socket model for the replay:\n" + Log);
  return NetSo;
}

namespace {

using verify_detail::quoted;

/// One run of the harness's report: its output and where each request's
/// reply begins.
struct RunReport {
  std::string Out;
  std::vector<size_t> ReplyAt; ///< Per request begun.
  std::string reply(int I) const {
    size_t B = I < 0 ? 0 : (size_t)I < ReplyAt.size() ? ReplyAt[I] : Out.size();
    size_t E = (size_t)(I + 1) < ReplyAt.size() ? ReplyAt[I + 1] : Out.size();
    return B <= E && E <= Out.size() ? Out.substr(B, E - B) : "";
  }
};

struct Report {
  std::string Spec; ///< The spec's assertion that failed, or "".
  int Lines = 0, CommittedBefore = -1;
  long Visit = 0;
  std::string Where;
  std::string In;
  std::vector<size_t> LineStart;
  std::map<int, RunReport> Runs;
  /// The old version alone failed: its replies from request OldCut on (-1
  /// for what it wrote before any) are not complete; as many as the
  /// requests if it did not.
  int OldCut = INT_MAX;
  std::string request(int I) const {
    size_t B = LineStart[I];
    size_t E = (size_t)I + 1 < LineStart.size() ? LineStart[I + 1] : In.size();
    return In.substr(B, E - B);
  }
};

/// Reads the report the harness writes before its assertion.
std::optional<Report> parseReport(StringRef T) {
  Report R;
  size_t At = T.find("dsu-verify-report ");
  if (At == StringRef::npos)
    return std::nullopt;
  T = T.drop_front(At);
  auto Line = [&]() {
    auto [L, Rest] = T.split('\n');
    T = Rest;
    return L;
  };
  SmallVector<StringRef, 8> F;
  Line().split(F, ' ');
  if (F.size() < 5 || F[1].getAsInteger(10, R.Lines) ||
      F[2].getAsInteger(10, R.CommittedBefore) ||
      F[3].getAsInteger(10, R.Visit))
    return std::nullopt;
  R.Where = F[4] == "-" ? "" : F[4].str();
  StringRef SpecLine = Line();
  if (!SpecLine.consume_front("spec "))
    return std::nullopt;
  R.Spec = SpecLine == "-" ? "" : SpecLine.str();
  F.clear();
  Line().split(F, ' ');
  size_t Len = 0;
  if (F.size() < 2 || F[0] != "in" || F[1].getAsInteger(10, Len))
    return std::nullopt;
  for (size_t I = 2; I < F.size(); ++I) {
    size_t V = 0;
    if (F[I].getAsInteger(10, V))
      return std::nullopt;
    R.LineStart.push_back(V);
  }
  if (T.size() < Len + 1)
    return std::nullopt;
  R.In = T.take_front(Len).str();
  T = T.drop_front(Len + 1);
  while (T.starts_with("run ")) {
    F.clear();
    Line().split(F, ' ');
    int Run = 0;
    size_t OutLen = 0, Started = 0;
    if (F.size() < 4 || F[1].getAsInteger(10, Run) ||
        F[2].getAsInteger(10, OutLen) || F[3].getAsInteger(10, Started))
      return std::nullopt;
    RunReport RR;
    for (size_t I = 4; I < F.size(); ++I) {
      size_t V = 0;
      if (F[I].getAsInteger(10, V))
        return std::nullopt;
      RR.ReplyAt.push_back(V);
    }
    if (T.size() < OutLen + 1)
      return std::nullopt;
    RR.Out = T.take_front(OutLen).str();
    T = T.drop_front(OutLen + 1);
    R.Runs[Run] = std::move(RR);
  }
  if (T.consume_front("old-cut ")) {
    if (Line().getAsInteger(10, R.OldCut))
      return std::nullopt;
  }
  if (!R.Runs.count(OldRun) || !R.Runs.count(MergedRun) ||
      (int)R.LineStart.size() != R.Lines)
    return std::nullopt;
  return R;
}

/// The requests (from the test case's objects) of a path that ended in an
/// error before the harness could report: "length i" then "request i", or
/// with --request-forms "form i" then "request i" (the form's '?' bytes).
std::string requestsOf(const symex::TestCase &C,
                       const std::vector<std::string> &Forms) {
  std::string In;
  size_t Len = 0;
  if (!Forms.empty()) {
    std::string Form;
    size_t Hole = 0;
    auto FinishForm = [&] {
      if (Form.empty())
        return;
      In += Form + "\n";
      Form.clear();
    };
    for (const symex::TestObject &O : C.Objects) {
      auto Int = [&] {
        size_t V = 0;
        for (size_t I = 0; I < O.Bytes.size() && I < 8; ++I)
          V |= (size_t)O.Bytes[I] << (8 * I);
        return V;
      };
      if (StringRef(O.Name).starts_with("form ")) {
        FinishForm();
        size_t F = Int();
        Form = F < Forms.size() ? Forms[F] : "";
        Hole = 0;
      } else if (StringRef(O.Name).starts_with("request ")) {
        for (char &Ch : Form)
          if (Ch == '?' && Hole < O.Bytes.size())
            Ch = (char)O.Bytes[Hole++];
      }
    }
    FinishForm();
    return In;
  }
  for (const symex::TestObject &O : C.Objects) {
    if (StringRef(O.Name).starts_with("length ")) {
      if (Len == 1)
        In += '\n';
      Len = 0;
      for (size_t I = 0; I < O.Bytes.size() && I < 8; ++I)
        Len |= (size_t)O.Bytes[I] << (8 * I);
      if (Len == 1)
        continue;
    } else if (StringRef(O.Name).starts_with("request ")) {
      In += std::string(O.Bytes.begin(), O.Bytes.end()) + "\n";
      Len = 0;
    }
  }
  if (Len == 1)
    In += '\n';
  return In;
}

/// The visit the update was requested at: one dsu_merge_choose object per
/// visit up to the chosen one (0, then 1 at the update's).
long visitOf(const symex::TestCase &C) {
  long N = 0;
  for (const symex::TestObject &O : C.Objects)
    if (O.Name == "dsu_merge_choose") {
      ++N;
      if (!O.Bytes.empty() && O.Bytes[0])
        return N;
    }
  return 0;
}

} // namespace

std::string dsu::firstDifference(StringRef A, StringRef B, StringRef NameA,
                                 StringRef NameB) {
  SmallVector<StringRef, 16> LA, LB;
  A.split(LA, '\n');
  B.split(LB, '\n');
  for (size_t I = 0; I < std::max(LA.size(), LB.size()); ++I) {
    std::string X = I < LA.size() ? quoted(LA[I]) : "<end>";
    std::string Y = I < LB.size() ? quoted(LB[I]) : "<end>";
    if (X != Y)
      return "line " + std::to_string(I + 1) + ": " + NameA.str() + " " + X +
             ", " + NameB.str() + " " + Y;
  }
  return "";
}

//===-- Case files
//---------------------------------------------------------===//

std::string dsu::formatVerifyCase(const VerifyCase &C) {
  std::string R = "# dsu verify case\n";
  R += "form " + verifyFormName(C.Form).str() + "\n";
  R += "old " + C.Old + "\nnew " + C.New + "\npatch " + C.Patch + "\n";
  if (!C.ForceAt.empty())
    R += "force-at " + C.ForceAt + "\n";
  R += "update-at " + std::to_string(C.UpdateAt) + "\n";
  if (!C.Where.empty())
    R += "where " + C.Where + "\n";
  if (!C.Error.empty())
    R += "error " + toHex(C.Error, true) + "\n";
  if (!C.Spec.empty())
    R += "spec " + toHex(C.Spec, true) + "\n";
  if (!C.SpecFile.empty())
    R += "spec-file " + C.SpecFile + "\n";
  if (C.Tcp)
    R += "input tcp\n";
  R += "stdin " + toHex(C.Stdin, true) + "\n";
  R += "expected " + toHex(C.Expected, true) + "\n";
  R += "merged " + toHex(C.Merged, true) + "\n";
  return R;
}

Expected<VerifyCase> dsu::parseVerifyCase(StringRef Text) {
  if (!Text.starts_with("# dsu verify case\n"))
    return failure("not a dsu verify case");
  VerifyCase C;
  SmallVector<StringRef, 16> Lines;
  Text.split(Lines, '\n');
  bool HaveStdin = false;
  for (StringRef L : Lines) {
    if (L.empty() || L.starts_with("#"))
      continue;
    auto [Key, Value] = L.split(' ');
    auto Hex = [&](std::string &To) -> Error {
      if (!tryGetFromHex(Value, To))
        return failure("bad hex in the '" + Key + "' line");
      return Error::success();
    };
    if (Key == "form") {
      auto F = parseVerifyForm(Value);
      if (!F)
        return failure("unknown form '" + Value + "'");
      C.Form = *F;
    } else if (Key == "old")
      C.Old = Value.str();
    else if (Key == "new")
      C.New = Value.str();
    else if (Key == "patch")
      C.Patch = Value.str();
    else if (Key == "force-at")
      C.ForceAt = Value.str();
    else if (Key == "where")
      C.Where = Value.str();
    else if (Key == "spec-file")
      C.SpecFile = Value.str();
    else if (Key == "input") {
      if (Value != "tcp")
        return failure("unknown input '" + Value + "'");
      C.Tcp = true;
    } else if (Key == "update-at") {
      if (Value.getAsInteger(10, C.UpdateAt) || C.UpdateAt < 0)
        return failure("bad update-at '" + Value + "'");
    } else if (Key == "error") {
      if (Error E = Hex(C.Error))
        return std::move(E);
    } else if (Key == "spec") {
      if (Error E = Hex(C.Spec))
        return std::move(E);
    } else if (Key == "stdin") {
      if (Error E = Hex(C.Stdin))
        return std::move(E);
      HaveStdin = true;
    } else if (Key == "expected") {
      if (Error E = Hex(C.Expected))
        return std::move(E);
    } else if (Key == "merged") {
      if (Error E = Hex(C.Merged))
        return std::move(E);
    } else
      return failure("unknown line '" + Key + "'");
  }
  if (C.Old.empty() || C.Patch.empty() || !HaveStdin)
    return failure("the case lacks its old build, patch or requests");
  return C;
}

//===-- Verification
//-------------------------------------------------------===//

Expected<VerifyResult> dsu::verifyUpdate(const Build &Old, const Build &New,
                                         const VerifyOptions &O) {
  auto Start = std::chrono::steady_clock::now();
  if (O.Form == VerifyForm::PostUpdate && O.SpecFile.empty())
    return failure("the post-update form needs --spec FILE.c");
  unsigned LineMax = O.LineMax;
  if (!O.RequestForms.empty()) {
    LineMax = 1;
    for (const std::string &F : O.RequestForms) {
      if (F.empty() || F.find('\n') != std::string::npos)
        return failure("--request-forms: a form is a non-empty request "
                       "without its newline");
      LineMax = std::max(LineMax, (unsigned)F.size() + 1);
    }
  }
  if (O.Lines < 1 || O.Lines > 99 || LineMax < 1 || LineMax > 4096)
    return failure(std::string(O.Tcp ? "--tcp-lines" : "--stdin-lines") +
                   " takes 1 to 99 requests and --line-max 1 to 4096 bytes");
  MergeOptions MO;
  MO.TransformersIn = O.TransformersIn;
  MO.PatchFile = O.PatchFile;
  MO.IncludeDir = O.IncludeDir;
  MO.ForceAt = O.ForceAt;
  MO.AllowPartial = O.AllowPartial;
  MO.AllowStateLoss = O.AllowStateLoss;
  auto Merged = mergeBuilds(Old, New, MO);
  if (!Merged)
    return Merged.takeError();
  bool NeedNew = O.Form == VerifyForm::Conformable;
  std::optional<MergedProgram> NewAlone;
  if (NeedNew) {
    MergeOptions NO;
    NO.IncludeDir = O.IncludeDir;
    auto M = mergeBuilds(New, New, NO);
    if (!M)
      return failure("cannot build the new version alone: " +
                     toString(M.takeError()));
    NewAlone = std::move(*M);
  }

  auto Tmp = TempDir::create("dsu-verify");
  if (!Tmp)
    return Tmp.takeError();
  std::string Dir = O.KeepDir.empty() ? Tmp->path() : O.KeepDir;
  if (!O.KeepDir.empty())
    sys::fs::create_directories(Dir);
  std::string MergedBc = Dir + "/merged.bc", NewBc = Dir + "/new.bc";
  if (Error E = writeMergedModule(*Merged->Module, MergedBc))
    return std::move(E);
  if (NeedNew)
    if (Error E = writeMergedModule(*NewAlone->Module, NewBc))
      return std::move(E);

  std::string Prelude;
  Prelude += "#define DSU_V_LINES " + std::to_string(O.Lines) + "\n";
  Prelude += "#define DSU_V_LINE_MAX " + std::to_string(LineMax) + "\n";
  Prelude += "#define DSU_V_NFORMS " + std::to_string(O.RequestForms.size()) +
             "\n#define DSU_V_FORMS {";
  for (const std::string &F : O.RequestForms)
    Prelude += cString(F) + ", ";
  Prelude += "}\n";
  Prelude += "#define DSU_V_FORM " +
             std::string(O.Form == VerifyForm::Conformable  ? "1"
                         : O.Form == VerifyForm::PostUpdate ? "2"
                                                            : "0") +
             "\n";
  Prelude += "#define DSU_V_HAVE_SPEC " +
             std::string(O.SpecFile.empty() ? "0" : "1") + "\n";
  Prelude +=
      "#define DSU_V_HAVE_NEW " + std::string(NeedNew ? "1" : "0") + "\n";
  Prelude += "#define DSU_V_ALPHABET " + cString(O.Alphabet) + "\n";
  Prelude += "#define DSU_V_OLD_ERROR " + cString(O.OldError) + "\n";
  Prelude +=
      "#define DSU_V_BASELINE " + std::string(O.Baseline ? "1" : "0") + "\n";
  std::string HarnessC = Dir + "/verify_harness.c";
  if (Error E = writeFile(HarnessC, Prelude + "#line 1 \"verify_harness.c\"\n" +
                                        EmbeddedVerifyHarness))
    return std::move(E);

  // --tcp-lines: the socket model, compiled into each program.
  std::string NetC = Dir + "/verify_net.c";
  if (O.Tcp)
    if (Error E = writeFile(NetC, EmbeddedVerifyNet))
      return std::move(E);

  LLVMContext Ctx;
  symex::CompileOptions CO;
  CO.Clang = clangPath();
  CO.ClangFlags = {"-Wno-unused-command-line-argument"};
  std::vector<std::string> HarnessFiles = {HarnessC};
  symex::CompileOptions HO = CO;
  if (!O.SpecFile.empty()) {
    HarnessFiles.push_back(O.SpecFile);
    HO.ClangFlags.push_back("-I" + O.IncludeDir);
  }
  auto Harness = symex::compileProgram(Ctx, HarnessFiles, HO);
  if (!Harness) {
    std::string Msg = toString(Harness.takeError());
    if (!O.SpecFile.empty() && StringRef(Msg).starts_with(O.SpecFile + ":"))
      return failure(Msg);
    return failure("cannot build the verification harness: " + Msg);
  }
  Linker L(**Harness);
  for (Run R : {OldRun, MergedRun, NewRun}) {
    if (R == NewRun && !NeedNew)
      continue;
    std::vector<std::string> Files = {R == NewRun ? NewBc : MergedBc};
    if (O.Tcp)
      Files.push_back(NetC);
    auto M = symex::compileProgram(Ctx, Files, CO);
    if (!M)
      return M.takeError();
    std::string Name = RunNames[R];
    std::map<std::string, std::string> Redirect = {
        {"__dsu_stdin_getc", "__dsu_verify_getc_" + Name},
        {"__dsu_stdin_eof", "__dsu_verify_eof_" + Name},
        {"__dsu_output", "__dsu_verify_output_" + Name}};
    if (O.Tcp)
      Redirect = {{"__dsu_net_getc", "__dsu_verify_getc_" + Name},
                  {"__dsu_net_read", "__dsu_verify_read_" + Name},
                  {"__dsu_net_eof", "__dsu_verify_eof_" + Name},
                  {"__dsu_net_reply", "__dsu_verify_reply_" + Name},
                  {"__dsu_stdin_getc", "__dsu_verify_stdin_empty"},
                  {"__dsu_stdin_eof", "__dsu_verify_stdin_at_end"},
                  {"__dsu_output", "__dsu_verify_not_a_reply"}};
    if (R == MergedRun)
      Redirect["__dsu_merge_committed"] = "__dsu_verify_committed";
    else {
      Redirect["__dsu_merge_choice"] = "__dsu_verify_never";
      // A version alone holds no update for its runtime to weigh: its
      // update points return at once instead of checking at every visit
      // whether an update never chosen could commit there.
      if (GlobalVariable *Updates = (*M)->getNamedGlobal("__dsu_merge_updates"))
        Updates->setInitializer(ConstantInt::get(Updates->getValueType(), 0));
    }
    prefixProgram(**M, "__dsu_v_" + Name + ".", Redirect);
    if (L.linkInModule(std::move(*M)))
      return failure("internal error: cannot link the " + Name +
                     " program into the harness");
  }
  {
    std::string Errors;
    raw_string_ostream OS(Errors);
    if (verifyModule(**Harness, &OS))
      return failure("internal error: the verification module is invalid:\n" +
                     Errors);
  }

  symex::Options SO;
  SO.MaxTime = O.MaxTime;
  SO.PathCases = false;
  // One counterexample is the answer: stop at the first.
  SO.ExitOnError = true;
  SO.ExitReturnsFrom = "__dsu_v_";
  SO.Progress = O.Progress;
  VerifyResult Res;
  std::optional<symex::ErrorReport> Mismatch, Failure;
  long MaxVisit = 0;
  std::set<long> Visits;
  symex::Callbacks CB;
  CB.OnError = [&](const symex::ErrorReport &E) {
    if (E.Message.find("dsu-verify: ") != std::string::npos) {
      if (!Mismatch)
        Mismatch = E;
    } else if (!Failure)
      Failure = E;
  };
  CB.OnNote = [&](const std::string &Note) {
    // One note at the end of every path that got through the comparison.
    ++Res.Paths;
    long V = 0;
    StringRef N(Note);
    if (N.consume_front("dsu-verify-updated ") && !N.getAsInteger(10, V)) {
      ++Res.UpdatedPaths;
      Visits.insert(V);
      MaxVisit = std::max(MaxVisit, V);
    }
  };
  if (O.KeepDir.size())
    if (Error E = writeMergedModule(**Harness, Dir + "/verify.bc"))
      return std::move(E);
  auto Run = symex::runSymex(**Harness, SO, CB);
  if (!Run)
    return Run.takeError();
  Res.ExploreSeconds = Run->Stats.Seconds;
  Res.Instructions = Run->Stats.Instructions;
  Res.Forks = Run->Stats.Forks;
  Res.Queries = Run->Stats.Queries;
  Res.Z3Queries = Run->Stats.Z3Queries;
  Res.EnumerationAnswers = Run->Stats.EnumerationAnswers;
  Res.SolverSeconds = Run->Stats.SolverSeconds;
  Res.OldFailedPaths = Run->Stats.PathsExcused;
  for (const symex::ErrorReport &E : Run->Excused)
    Res.OldFailures.push_back(symex::formatLocation(unprefixed(E.Where)) +
                              ": " + E.Kind + ": " + E.Message + "; requests " +
                              quoted(requestsOf(E.Case, O.RequestForms)));
  Res.Seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - Start)
          .count();

  std::string Bounds =
      std::to_string(O.Lines) + " request" + (O.Lines == 1 ? "" : "s") +
      " of 1 to " + std::to_string(O.LineMax) + " bytes (newline included" +
      (O.Alphabet.empty() ? ", any other byte"
                          : ", other bytes from " + quoted(O.Alphabet)) +
      ")";
  if (!O.RequestForms.empty()) {
    Bounds = std::to_string(O.Lines) + " request" + (O.Lines == 1 ? "" : "s") +
             ", each one of";
    for (const std::string &F : O.RequestForms)
      Bounds += " " + quoted(F + "\n");
    Bounds += " ('?' " +
              (O.Alphabet.empty() ? std::string("any byte but the newline")
                                  : "a byte from " + quoted(O.Alphabet)) +
              ")";
  }
  if (O.Tcp)
    Bounds += " on one TCP connection";

  if (O.Baseline) {
    Res.Paths = Run->Stats.PathsCompleted;
    Res.V = Run->V == symex::Verdict::Holds ? VerifyResult::Holds
                                            : VerifyResult::Unknown;
    Res.Reason =
        Run->V == symex::Verdict::Holds
            ? ""
            : "the old version alone: " +
                  (Run->Reason.empty() ? std::string("an error") : Run->Reason);
    Res.Bounds = Bounds + "; the old version alone (--baseline): " +
                 std::to_string(Res.Paths) + " paths";
    return Res;
  }
  if (!Mismatch && !Failure) {
    if (Run->V == symex::Verdict::Unknown) {
      Res.V = VerifyResult::Unknown;
      Res.Reason = Run->Reason;
      return Res;
    }
    if (Res.UpdatedPaths == 0) {
      Res.V = VerifyResult::Unknown;
      Res.Reason = "the update never happens within the bounds";
      return Res;
    }
    Res.V = VerifyResult::Holds;
    Res.Bounds = Bounds + "; every update timing: requested at each of the " +
                 std::to_string(MaxVisit) +
                 " update-point visits reached and never; " +
                 std::to_string(Res.Paths) + " paths, " +
                 std::to_string(Res.UpdatedPaths) + " with the update";
    if (Res.OldFailedPaths)
      Res.Bounds += "; not judged: " + std::to_string(Res.OldFailedPaths) +
                    " paths on which the old version alone fails";
    return Res;
  }

  // A counterexample: the case, with a patch the real runtime can apply.
  VerifyCase C;
  C.Form = O.Form;
  C.Tcp = O.Tcp;
  SmallString<256> OldAbs(Old.Path), NewAbs(New.Path);
  sys::fs::make_absolute(OldAbs);
  sys::fs::make_absolute(NewAbs);
  C.Old = OldAbs.str().str();
  C.New = NewAbs.str().str();
  C.ForceAt = O.ForceAt;
  if (!O.SpecFile.empty()) {
    SmallString<256> S(O.SpecFile);
    sys::fs::make_absolute(S);
    C.SpecFile = S.str().str();
  }
  if (!O.PatchFile.empty()) {
    SmallString<256> P(O.PatchFile);
    sys::fs::make_absolute(P);
    C.Patch = P.str().str();
  } else {
    PatchBuildOptions PO;
    PO.TransformersIn = O.TransformersIn;
    PO.IncludeDir = O.IncludeDir;
    PO.AllowPartial = O.AllowPartial;
    PO.AllowStateLoss = O.AllowStateLoss;
    auto Bytes = buildPatch(Old, New, Merged->Plan, PO);
    if (!Bytes)
      return failure("cannot build the patch for the case: " +
                     toString(Bytes.takeError()));
    SmallString<256> P(O.CaseFile + ".patch");
    sys::fs::make_absolute(P);
    if (Error E = writePatchFile(P, *Bytes))
      return std::move(E);
    C.Patch = P.str().str();
  }

  std::string Text;
  raw_string_ostream OS(Text);
  Res.V = VerifyResult::Counterexample;
  std::optional<Report> Rep;
  if (Mismatch)
    Rep = parseReport(Mismatch->Case.Output);
  if (Mismatch && !Failure && !Rep)
    return failure("internal error: cannot read the harness's report");
  if (Rep && !Failure && !Rep->Spec.empty()) {
    // The spec's assertion failed: every request and reply.
    C.Stdin = Rep->In;
    C.UpdateAt = Rep->CommittedBefore >= 0 ? Rep->Visit : 0;
    C.Where = Rep->Where;
    C.Spec = Rep->Spec;
    C.Merged = Rep->Runs[MergedRun].Out;
    OS << "counterexample: the spec's assertion failed: " << Rep->Spec << "\n";
    OS << "  " << Rep->Lines << " requests; ";
    if (Rep->CommittedBefore >= 0)
      OS << "the update requested at update-point visit " << Rep->Visit
         << ", committed at " << Rep->Where << " after request "
         << Rep->CommittedBefore << " began\n";
    else
      OS << "the update did not happen\n";
    for (int I = 0; I < Rep->Lines; ++I)
      OS << "  request " << I + 1 << " " << quoted(Rep->request(I)) << " ("
         << (Rep->CommittedBefore >= 0 && I >= Rep->CommittedBefore ? "after"
                                                                    : "before")
         << " the update)\n    old alone: "
         << (I < Rep->OldCut
                 ? quoted(Rep->Runs[OldRun].reply(I))
                 : std::string("(failed before its reply was complete)"))
         << "\n    updated program: " << quoted(Rep->Runs[MergedRun].reply(I))
         << "\n";
  } else if (Rep && !Failure) {
    C.Stdin = Rep->In;
    C.UpdateAt = Rep->CommittedBefore >= 0 ? Rep->Visit : 0;
    C.Where = Rep->Where;
    int Before = Rep->CommittedBefore < 0 ? Rep->Lines : Rep->CommittedBefore;
    const RunReport &M = Rep->Runs[MergedRun];
    auto RefOf = [&](int I) {
      return O.Form == VerifyForm::Conformable && I >= Before ? NewRun : OldRun;
    };
    bool Conf = O.Form == VerifyForm::Conformable;
    // The request in flight at the commit may be answered by either version
    // (see verify_harness.c).
    auto InFlight = [&](int I) {
      return Conf && Rep->CommittedBefore > 0 && I == Before - 1;
    };
    C.Merged = M.Out;
    C.Expected = Rep->Runs[OldRun].reply(-1);
    int First = -2;
    if (Rep->Runs[OldRun].reply(-1) != M.reply(-1))
      First = -1;
    for (int I = 0; I < Rep->Lines; ++I) {
      std::string Ref = Rep->Runs[RefOf(I)].reply(I);
      if (InFlight(I) && Rep->Runs.count(NewRun) &&
          Rep->Runs[NewRun].reply(I) == M.reply(I))
        Ref = M.reply(I);
      C.Expected += Ref;
      if (First == -2 && Ref != M.reply(I))
        First = I;
    }
    OS << "counterexample: " << Rep->Lines << " request"
       << (Rep->Lines == 1 ? "" : "s");
    if (Rep->CommittedBefore >= 0)
      OS << "; the update requested at update-point visit " << Rep->Visit
         << ", committed at " << Rep->Where << " after request "
         << Rep->CommittedBefore << " began ("
         << (Rep->CommittedBefore == 0
                 ? std::string("every request is on the new side")
             : Rep->CommittedBefore == 1
                 ? std::string("request 1 is on the old side")
                 : "requests 1-" + std::to_string(Rep->CommittedBefore) +
                       " are on the old side")
         << ")\n";
    else
      OS << "; the update did not happen\n";
    auto Row = [&](StringRef Label, StringRef Side, StringRef Ref,
                   StringRef Got) {
      OS << "  " << Label << "\n    " << Side << ": " << quoted(Ref)
         << "\n    updated program: " << quoted(Got)
         << (Ref == Got ? "" : "    <-- differs") << "\n";
    };
    if (First == -1)
      Row("before any request", "old alone", Rep->Runs[OldRun].reply(-1),
          M.reply(-1));
    for (int I = 0; I < Rep->Lines && First != -1 && I <= First; ++I) {
      bool After = I >= Before;
      std::string Label = "request " + std::to_string(I + 1) + " " +
                          quoted(Rep->request(I)) + " (" +
                          (After ? "after" : "before") + " the update)";
      if (InFlight(I))
        Label += ", in flight at the commit: the old or the new reply";
      Row(Label, RefOf(I) == NewRun ? "new alone" : "old alone",
          Rep->Runs[RefOf(I)].reply(I), M.reply(I));
      if (InFlight(I) && Rep->Runs.count(NewRun))
        OS << "    new alone: " << quoted(Rep->Runs[NewRun].reply(I)) << "\n";
    }
  } else {
    const symex::ErrorReport &E = *Failure;
    C.Stdin = requestsOf(E.Case, O.RequestForms);
    C.UpdateAt = visitOf(E.Case);
    C.Error = E.Kind + ": " + E.Message;
    std::string Runner = "the harness";
    for (const symex::Location &Loc : E.Stack)
      for (int R : {OldRun, MergedRun, NewRun})
        if (StringRef(Loc.Function)
                .starts_with("__dsu_v_" + std::string(RunNames[R]) + "."))
          Runner = R == MergedRun ? "the updated program"
                                  : std::string(RunNames[R]) + " alone";
    OS << "counterexample: " << Runner
       << " fails: " << symex::formatLocation(unprefixed(E.Where)) << ": "
       << E.Kind << ": " << E.Message << "\n";
    OS << "  requests: " << quoted(C.Stdin) << "\n";
    if (C.UpdateAt)
      OS << "  the update requested at update-point visit " << C.UpdateAt
         << "\n";
  }
  OS << "  case: " << O.CaseFile << " (dsu replay " << O.CaseFile << ")\n";
  Res.Report = Text;
  if (Error E = writeFile(O.CaseFile, formatVerifyCase(C)))
    return std::move(E);
  Res.Case = C;
  return Res;
}

//===-- Replay
//-------------------------------------------------------------===//

namespace {

/// What the real old build did on a case's requests.
struct RealRun {
  int RC = 0;
  std::string Out; ///< Its replies: standard output, or the connection's.
  std::string Err, ErrMsg;
};

/// Runs the real old build on the case's requests, with the update at the
/// case's visit if WithUpdate (the runtime's synchronous test mode). The
/// requests are its standard input or, for a --tcp-lines case, the client's
/// connection of the socket model preloaded from NetSo (standard input is
/// then empty, as under dsu verify).
RealRun runRealProcess(const VerifyCase &C, const TempDir &Tmp, StringRef Tag,
                       bool WithUpdate, StringRef NetSo) {
  std::string Requests = Tmp.file("requests"),
              Out = Tmp.file(Tag.str() + ".out"),
              Err = Tmp.file(Tag.str() + ".err"),
              Replies = Tmp.file(Tag.str() + ".replies");
  std::vector<std::string> Env;
  for (char **E = environ; *E; ++E)
    if (!StringRef(*E).starts_with("DSU_TEST_") &&
        !StringRef(*E).starts_with("DSU_NET_") &&
        !(C.Tcp && StringRef(*E).starts_with("LD_PRELOAD=")))
      Env.push_back(*E);
  Env.push_back("DSU_DISABLE=1");
  if (WithUpdate && C.UpdateAt > 0) {
    Env.push_back("DSU_TEST_UPDATE_AT=" + std::to_string(C.UpdateAt));
    Env.push_back("DSU_TEST_PATCH=" + C.Patch);
    if (!C.ForceAt.empty())
      Env.push_back("DSU_TEST_FORCE_AT=" + C.ForceAt);
  }
  if (C.Tcp) {
    Env.push_back("LD_PRELOAD=" + NetSo.str());
    Env.push_back("DSU_NET_REQUESTS=" + Requests);
    Env.push_back("DSU_NET_REPLIES=" + Replies);
    // Nothing written yet is an empty reply, not a missing file.
    if (Error E = writeFile(Replies, ""))
      consumeError(std::move(E));
  }
  std::vector<StringRef> EnvRefs(Env.begin(), Env.end());
  std::optional<StringRef> Redirects[] = {C.Tcp ? StringRef("/dev/null")
                                                : StringRef(Requests),
                                          StringRef(Out), StringRef(Err)};
  RealRun R;
  R.RC = sys::ExecuteAndWait(C.Old, {C.Old}, ArrayRef<StringRef>(EnvRefs),
                             Redirects, 20, 0, &R.ErrMsg);
  if (auto B = MemoryBuffer::getFile(C.Tcp ? Replies : Out))
    R.Out = (*B)->getBuffer().str();
  if (auto B = MemoryBuffer::getFile(Err))
    R.Err = (*B)->getBuffer().str();
  return R;
}

} // namespace

namespace {

/// The first words of a replay's report: what runs, patched where, on what.
void printReplayHeader(raw_ostream &OS, const VerifyCase &C) {
  OS << "replay: " << C.Old << " with " << C.Patch;
  if (C.UpdateAt)
    OS << " applied at update-point visit " << C.UpdateAt
       << (C.ForceAt.empty() ? "" : " (forced)");
  OS << ", requests " << quoted(C.Stdin)
     << (C.Tcp ? " on one TCP connection (the socket model, preloaded)" : "");
}

/// The replay of a case whose spec assertion failed, with the spec's file:
/// the spec runs natively on the real process's replies
/// (runSpecOnRealSession), which must be the predicted ones and fail the
/// same assertion.
Expected<int> replaySpecCase(const VerifyCase &C, StringRef IncludeDir,
                             raw_ostream &OS) {
  SpecRunOptions SO;
  SO.SpecFile = C.SpecFile;
  SO.IncludeDir = IncludeDir.str();
  SO.Old = C.Old;
  if (C.UpdateAt > 0) {
    SO.Patch = C.Patch;
    SO.ForceAt = C.ForceAt;
    SO.UpdateAt = C.UpdateAt;
  }
  SO.Requests = C.Stdin;
  SO.Tcp = C.Tcp;
  auto R = runSpecOnRealSession(SO);
  if (!R)
    return R.takeError();
  printReplayHeader(OS, C);
  OS << ", the spec " << C.SpecFile << " run natively\n";
  OS << R->Report;
  OS << "  the real process" << (C.Tcp ? " (on the connection)" : "") << ": "
     << quoted(R->Updated)
     << "\n  predicted (merged program): " << quoted(C.Merged) << "\n";
  if (!C.Where.empty() && R->Where != C.Where)
    OS << "  predicted commit at " << C.Where << ", real "
       << (R->Where.empty() ? std::string("none") : R->Where) << "\n";
  if (!R->Unjudged.empty())
    OS << "  the spec natively: not judged: " << R->Unjudged << "\n";
  else if (!R->Holds)
    OS << "  the spec natively: " << R->Place
       << ": assertion failed: " << R->Assertion << "\n";
  else
    OS << "  the spec natively: holds\n";
  bool SameReplies = R->Updated == C.Merged;
  if (!R->Holds && R->Assertion == C.Spec && SameReplies) {
    OS << "replay: the spec's assertion '" << C.Spec
       << "' fails on the real process (" << R->Place << ")\n";
    return 0;
  }
  OS << "replay: NOT REPRODUCED: ";
  if (!R->Unjudged.empty())
    OS << "the spec cannot be judged on the real process (" << R->Unjudged
       << ")";
  else if (R->Holds)
    OS << "the spec holds on the real process";
  else if (R->Assertion != C.Spec)
    OS << "another assertion fails on the real process ('" << R->Assertion
       << "', not '" << C.Spec << "')";
  else
    OS << "the assertion fails, but the real process differs from the "
          "merged program's prediction ("
       << firstDifference(C.Merged, R->Updated, "predicted", "real process")
       << ")";
  OS << "; a bug in the merger or the executor\n";
  return 1;
}

} // namespace

Expected<int> dsu::replayVerifyCase(const VerifyCase &C, raw_ostream &OS,
                                    StringRef IncludeDir) {
  if (!C.Spec.empty() && !C.SpecFile.empty() && C.Error.empty())
    return replaySpecCase(C, IncludeDir, OS);
  auto Tmp = TempDir::create("dsu-verify-replay");
  if (!Tmp)
    return Tmp.takeError();
  if (Error E = writeFile(Tmp->file("requests"), C.Stdin))
    return std::move(E);
  // A --tcp-lines case: the socket model verify explored, built natively.
  std::string NetSo;
  if (C.Tcp) {
    auto So = verify_detail::buildNetModel(*Tmp);
    if (!So)
      return So.takeError();
    NetSo = *So;
  }
  RealRun Real = runRealProcess(C, *Tmp, "real", true, NetSo);
  int RC = Real.RC;
  std::string Stdout = Real.Out, Stderr = Real.Err, ErrMsg = Real.ErrMsg;
  printReplayHeader(OS, C);
  OS << "\n";
  for (StringRef L : split(Stderr, '\n'))
    if (L.starts_with("dsu: test:") || L.starts_with("dsu-net: "))
      OS << "  " << L << "\n";
  if (C.Tcp && RC == 98) {
    OS << "replay: NOT REPRODUCED: the real process did something the socket "
          "model does not cover (above), which dsu verify would have "
          "reported as unknown; a bug in the model\n";
    return 1;
  }
  bool Crashed = RC < 0 || RC == -2;
  OS << "  the real process" << (C.Tcp ? " (on the connection)" : "") << ": "
     << quoted(Stdout) << " ("
     << (Crashed ? "crashed: " + ErrMsg : "exit status " + std::to_string(RC))
     << ")\n";
  if (!C.Error.empty()) {
    // The merged program stopped at an error; the real process goes on (an
    // unsafe update corrupts silently): it reproduces if the real process
    // crashes or its replies differ from the expected (old) ones.
    OS << "  the merged program stopped: " << C.Error << "\n";
    std::string Ref = C.Expected;
    if (Ref.empty())
      // The old version alone, natively.
      Ref = runRealProcess(C, *Tmp, "ref", false, NetSo).Out;
    OS << "  the old version alone: " << quoted(Ref) << "\n";
    if (Crashed || RC == 97 || Stdout != Ref) {
      OS << "replay: the divergence reproduced on the real process"
         << (Stdout != Ref ? ": " + firstDifference(Ref, Stdout, "old alone",
                                                    "real process")
                           : std::string())
         << "\n";
      return 0;
    }
    OS << "replay: NOT REPRODUCED: the real process answered as the old "
          "version alone; a bug in the merger or the executor\n";
    return 1;
  }
  OS << "  predicted (merged program): " << quoted(C.Merged) << "\n";
  if (!C.Spec.empty()) {
    // The spec rejected the predicted replies: the real process must give
    // the same ones.
    if (Stdout == C.Merged) {
      OS << "replay: the divergence reproduced on the real process: it "
            "gives the replies the spec rejects ("
         << C.Spec << ")\n";
      return 0;
    }
    OS << "replay: NOT REPRODUCED: the real process differs from the merged "
          "program's prediction ("
       << firstDifference(C.Merged, Stdout, "predicted", "real process")
       << "); a bug in the merger or the executor\n";
    return 1;
  }
  OS << "  required by the form: " << quoted(C.Expected) << "\n";
  if (Stdout == C.Merged && Stdout != C.Expected) {
    OS << "replay: the divergence reproduced on the real process: "
       << firstDifference(C.Expected, Stdout, "required", "real process")
       << "\n";
    return 0;
  }
  OS << "replay: NOT REPRODUCED: the real process "
     << (Stdout == C.Expected
             ? "gave the required replies"
             : "differs from the merged program's "
               "prediction (" +
                   firstDifference(C.Merged, Stdout, "predicted",
                                   "real process") +
                   ")")
     << "; a bug in the merger or the executor\n";
  return 1;
}
