//===- ControlClient.cpp - talking to a running program's runtime ---------===//
#include "dsu/Control/ControlClient.h"
#include "dsu/Support/Error.h"
#include "dsu/control_protocol.h"

#include "llvm/ADT/Twine.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

using namespace dsu;
using namespace llvm;

namespace {

/// Milliseconds on a monotonic clock.
int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string seconds(int Ms) {
  return Ms % 1000 == 0 ? std::to_string(Ms / 1000) + " s"
                        : std::to_string(Ms) + " ms";
}

/// The effective uid of process Pid, which owns its runtime directory.
Expected<int> processUid(int Pid) {
  if (Pid <= 0)
    return failure("invalid pid " + Twine(Pid));
  if (kill(Pid, 0) != 0 && errno == ESRCH)
    return failure("no process with pid " + Twine(Pid));
  std::ifstream Status("/proc/" + std::to_string(Pid) + "/status");
  std::string Line;
  while (std::getline(Status, Line))
    if (Line.rfind("Uid:", 0) == 0) {
      int Real = -1, Effective = -1;
      if (sscanf(Line.c_str() + 4, "%d %d", &Real, &Effective) == 2)
        return Effective;
    }
  return failure("no process with pid " + Twine(Pid));
}

std::string runtimeDir(int Uid) {
  if (const char *Env = getenv(DSU_ENV_RUNTIME_DIR); Env && *Env)
    return Env;
  return "/tmp/dsu-" + std::to_string(Uid);
}

/// A connected, checked control socket; closed on destruction.
struct Connection {
  int Fd = -1;
  ~Connection() {
    if (Fd >= 0)
      close(Fd);
  }
};

Error connectChecked(int Pid, Connection &C) {
  auto Uid = processUid(Pid);
  if (!Uid)
    return Uid.takeError();
  std::string Dir = runtimeDir(*Uid);
  std::string Sock = Dir + "/" + std::to_string(Pid) + ".sock";
  if (Sock.size() >= sizeof(sockaddr_un::sun_path))
    return failure("the control socket path " + Sock + " is longer than " +
                   Twine(sizeof(sockaddr_un::sun_path) - 1) +
                   " bytes (is DSU_RUNTIME_DIR too long?)");
  auto NotUpdatable = [&] {
    return failure("process " + Twine(Pid) +
                   " is not an updatable program (no control socket " + Sock +
                   "; was it built with dsu-cc?)");
  };
  struct stat St;
  if (lstat(Dir.c_str(), &St) != 0) {
    if (errno == ENOENT)
      return NotUpdatable();
    return failure("cannot look into " + Dir + ": " + strerror(errno));
  }
  // Whoever controls the directory controls which socket we reach.
  if (S_ISLNK(St.st_mode))
    return failure("the runtime directory " + Dir +
                   " is a symbolic link: refusing to trust it");
  if (!S_ISDIR(St.st_mode))
    return failure("the runtime directory " + Dir + " is not a directory");
  if (int(St.st_uid) != *Uid)
    return failure("the runtime directory " + Dir + " is owned by uid " +
                   Twine(St.st_uid) + ", not by the owner of process " +
                   Twine(Pid) + " (uid " + Twine(*Uid) +
                   "): refusing to trust it");
  if (St.st_mode & 077) {
    char Mode[8];
    snprintf(Mode, sizeof(Mode), "%04o", unsigned(St.st_mode & 07777));
    return failure("the runtime directory " + Dir + " has mode " + Mode +
                   " (others may replace the socket): refusing to trust it; "
                   "it must be 0700");
  }
  if (lstat(Sock.c_str(), &St) != 0) {
    if (errno == ENOENT)
      return NotUpdatable();
    return failure("cannot reach process " + Twine(Pid) + " at " + Sock +
                   ": " + strerror(errno));
  }
  if (!S_ISSOCK(St.st_mode))
    return failure(Sock + " is not a socket");
  C.Fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (C.Fd < 0)
    return failure("socket: " + Twine(strerror(errno)));
  sockaddr_un Addr{};
  Addr.sun_family = AF_UNIX;
  std::memcpy(Addr.sun_path, Sock.c_str(), Sock.size() + 1);
  if (connect(C.Fd, reinterpret_cast<sockaddr *>(&Addr), sizeof(Addr)) != 0)
    return failure("cannot reach process " + Twine(Pid) + " at " + Sock +
                   ": " + strerror(errno));
  ucred Cred{};
  socklen_t Len = sizeof(Cred);
  if (getsockopt(C.Fd, SOL_SOCKET, SO_PEERCRED, &Cred, &Len) != 0)
    return failure("cannot identify the process serving " + Sock + ": " +
                   strerror(errno));
  if (Cred.pid != Pid || int(Cred.uid) != *Uid)
    return failure("the control socket " + Sock + " is served by pid " +
                   Twine(Cred.pid) + " (uid " + Twine(Cred.uid) +
                   "), not by process " + Twine(Pid) + " (uid " + Twine(*Uid) +
                   "): refusing to talk to it");
  return Error::success();
}

/// Sends one frame, with Fds attached (SCM_RIGHTS).
Error sendFrame(int Fd, const std::string &Text, ArrayRef<int> Fds) {
  uint32_t Len = Text.size();
  iovec Iov[2] = {{&Len, sizeof(Len)},
                  {const_cast<char *>(Text.data()), Text.size()}};
  alignas(cmsghdr) char Control[CMSG_SPACE(2 * sizeof(int))];
  msghdr M{};
  M.msg_iov = Iov;
  M.msg_iovlen = 2;
  if (!Fds.empty()) {
    M.msg_control = Control;
    M.msg_controllen = CMSG_SPACE(Fds.size() * sizeof(int));
    cmsghdr *H = CMSG_FIRSTHDR(&M);
    H->cmsg_level = SOL_SOCKET;
    H->cmsg_type = SCM_RIGHTS;
    H->cmsg_len = CMSG_LEN(Fds.size() * sizeof(int));
    std::memcpy(CMSG_DATA(H), Fds.data(), Fds.size() * sizeof(int));
  }
  ssize_t N;
  do
    N = sendmsg(Fd, &M, MSG_NOSIGNAL);
  while (N < 0 && errno == EINTR);
  if (N < 0)
    return failure(strerror(errno));
  // Requests are small; the rest, if any, without the descriptors.
  std::string Rest =
      (std::string(reinterpret_cast<char *>(&Len), sizeof(Len)) + Text)
          .substr(size_t(N));
  for (size_t Done = 0; Done < Rest.size();) {
    ssize_t W = send(Fd, Rest.data() + Done, Rest.size() - Done, MSG_NOSIGNAL);
    if (W < 0 && errno == EINTR)
      continue;
    if (W <= 0)
      return failure(strerror(errno));
    Done += W;
  }
  return Error::success();
}

enum class ReadOutcome { Reply, TimedOut, Closed };

/// Reads one reply frame by DeadlineMs (nowMs() clock). Buf keeps what was
/// read of it so far, for a later call after a time-out.
ReadOutcome readFrame(int Fd, int64_t DeadlineMs, std::string &Buf,
                      std::string &Out) {
  uint32_t Len = 0;
  bool HaveLen = false;
  char Chunk[65536];
  for (;;) {
    if (!HaveLen && Buf.size() >= sizeof(Len)) {
      std::memcpy(&Len, Buf.data(), sizeof(Len));
      if (Len > DSU_CTL_MAX_REPLY)
        return ReadOutcome::Closed;
      HaveLen = true;
    }
    if (HaveLen && Buf.size() >= sizeof(Len) + Len) {
      Out = Buf.substr(sizeof(Len), Len);
      return ReadOutcome::Reply;
    }
    int64_t Left = DeadlineMs - nowMs();
    if (Left <= 0)
      return ReadOutcome::TimedOut;
    pollfd P{Fd, POLLIN, 0};
    int R = poll(&P, 1, int(std::min<int64_t>(Left, 1 << 30)));
    if (R < 0 && errno == EINTR)
      continue;
    if (R == 0)
      return ReadOutcome::TimedOut;
    ssize_t N = read(Fd, Chunk, sizeof(Chunk));
    if (N < 0 && errno == EINTR)
      continue;
    if (N <= 0)
      return ReadOutcome::Closed;
    Buf.append(Chunk, N);
  }
}

/// The shared commit word of one request (control_protocol.h).
struct CommitWord {
  int Fd = -1;
  uint32_t *Word = nullptr;
  ~CommitWord() {
    if (Word)
      munmap(Word, DSU_COMMIT_WORD_SIZE);
    if (Fd >= 0)
      close(Fd);
  }
  Error create() {
    Fd = memfd_create("dsu-commit-word", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (Fd < 0 || ftruncate(Fd, DSU_COMMIT_WORD_SIZE) != 0 ||
        fcntl(Fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0)
      return failure("cannot create the commit word: " +
                     Twine(strerror(errno)));
    void *P = mmap(nullptr, DSU_COMMIT_WORD_SIZE, PROT_READ | PROT_WRITE,
                   MAP_SHARED, Fd, 0);
    if (P == MAP_FAILED)
      return failure("cannot map the commit word: " + Twine(strerror(errno)));
    Word = static_cast<uint32_t *>(P);
    __atomic_store_n(Word, uint32_t(DSU_WORD_PENDING), __ATOMIC_SEQ_CST);
    return Error::success();
  }
  uint32_t load() const { return __atomic_load_n(Word, __ATOMIC_SEQ_CST); }
  /// PENDING -> WITHDRAWN; on failure returns false and the value found.
  bool withdraw(uint32_t &Found) {
    Found = DSU_WORD_PENDING;
    return __atomic_compare_exchange_n(Word, &Found,
                                       uint32_t(DSU_WORD_WITHDRAWN), false,
                                       __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  }
};

} // namespace

Expected<std::string> dsu::controlSocketPath(int Pid) {
  auto Uid = processUid(Pid);
  if (!Uid)
    return Uid.takeError();
  return runtimeDir(*Uid) + "/" + std::to_string(Pid) + ".sock";
}

Expected<std::string> dsu::sendControlRequest(int Pid,
                                              const std::string &Request,
                                              int TimeoutMs) {
  Connection C;
  if (Error E = connectChecked(Pid, C))
    return E;
  if (Error E = sendFrame(C.Fd, Request, {}))
    return failure("cannot send the request to process " + Twine(Pid) + ": " +
                   toString(std::move(E)));
  std::string Buf, Reply;
  switch (readFrame(C.Fd, nowMs() + TimeoutMs, Buf, Reply)) {
  case ReadOutcome::Reply:
    return Reply;
  case ReadOutcome::TimedOut:
    return failure("process " + Twine(Pid) + " did not answer within " +
                   seconds(TimeoutMs));
  case ReadOutcome::Closed:
    break;
  }
  return failure("process " + Twine(Pid) + " closed the connection");
}

Expected<std::string> dsu::queryStatus(int Pid, int TimeoutMs) {
  auto Reply = sendControlRequest(Pid, DSU_CTL_STATUS, TimeoutMs);
  if (!Reply)
    return Reply.takeError();
  StringRef R(*Reply);
  if (R.consume_front("OK "))
    return R.str();
  if (R.consume_front("ERR "))
    return failure("process " + Twine(Pid) + " refused: " + R);
  return failure("process " + Twine(Pid) + " sent an unexpected reply: " + R);
}

OpenPatch::~OpenPatch() {
  if (Fd >= 0)
    close(Fd);
}

Expected<OpenPatch> dsu::openPatch(StringRef Path) {
  OpenPatch P;
  P.Path = Path.str();
  // O_NONBLOCK: opening a FIFO must not wait for a writer.
  P.Fd = open(P.Path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (P.Fd < 0)
    return failure(Path + ": " + strerror(errno));
  struct stat St;
  if (fstat(P.Fd, &St) != 0)
    return failure(Path + ": " + strerror(errno));
  if (!S_ISREG(St.st_mode))
    return failure(Path + ": not a regular file");
  if (St.st_size > (off_t(1) << 30))
    return failure(Path + ": too large for a patch (" + Twine(St.st_size) +
                   " bytes)");
  P.Bytes.resize(size_t(St.st_size));
  for (size_t Done = 0; Done < P.Bytes.size();) {
    ssize_t N = pread(P.Fd, P.Bytes.data() + Done, P.Bytes.size() - Done,
                      off_t(Done));
    if (N < 0 && errno == EINTR)
      continue;
    if (N <= 0)
      return failure(Path + ": cannot read it" +
                     (N < 0 ? ": " + Twine(strerror(errno)) : Twine()));
    Done += N;
  }
  return P;
}

Expected<ApplyResult> dsu::applyPatch(int Pid, const OpenPatch &Patch,
                                      const ApplyOptions &Opts) {
  Connection C;
  if (Error E = connectChecked(Pid, C))
    return E;
  CommitWord W;
  if (Error E = W.create())
    return E;
  std::string Request = std::string(DSU_CTL_APPLY) + " " +
                        std::to_string(Opts.TimeoutMs);
  if (!Opts.ForceAt.empty())
    Request += std::string(" ") + DSU_CTL_FORCE + " " + Opts.ForceAt;
  if (Error E = sendFrame(C.Fd, Request, {Patch.Fd, W.Fd}))
    return failure("cannot send the request to process " + Twine(Pid) + ": " +
                   toString(std::move(E)));

  // The process waits TimeoutMs for an update point after loading the
  // patch; past that and a margin for the loading, stop waiting.
  const int GraceMs = 5000;
  std::string Buf, Reply;
  ReadOutcome Got =
      readFrame(C.Fd, nowMs() + Opts.TimeoutMs + GraceMs, Buf, Reply);
  if (Got == ReadOutcome::Reply) {
    StringRef R(Reply);
    if (R.consume_front("OK ")) {
      // The answer must agree with the word the process had to swap.
      if (W.load() != DSU_WORD_COMMITTED)
        return failure("process " + Twine(Pid) +
                       " said it applied the patch, but it did not commit "
                       "the request");
      return ApplyResult{R.str()};
    }
    if (R.consume_front("ERR "))
      return failure("process " + Twine(Pid) + " refused the patch: " + R);
    return failure("process " + Twine(Pid) + " sent an unexpected reply: " +
                   R);
  }

  // No answer: decide through the word. Our swap wins, or the process's
  // state says what happened.
  std::string Why = Got == ReadOutcome::TimedOut
                        ? "did not answer within " +
                              seconds(Opts.TimeoutMs + GraceMs)
                        : "closed the connection";
  bool Noted = false;
  for (;;) {
    uint32_t Found;
    if (W.withdraw(Found))
      return failure("process " + Twine(Pid) + " " + Why +
                     "; the request was withdrawn: nothing was applied");
    switch (Found) {
    case DSU_WORD_COMMITTED:
      return ApplyResult{"applied (process " + std::to_string(Pid) + " " +
                         Why + " with the details)"};
    case DSU_WORD_ROLLED_BACK:
      return failure("process " + Twine(Pid) + " " + Why +
                     "; the update was rolled back: nothing was applied");
    case DSU_WORD_WITHDRAWN:
      return failure("process " + Twine(Pid) + " " + Why +
                     "; it withdrew the request: nothing was applied");
    case DSU_WORD_COMMITTING:
      break;
    default:
      return failure("process " + Twine(Pid) + " " + Why +
                     " and left the request in an unknown state");
    }
    // Committing now (the pause): the outcome is near, wait for it.
    if (!Noted && Opts.Note) {
      Opts.Note("process " + std::to_string(Pid) +
                " is committing the update; waiting for the outcome");
      Noted = true;
    }
    if (kill(Pid, 0) != 0 && errno == ESRCH)
      return failure("process " + Twine(Pid) +
                     " exited while committing the update");
    if (Got == ReadOutcome::TimedOut &&
        readFrame(C.Fd, nowMs() + 100, Buf, Reply) == ReadOutcome::Reply) {
      StringRef R(Reply);
      if (R.consume_front("OK ") && W.load() == DSU_WORD_COMMITTED)
        return ApplyResult{R.str()};
      if (R.consume_front("ERR ") && W.load() != DSU_WORD_COMMITTED)
        return failure("process " + Twine(Pid) + " refused the patch: " + R);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}
