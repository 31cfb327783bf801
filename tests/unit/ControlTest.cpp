//===- ControlTest.cpp - dsuControl: the control socket client ------------===//
#include "TestUtil.h"
#include "dsu/Control/ControlClient.h"

#include "gtest/gtest.h"
#include <sys/socket.h>
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

/// A one-connection server on Path that reads a line and runs Respond.
class FakeRuntime {
public:
  FakeRuntime(const std::string &Path,
              std::function<void(int Fd, const std::string &Line)> Respond) {
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
      std::string Line;
      char C;
      while (read(Fd, &C, 1) == 1 && C != '\n')
        Line += C;
      Received = Line;
      Respond(Fd, Line);
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
  TempDir D = makeTempDir();
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

TEST(ControlTest, RequestAndReplyLine) {
  TempDir D = makeTempDir();
  ScopedEnv E("DSU_RUNTIME_DIR", D.path());
  int Pid = getpid();
  std::string Sock = D.path() + "/" + std::to_string(Pid) + ".sock";
  std::string Got;
  {
    FakeRuntime Server(Sock, [](int Fd, const std::string &Line) {
      std::string Reply = "ok " + Line + " version 0123\n";
      // In two pieces: the client must read up to the newline.
      (void)!write(Fd, Reply.data(), 5);
      usleep(20000);
      (void)!write(Fd, Reply.data() + 5, Reply.size() - 5);
    });
    auto R = sendControlRequest(Pid, "status", 5000);
    ASSERT_TRUE(bool(R)) << errorText(R);
    Got = *R;
  }
  EXPECT_EQ(Got, "ok status version 0123");
}

TEST(ControlTest, ClosedWithoutReply) {
  TempDir D = makeTempDir();
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
  TempDir D = makeTempDir();
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
  TempDir D = makeTempDir();
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
