//===- ControlTest.cpp - dsuControl: the control socket client ------------===//
#include "TestUtil.h"
#include "dsu/Control/ControlClient.h"

#include "gtest/gtest.h"
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace dsu;
using namespace dsu::test;

namespace {
/// The pid of a process that has just exited and been reaped.
int deadPid() {
  pid_t Child = fork();
  if (Child == 0)
    _exit(0);
  int Status;
  waitpid(Child, &Status, 0);
  return Child;
}

/// A one-connection server on Path that reads one request frame and runs
/// Respond (include/dsu/control_protocol.h).
class FakeRuntime {
public:
  FakeRuntime(const std::string &Path,
              std::function<void(int Fd, const std::string &Request)> Respond) {
    Listen = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un Addr{};
    Addr.sun_family = AF_UNIX;
    std::strncpy(Addr.sun_path, Path.c_str(), sizeof(Addr.sun_path) - 1);
    EXPECT_EQ(bind(Listen, reinterpret_cast<sockaddr *>(&Addr), sizeof(Addr)),
              0);
    EXPECT_EQ(listen(Listen, 1), 0);
    Thread = std::thread([this, Respond] {
      int Fd = accept(Listen, nullptr, nullptr);
      if (Fd < 0)
        return;
      uint32_t Len = 0;
      std::string Request;
      if (read(Fd, &Len, sizeof(Len)) == sizeof(Len) && Len < 4096) {
        Request.resize(Len);
        if (read(Fd, Request.data(), Len) != ssize_t(Len))
          Request.clear();
      }
      Received = Request;
      Respond(Fd, Request);
      close(Fd);
    });
  }
  ~FakeRuntime() {
    Thread.join();
    close(Listen);
  }
  std::string Received;

private:
  int Listen = -1;
  std::thread Thread;
};

/// A reply frame.
std::string frame(const std::string &Text) {
  uint32_t Len = Text.size();
  return std::string(reinterpret_cast<char *>(&Len), sizeof(Len)) + Text;
}

/// A runtime directory as the runtime makes it: mode 0700.
TempDir privateDir() {
  TempDir D = makeTempDir();
  chmod(D.path().c_str(), 0700);
  return D;
}
} // namespace

TEST(ControlTest, InvalidPid) {
  auto P = controlSocketPath(0);
  ASSERT_FALSE(bool(P));
  EXPECT_EQ(errorText(P), "invalid pid 0");
  auto N = controlSocketPath(-4);
  ASSERT_FALSE(bool(N));
  EXPECT_EQ(errorText(N), "invalid pid -4");
}

TEST(ControlTest, NonexistentPid) {
  int Pid = deadPid();
  auto P = controlSocketPath(Pid);
  ASSERT_FALSE(bool(P));
  EXPECT_EQ(errorText(P), "no process with pid " + std::to_string(Pid));
  auto R = sendControlRequest(Pid, "status", 1000);
  ASSERT_FALSE(bool(R));
  EXPECT_EQ(errorText(R), "no process with pid " + std::to_string(Pid));
}

TEST(ControlTest, SocketPathRules) {
  int Pid = getpid();
  {
    ScopedEnv E("DSU_RUNTIME_DIR", "/some/dir");
    auto P = controlSocketPath(Pid);
    ASSERT_TRUE(bool(P)) << errorText(P);
    EXPECT_EQ(*P, "/some/dir/" + std::to_string(Pid) + ".sock");
  }
  {
    ScopedEnv E("DSU_RUNTIME_DIR", "");
    auto P = controlSocketPath(Pid);
    ASSERT_TRUE(bool(P)) << errorText(P);
    EXPECT_EQ(*P, "/tmp/dsu-" + std::to_string(getuid()) + "/" +
                      std::to_string(Pid) + ".sock");
  }
}

TEST(ControlTest, LiveProcessWithoutSocketIsNotUpdatable) {
  TempDir D = privateDir();
  ScopedEnv E("DSU_RUNTIME_DIR", D.path());
  int Pid = getpid();
  auto R = sendControlRequest(Pid, "status", 1000);
  ASSERT_FALSE(bool(R));
  std::string Sock = D.path() + "/" + std::to_string(Pid) + ".sock";
  EXPECT_EQ(errorText(R), "process " + std::to_string(Pid) +
                              " is not an updatable program (no control "
                              "socket " +
                              Sock + "; was it built with dsu-cc?)");
}

TEST(ControlTest, RequestAndReplyFrames) {
  TempDir D = privateDir();
  ScopedEnv E("DSU_RUNTIME_DIR", D.path());
  int Pid = getpid();
  std::string Sock = D.path() + "/" + std::to_string(Pid) + ".sock";
  std::string Got;
  {
    FakeRuntime Server(Sock, [](int Fd, const std::string &Request) {
      // A newline is no terminator; the frame's length is.
      std::string Reply = frame("OK " + Request + "\nversion 0123");
      // In two pieces: the client must read the whole frame.
      (void)!write(Fd, Reply.data(), 5);
      usleep(20000);
      (void)!write(Fd, Reply.data() + 5, Reply.size() - 5);
    });
    auto R = sendControlRequest(Pid, "STATUS", 5000);
    ASSERT_TRUE(bool(R)) << errorText(R);
    Got = *R;
  }
  EXPECT_EQ(Got, "OK STATUS\nversion 0123");
}

TEST(ControlTest, ClosedWithoutReply) {
  TempDir D = privateDir();
  ScopedEnv E("DSU_RUNTIME_DIR", D.path());
  int Pid = getpid();
  std::string Sock = D.path() + "/" + std::to_string(Pid) + ".sock";
  FakeRuntime Server(Sock, [](int, const std::string &) {});
  auto R = sendControlRequest(Pid, "apply /x", 5000);
  ASSERT_FALSE(bool(R));
  EXPECT_EQ(errorText(R),
            "process " + std::to_string(Pid) + " closed the connection");
}

TEST(ControlTest, NoAnswerTimesOut) {
  TempDir D = privateDir();
  ScopedEnv E("DSU_RUNTIME_DIR", D.path());
  int Pid = getpid();
  std::string Sock = D.path() + "/" + std::to_string(Pid) + ".sock";
  FakeRuntime Server(Sock,
                     [](int, const std::string &) { usleep(1500 * 1000); });
  auto R = sendControlRequest(Pid, "status", 1000);
  ASSERT_FALSE(bool(R));
  EXPECT_EQ(errorText(R), "process " + std::to_string(Pid) +
                              " did not answer within 1 s");
}

TEST(ControlTest, StaleSocketCannotBeReached) {
  TempDir D = privateDir();
  ScopedEnv E("DSU_RUNTIME_DIR", D.path());
  int Pid = getpid();
  std::string Sock = D.path() + "/" + std::to_string(Pid) + ".sock";
  {
    // Bound, then closed: the file stays but nobody listens.
    int Fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un Addr{};
    Addr.sun_family = AF_UNIX;
    std::strncpy(Addr.sun_path, Sock.c_str(), sizeof(Addr.sun_path) - 1);
    ASSERT_EQ(bind(Fd, reinterpret_cast<sockaddr *>(&Addr), sizeof(Addr)), 0);
    close(Fd);
  }
  auto R = sendControlRequest(Pid, "status", 1000);
  ASSERT_FALSE(bool(R));
  EXPECT_EQ(errorText(R).rfind("cannot reach process " + std::to_string(Pid) +
                                   " at " + Sock + ": ",
                               0),
            0u)
      << errorText(R);
}

TEST(ControlTest, RuntimeDirectoryMustBeTheOwnersAndPrivate) {
  TempDir D = makeTempDir();
  int Pid = getpid();
  {
    chmod(D.path().c_str(), 0777);
    ScopedEnv E("DSU_RUNTIME_DIR", D.path());
    auto R = sendControlRequest(Pid, "STATUS", 1000);
    ASSERT_FALSE(bool(R));
    EXPECT_EQ(errorText(R), "the runtime directory " + D.path() +
                                " has mode 0777 (others may replace the "
                                "socket): refusing to trust it; it must be "
                                "0700");
  }
  {
    std::string Link = D.path() + "/link";
    ASSERT_EQ(symlink(D.path().c_str(), Link.c_str()), 0);
    ScopedEnv E("DSU_RUNTIME_DIR", Link);
    auto R = sendControlRequest(Pid, "STATUS", 1000);
    ASSERT_FALSE(bool(R));
    EXPECT_EQ(errorText(R), "the runtime directory " + Link +
                                " is a symbolic link: refusing to trust it");
  }
}

TEST(ControlTest, PeerMustBeTheProcess) {
  // The socket of this process, served by another one (a child).
  TempDir D = privateDir();
  ScopedEnv E("DSU_RUNTIME_DIR", D.path());
  int Pid = getpid();
  std::string Sock = D.path() + "/" + std::to_string(Pid) + ".sock";
  int Listen = socket(AF_UNIX, SOCK_STREAM, 0);
  int Ready[2];
  ASSERT_EQ(pipe(Ready), 0);
  pid_t Child = fork();
  if (Child == 0) {
    sockaddr_un Addr{};
    Addr.sun_family = AF_UNIX;
    std::strncpy(Addr.sun_path, Sock.c_str(), sizeof(Addr.sun_path) - 1);
    if (bind(Listen, reinterpret_cast<sockaddr *>(&Addr), sizeof(Addr)) != 0 ||
        listen(Listen, 1) != 0)
      _exit(1);
    (void)!write(Ready[1], "x", 1);
    int Fd = accept(Listen, nullptr, nullptr);
    char C;
    // Anything the client sent would arrive here; it must send nothing.
    _exit(read(Fd, &C, 1) > 0 ? 2 : 0);
  }
  char C;
  ASSERT_EQ(read(Ready[0], &C, 1), 1);
  auto R = sendControlRequest(Pid, "STATUS", 1000);
  ASSERT_FALSE(bool(R));
  EXPECT_EQ(errorText(R), "the control socket " + Sock + " is served by pid " +
                              std::to_string(Child) + " (uid " +
                              std::to_string(geteuid()) + "), not by process " +
                              std::to_string(Pid) + " (uid " +
                              std::to_string(geteuid()) +
                              "): refusing to talk to it");
  int Status;
  waitpid(Child, &Status, 0);
  EXPECT_TRUE(WIFEXITED(Status) && WEXITSTATUS(Status) == 0);
  close(Listen);
  close(Ready[0]);
  close(Ready[1]);
}

TEST(ControlTest, StatusErrorReplyIsAnError) {
  // dsu status --json used to print an error reply and exit 0.
  TempDir D = privateDir();
  ScopedEnv E("DSU_RUNTIME_DIR", D.path());
  int Pid = getpid();
  std::string Sock = D.path() + "/" + std::to_string(Pid) + ".sock";
  FakeRuntime Server(Sock, [](int Fd, const std::string &) {
    std::string Reply = frame("ERR out of memory");
    (void)!write(Fd, Reply.data(), Reply.size());
  });
  auto R = queryStatus(Pid, 5000);
  ASSERT_FALSE(bool(R));
  EXPECT_EQ(errorText(R),
            "process " + std::to_string(Pid) + " refused: out of memory");
  EXPECT_EQ(Server.Received, "STATUS");
}
