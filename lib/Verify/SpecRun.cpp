//===- SpecRun.cpp - post-update specs run natively on a real session -----===//
//
// A post-update spec (<dsu/spec.h>) is C that dsu verify runs symbolically
// inside its harness. Here the same file runs natively on one concrete
// session of the real programs: `dsu replay` of a counterexample the spec
// produced (does the same assertion fail on the real process?) and `dsu
// spec-run` (a user debugging a spec before verifying with it).
//
// 1. The spec is compiled with clang-19 and harness/spec_native.c (the API
//    over concrete data; -DDSU_SPEC_NATIVE makes dsu_spec_assert pass its
//    file and line).
// 2. The real old build runs twice on the requests: alone, and with the
//    patch applied at the chosen update-point visit by the runtime's
//    synchronous test mode (DSU_TEST_UPDATE_AT), as the replay of any case.
// 3. Their output is cut into replies as the harness cuts it: reply i is
//    what the process wrote from reading the first byte of request i to
//    reading the first byte of the next (-1: before any). The cut needs to
//    know when the real process reads. C's stdio reads standard input
//    inside the C library, where no preloaded function can see it, so the
//    requests are not a file but a pipe fed one request at a time: the next
//    request goes in only once the pipe is empty and a thread of the
//    process sleeps in a read of standard input (or its main thread in
//    poll/select), i.e. once it has taken every byte so far and wants the
//    next, the first of the next request.
//    What it wrote by then is the reply so far: its standard output is made
//    unbuffered (harness/spec_stdio.c, preloaded), so that nothing sits in
//    a buffer of the process. This depends on no timing: waiting longer
//    changes nothing, and a process never gets a request before it asks.
//    A --tcp-lines session goes through the socket model, preloaded as in
//    the replay, which sees every read of the connection itself and marks
//    each request's first byte on standard error with the reply bytes
//    written before it (DSU_NET_MARKS).
// 4. When the update committed relative to the requests: the runtime's
//    "dsu: test: updated at ..." line on standard error, placed among the
//    marks (TCP) or the sizes of standard error at each feed (stdin). The
//    request being read at the commit is on the old side, as in verify.
// 5. dsu_spec() runs on the session (written to a file the native runtime
//    reads), and names the failed assertion's text and place.
//
//===----------------------------------------------------------------------===//
#include "Internal.h"
#include "dsu/Support/Error.h"
#include "dsu/Support/Process.h"
#include "dsu/Verify/Verify.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "EmbeddedSpecNative.inc"
#include "EmbeddedSpecStdio.inc"

using namespace dsu;
using namespace llvm;
using verify_detail::quoted;

extern char **environ;

namespace {

/// One real process on the requests.
struct RealSession {
  int Status = 0; ///< Exit status; negative: the signal that killed it.
  bool TimedOut = false;
  std::string Out, Err;
  /// Per request begun: the reply bytes and standard error bytes written
  /// before it began.
  std::vector<size_t> ReplyAt, ErrAt;
};

std::vector<std::string> splitRequests(StringRef In) {
  std::vector<std::string> R;
  while (!In.empty()) {
    size_t NL = In.find('\n');
    size_t Len = NL == StringRef::npos ? In.size() : NL + 1;
    R.push_back(In.take_front(Len).str());
    In = In.drop_front(Len);
  }
  return R;
}

std::vector<std::string> childEnv(const SpecRunOptions &O, bool WithUpdate) {
  std::vector<std::string> Env;
  for (char **E = environ; *E; ++E)
    if (!StringRef(*E).starts_with("DSU_TEST_") &&
        !StringRef(*E).starts_with("DSU_NET_") &&
        !StringRef(*E).starts_with("LD_PRELOAD="))
      Env.push_back(*E);
  Env.push_back("DSU_DISABLE=1");
  if (WithUpdate && O.UpdateAt > 0 && !O.Patch.empty()) {
    Env.push_back("DSU_TEST_UPDATE_AT=" + std::to_string(O.UpdateAt));
    Env.push_back("DSU_TEST_PATCH=" + O.Patch);
    if (!O.ForceAt.empty())
      Env.push_back("DSU_TEST_FORCE_AT=" + O.ForceAt);
  }
  return Env;
}

uint64_t fileSize(const std::string &Path) {
  uint64_t Size = 0;
  if (sys::fs::file_size(Path, Size))
    return 0;
  return Size;
}

/// The system call a task sleeps in, and its first argument (the kernel
/// shows a sleeping task's call in /proc/.../syscall, "running" otherwise);
/// -1 if it runs.
std::pair<long, StringRef> sleepingCall(StringRef Text) {
  SmallVector<StringRef, 4> F;
  Text.split(F, ' ', 3);
  long Nr = -1;
  if (F.empty() || F[0].trim().getAsInteger(10, Nr))
    return {-1, ""};
  return {Nr, F.size() > 1 ? F[1] : ""};
}

/// Whether process Pid waits for input: one of its threads sleeps in a
/// read of standard input, or its main thread in poll/select (a program
/// that waits for its input with them).
bool waitsForInput(pid_t Pid) {
  std::string Dir = "/proc/" + std::to_string(Pid);
  std::vector<std::string> Tasks = {Dir};
  std::error_code EC;
  for (sys::fs::directory_iterator I(Dir + "/task", EC), E; I != E && !EC;
       I.increment(EC))
    if (StringRef(I->path()) != Dir + "/task/" + std::to_string(Pid))
      Tasks.push_back(I->path());
  for (size_t T = 0; T < Tasks.size(); ++T) {
    auto B = MemoryBuffer::getFileAsStream(Tasks[T] + "/syscall");
    if (!B)
      continue;
    auto [Nr, Arg0] = sleepingCall((*B)->getBuffer());
    switch (Nr) {
    case 0:  // read
    case 17: // pread64
    case 19: // readv
      if (Arg0 == "0x0")
        return true;
      break;
    case 7:   // poll
    case 23:  // select
    case 232: // epoll_wait
    case 270: // pselect6
    case 271: // ppoll
    case 281: // epoll_pwait
    case 441: // epoll_pwait2
      if (T == 0)
        return true;
      break;
    default:
      break;
    }
  }
  return false;
}

/// Restores SIGPIPE's disposition on scope exit: writing a request to a
/// process that has exited must be an error, not the end of dsu.
struct IgnoreSigpipe {
  struct sigaction Old;
  IgnoreSigpipe() {
    struct sigaction Ign = {};
    Ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &Ign, &Old);
  }
  ~IgnoreSigpipe() { sigaction(SIGPIPE, &Old, nullptr); }
};

/// Runs Program with Env, standard input from StdinFd (closed in the child
/// after the dup) or /dev/null, standard output and error to files.
Expected<pid_t> spawn(const std::string &Program,
                      const std::vector<std::string> &Env, int StdinFd,
                      int ParentEnd, const std::string &Out,
                      const std::string &Err) {
  posix_spawn_file_actions_t FA;
  posix_spawn_file_actions_init(&FA);
  if (StdinFd >= 0) {
    posix_spawn_file_actions_adddup2(&FA, StdinFd, 0);
    posix_spawn_file_actions_addclose(&FA, StdinFd);
  } else
    posix_spawn_file_actions_addopen(&FA, 0, "/dev/null", O_RDONLY, 0);
  if (ParentEnd >= 0)
    posix_spawn_file_actions_addclose(&FA, ParentEnd);
  posix_spawn_file_actions_addopen(&FA, 1, Out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&FA, 2, Err.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawnattr_t Attr;
  posix_spawnattr_init(&Attr);
  sigset_t Default;
  sigemptyset(&Default);
  sigaddset(&Default, SIGPIPE);
  posix_spawnattr_setsigdefault(&Attr, &Default);
  posix_spawnattr_setflags(&Attr, POSIX_SPAWN_SETSIGDEF);
  std::vector<char *> Argv = {const_cast<char *>(Program.c_str()), nullptr};
  std::vector<char *> Envp;
  for (const std::string &E : Env)
    Envp.push_back(const_cast<char *>(E.c_str()));
  Envp.push_back(nullptr);
  pid_t Pid = 0;
  int RC =
      posix_spawn(&Pid, Program.c_str(), &FA, &Attr, Argv.data(), Envp.data());
  posix_spawn_file_actions_destroy(&FA);
  posix_spawnattr_destroy(&Attr);
  if (RC != 0)
    return failure("cannot run " + Program + ": " + strerror(RC));
  return Pid;
}

/// Waits for Pid until Deadline (then kills it); fills S.Status.
void reap(pid_t Pid, std::chrono::steady_clock::time_point Deadline,
          RealSession &S) {
  int WS = 0;
  for (;;) {
    pid_t R = waitpid(Pid, &WS, WNOHANG);
    if (R == Pid)
      break;
    if (R < 0 && errno != EINTR)
      return;
    if (std::chrono::steady_clock::now() > Deadline) {
      kill(Pid, SIGKILL);
      waitpid(Pid, &WS, 0);
      S.TimedOut = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  S.Status = WIFEXITED(WS) ? WEXITSTATUS(WS) : -WTERMSIG(WS);
}

/// The requests on standard input, one at a time (the file comment).
Expected<RealSession> runStdinSession(const SpecRunOptions &O,
                                      const std::vector<std::string> &Requests,
                                      bool WithUpdate, const TempDir &Tmp,
                                      StringRef Tag, StringRef StdioSo) {
  std::string Out = Tmp.file(Tag.str() + ".out"),
              Err = Tmp.file(Tag.str() + ".err");
  std::vector<std::string> Env = childEnv(O, WithUpdate);
  Env.push_back("LD_PRELOAD=" + StdioSo.str());
  int Pipe[2];
  if (pipe2(Pipe, O_CLOEXEC) != 0)
    return failure(std::string("cannot make a pipe: ") + strerror(errno));
  IgnoreSigpipe Guard;
  auto Pid = spawn(O.Old, Env, Pipe[0], Pipe[1], Out, Err);
  close(Pipe[0]);
  if (!Pid) {
    close(Pipe[1]);
    return Pid.takeError();
  }
  auto Deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds((long)(O.Timeout * 1000));
  RealSession S;
  bool Exited = false;
  for (const std::string &Req : Requests) {
    // Wait until the process wants the first byte of this request.
    for (;;) {
      int Unread = 0;
      if (ioctl(Pipe[1], FIONREAD, &Unread) == 0 && Unread == 0 &&
          waitsForInput(*Pid))
        break;
      int WS = 0;
      if (waitpid(*Pid, &WS, WNOHANG) == *Pid) {
        Exited = true;
        S.Status = WIFEXITED(WS) ? WEXITSTATUS(WS) : -WTERMSIG(WS);
        break;
      }
      if (std::chrono::steady_clock::now() > Deadline)
        break;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    if (Exited || std::chrono::steady_clock::now() > Deadline)
      break;
    S.ReplyAt.push_back(fileSize(Out));
    S.ErrAt.push_back(fileSize(Err));
    // A request fits in the pipe (verify's are at most 4096 bytes); a
    // longer one simply blocks until the process reads it.
    StringRef Rest = Req;
    while (!Rest.empty()) {
      ssize_t W = write(Pipe[1], Rest.data(), Rest.size());
      if (W < 0 && errno == EINTR)
        continue;
      if (W <= 0)
        break; // it exited: the rest is never read
      Rest = Rest.drop_front(W);
    }
  }
  close(Pipe[1]);
  if (!Exited)
    reap(*Pid, Deadline, S);
  if (auto B = readFile(Out))
    S.Out = std::move(*B);
  else
    consumeError(B.takeError());
  if (auto B = readFile(Err))
    S.Err = std::move(*B);
  else
    consumeError(B.takeError());
  return S;
}

/// The requests on one TCP connection of the socket model, preloaded; its
/// marks on standard error cut the replies.
Expected<RealSession> runTcpSession(const SpecRunOptions &O,
                                    const std::string &RequestsFile,
                                    bool WithUpdate, const TempDir &Tmp,
                                    StringRef Tag, StringRef NetSo) {
  std::string Out = Tmp.file(Tag.str() + ".out"),
              Err = Tmp.file(Tag.str() + ".err"),
              Replies = Tmp.file(Tag.str() + ".replies");
  std::vector<std::string> Env = childEnv(O, WithUpdate);
  Env.push_back("LD_PRELOAD=" + NetSo.str());
  Env.push_back("DSU_NET_REQUESTS=" + RequestsFile);
  Env.push_back("DSU_NET_REPLIES=" + Replies);
  Env.push_back("DSU_NET_MARKS=1");
  if (Error E = writeFile(Replies, ""))
    return std::move(E);
  auto Pid = spawn(O.Old, Env, -1, -1, Out, Err);
  if (!Pid)
    return Pid.takeError();
  RealSession S;
  reap(*Pid,
       std::chrono::steady_clock::now() +
           std::chrono::milliseconds((long)(O.Timeout * 1000)),
       S);
  if (auto B = readFile(Replies))
    S.Out = std::move(*B);
  else
    consumeError(B.takeError());
  std::string Err0;
  if (auto B = readFile(Err))
    Err0 = std::move(*B);
  else
    consumeError(B.takeError());
  // Take the marks out of standard error, noting where each stood.
  StringRef Rest = Err0;
  static const StringRef Mark = "dsu-net-request ";
  while (!Rest.empty()) {
    size_t At = Rest.find(Mark);
    if (At == StringRef::npos) {
      S.Err += Rest.str();
      break;
    }
    S.Err += Rest.take_front(At).str();
    Rest = Rest.drop_front(At + Mark.size());
    auto [Num, After] = Rest.split('\n');
    size_t Replied = 0;
    if (Num.getAsInteger(10, Replied))
      return failure("internal error: a bad mark of the socket model: '" + Num +
                     "'");
    S.ReplyAt.push_back(Replied);
    S.ErrAt.push_back(S.Err.size());
    Rest = After;
  }
  return S;
}

/// Reply I of S, cut as the harness cuts it (verify_harness.c).
std::string replyOf(const RealSession &S, int I) {
  size_t Started = S.ReplyAt.size();
  size_t B = I < 0 ? 0 : (size_t)I < Started ? S.ReplyAt[I] : S.Out.size();
  size_t E = (size_t)(I + 1) < Started ? S.ReplyAt[I + 1] : S.Out.size();
  B = std::min(B, S.Out.size());
  E = std::min(std::max(E, B), S.Out.size());
  return S.Out.substr(B, E - B);
}

/// Where the runtime's test mode committed the update in S ("" if it did
/// not), and how many requests had begun by then.
int committedBefore(const RealSession &S, std::string &Where) {
  static const StringRef Line = "dsu: test: updated at update point ";
  size_t At = StringRef(S.Err).find(Line);
  if (At == StringRef::npos)
    return -1;
  StringRef L = StringRef(S.Err).drop_front(At).split('\n').first;
  size_t Open = L.find(" ("), Close = L.rfind(')');
  if (Open != StringRef::npos && Close != StringRef::npos && Close > Open)
    Where = L.slice(Open + 2, Close).str();
  int N = 0;
  for (size_t E : S.ErrAt)
    N += E <= At;
  return N;
}

std::string describeStatus(const RealSession &S) {
  if (S.TimedOut)
    return "killed after the time limit";
  if (S.Status < 0)
    return std::string("killed by signal ") + strsignal(-S.Status);
  return "exit status " + std::to_string(S.Status);
}

/// Compiles the spec with the native runtime into Tmp/spec.
Expected<std::string> buildSpec(const SpecRunOptions &O, const TempDir &Tmp) {
  std::string Runtime = Tmp.file("spec_native.c"), Exe = Tmp.file("spec");
  if (Error E = writeFile(Runtime, EmbeddedSpecNative))
    return std::move(E);
  std::string Log;
  auto RC =
      runProgramCapture(clangPath(),
                        {clangPath(), "-O0", "-g", "-DDSU_SPEC_NATIVE",
                         "-I" + O.IncludeDir, "-o", Exe, O.SpecFile, Runtime},
                        Log);
  if (!RC)
    return RC.takeError();
  if (*RC != 0) {
    // clang's diagnostics name the spec's lines; the runtime's file is ours
    // (it fails only with a spec that defines the API's functions itself).
    return failure(StringRef(Log).rtrim().str() + "\n" + O.SpecFile +
                   ": the spec does not compile");
  }
  return Exe;
}

} // namespace

Expected<SpecRunResult> dsu::runSpecOnRealSession(const SpecRunOptions &O) {
  if (O.SpecFile.empty() || O.Old.empty())
    return failure("a native spec run needs the spec and the old build");
  if (O.UpdateAt > 0 && O.Patch.empty())
    return failure("an update visit without a patch");
  auto Tmp = TempDir::create("dsu-spec-run");
  if (!Tmp)
    return Tmp.takeError();
  // First the spec: a spec that does not compile needs no process run.
  auto Exe = buildSpec(O, *Tmp);
  if (!Exe)
    return Exe.takeError();

  std::vector<std::string> Requests = splitRequests(O.Requests);
  std::string RequestsFile = Tmp->file("requests");
  if (Error E = writeFile(RequestsFile, O.Requests))
    return std::move(E);
  std::string Preload;
  if (O.Tcp) {
    auto So = verify_detail::buildNetModel(*Tmp);
    if (!So)
      return So.takeError();
    Preload = *So;
  } else {
    std::string C = Tmp->file("spec_stdio.c");
    Preload = Tmp->file("spec_stdio.so");
    if (Error E = writeFile(C, EmbeddedSpecStdio))
      return std::move(E);
    std::string Log;
    auto RC = runProgramCapture(
        clangPath(),
        {clangPath(), "-shared", "-fPIC", "-O1", "-o", Preload, C, "-ldl"},
        Log);
    if (!RC)
      return RC.takeError();
    if (*RC != 0)
      return failure("cannot build the stdout shim of the native spec run:\n" +
                     Log);
  }
  auto Run = [&](bool WithUpdate, StringRef Tag) {
    return O.Tcp
               ? runTcpSession(O, RequestsFile, WithUpdate, *Tmp, Tag, Preload)
               : runStdinSession(O, Requests, WithUpdate, *Tmp, Tag, Preload);
  };
  auto Updated = Run(true, "updated");
  if (!Updated)
    return Updated.takeError();
  auto OldAlone = Run(false, "old");
  if (!OldAlone)
    return OldAlone.takeError();
  if (O.Tcp)
    for (const RealSession *S : {&*Updated, &*OldAlone})
      if (S->Status == 98)
        return failure("the real process did something the socket model "
                       "does not cover: " +
                       StringRef(S->Err).trim());

  SpecRunResult R;
  R.Updated = Updated->Out;
  R.OldAlone = OldAlone->Out;
  R.UpdatedStatus = Updated->Status;
  R.OldStatus = OldAlone->Status;
  R.CommittedBefore = committedBefore(*Updated, R.Where);

  // The session, for the native runtime (spec_native.c) and the report.
  int N = (int)Requests.size();
  // The old version alone killed (a crash: what dsu verify's executor sees
  // as its failure) finished the replies to the requests before the last it
  // began; a spec that reads a later one cannot be judged on this session.
  int OldCut = OldAlone->Status < 0 ? (int)OldAlone->ReplyAt.size() - 1 : N;
  std::string Session = std::to_string(N) + " " +
                        std::to_string(R.CommittedBefore) + " " +
                        std::to_string(OldCut) + "\n";
  auto Item = [&](StringRef Bytes) {
    Session += std::to_string(Bytes.size()) + "\n" + Bytes.str() + "\n";
  };
  for (const std::string &Req : Requests)
    Item(Req);
  for (int I = -1; I < N; ++I)
    Item(replyOf(*Updated, I));
  for (int I = -1; I < N; ++I)
    Item(replyOf(*OldAlone, I));
  std::string SessionFile = Tmp->file("session"),
              ResultFile = Tmp->file("result");
  if (Error E = writeFile(SessionFile, Session))
    return std::move(E);

  raw_string_ostream OS(R.Report);
  OS << "  " << N << " request" << (N == 1 ? "" : "s") << "; ";
  if (O.Patch.empty())
    OS << "no update\n";
  else if (R.CommittedBefore >= 0)
    OS << "the update requested at update-point visit " << O.UpdateAt
       << (O.ForceAt.empty() ? "" : " (forced)") << ", committed at " << R.Where
       << " after request " << R.CommittedBefore << " began\n";
  else
    OS << "the update requested at update-point visit " << O.UpdateAt
       << " did not commit\n";
  for (StringRef L : split(Updated->Err, '\n'))
    if (L.starts_with("dsu: test:") || L.starts_with("dsu-net: "))
      OS << "  " << L << "\n";
  auto Row = [&](int I) {
    OS << "    old alone: " << quoted(replyOf(*OldAlone, I))
       << "\n    updated program: " << quoted(replyOf(*Updated, I)) << "\n";
  };
  if (!replyOf(*OldAlone, -1).empty() || !replyOf(*Updated, -1).empty()) {
    OS << "  before any request\n";
    Row(-1);
  }
  for (int I = 0; I < N; ++I) {
    OS << "  request " << I + 1 << " " << quoted(Requests[I]) << " ("
       << (R.CommittedBefore >= 0 && I >= R.CommittedBefore ? "after"
                                                            : "before")
       << " the update)"
       << ((size_t)I < Updated->ReplyAt.size() ? ""
                                               : ", never read by the updated "
                                                 "process")
       << "\n";
    Row(I);
  }
  OS << "  the updated process: " << describeStatus(*Updated)
     << "; the old version alone: " << describeStatus(*OldAlone) << "\n";

  // The spec's own output (a printf while debugging it) goes to a file
  // shown on failure; a spec that never returns is stopped like a process.
  std::string LogFile = Tmp->file("spec.log"), ErrMsg;
  std::optional<StringRef> Redirects[] = {
      StringRef("/dev/null"), StringRef(LogFile), StringRef(LogFile)};
  int RC = sys::ExecuteAndWait(*Exe, {*Exe, SessionFile, ResultFile},
                               std::nullopt, Redirects,
                               (unsigned)std::max(1.0, O.Timeout), 0, &ErrMsg);
  std::string Log;
  if (auto B = readFile(LogFile))
    Log = StringRef(*B).rtrim().str();
  else
    consumeError(B.takeError());
  if (RC < 0)
    return failure("the spec failed on this session: " +
                   (ErrMsg.empty() ? std::string("it crashed") : ErrMsg) +
                   (Log.empty() ? "" : "\n" + Log));
  std::string Result;
  if (auto B = readFile(ResultFile))
    Result = std::move(*B);
  else
    consumeError(B.takeError());
  if (!Log.empty()) {
    R.Report += "  the spec's own output:\n";
    for (StringRef L : split(Log, '\n'))
      R.Report += "    " + L.str() + "\n";
  }
  auto [Place, Text] = StringRef(Result).split('\n');
  switch (RC) {
  case 0:
    return R;
  case 1:
    R.Holds = false;
    R.Place = Place.str();
    R.Assertion = Text.str();
    return R;
  case 2:
    return failure("the spec misused <dsu/spec.h>: " + Text);
  case 4:
    R.Unjudged = Text.str();
    return R;
  default:
    return failure("the spec failed on this session (exit status " +
                   std::to_string(RC) + ")" + (Log.empty() ? "" : ":\n" + Log));
  }
}
