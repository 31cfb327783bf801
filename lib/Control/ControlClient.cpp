#include "dsu/Control/ControlClient.h"

#include "llvm/Support/FileSystem.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using namespace dsu;
using namespace llvm;

static Error failure(const Twine &Why) {
  return createStringError(inconvertibleErrorCode(), Why);
}

Expected<std::string> dsu::controlSocketPath(int Pid) {
  if (Pid <= 0)
    return failure("invalid pid " + Twine(Pid));
  if (kill(Pid, 0) != 0 && errno == ESRCH)
    return failure("no process with pid " + Twine(Pid));
  std::ifstream Status("/proc/" + std::to_string(Pid) + "/status");
  int Uid = -1;
  std::string Line;
  while (std::getline(Status, Line))
    if (Line.rfind("Uid:", 0) == 0)
      Uid = std::atoi(Line.c_str() + 4);
  if (Uid < 0)
    return failure("no process with pid " + Twine(Pid));
  std::string Dir;
  if (const char *Env = getenv("DSU_RUNTIME_DIR"); Env && *Env)
    Dir = Env;
  else
    Dir = "/tmp/dsu-" + std::to_string(Uid);
  return Dir + "/" + std::to_string(Pid) + ".sock";
}

Expected<std::string> dsu::sendControlRequest(int Pid,
                                              const std::string &Request,
                                              int TimeoutMs) {
  auto Path = controlSocketPath(Pid);
  if (!Path)
    return Path.takeError();
  if (!sys::fs::exists(*Path))
    return failure("process " + Twine(Pid) +
                   " is not an updatable program (no control socket " +
                   *Path + "; was it built with dsu-cc?)");
  int Fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (Fd < 0)
    return failure("socket: " + Twine(strerror(errno)));
  sockaddr_un Addr{};
  Addr.sun_family = AF_UNIX;
  std::strncpy(Addr.sun_path, Path->c_str(), sizeof(Addr.sun_path) - 1);
  if (connect(Fd, reinterpret_cast<sockaddr *>(&Addr), sizeof(Addr)) != 0) {
    int E = errno;
    close(Fd);
    return failure("cannot reach process " + Twine(Pid) + " at " + *Path +
                   ": " + strerror(E));
  }
  std::string Msg = Request + "\n";
  if (write(Fd, Msg.data(), Msg.size()) != ssize_t(Msg.size())) {
    close(Fd);
    return failure("cannot send the request to process " + Twine(Pid));
  }
  std::string Reply;
  char Buf[4096];
  for (;;) {
    pollfd P{Fd, POLLIN, 0};
    int R = poll(&P, 1, TimeoutMs);
    if (R < 0 && errno == EINTR)
      continue;
    if (R == 0) {
      close(Fd);
      return failure("process " + Twine(Pid) + " did not answer within " +
                     (TimeoutMs % 1000 == 0 ? Twine(TimeoutMs / 1000) + " s"
                                            : Twine(TimeoutMs) + " ms"));
    }
    ssize_t N = read(Fd, Buf, sizeof(Buf));
    if (N < 0 && errno == EINTR)
      continue;
    if (N <= 0)
      break;
    Reply.append(Buf, N);
    if (!Reply.empty() && Reply.back() == '\n')
      break;
  }
  close(Fd);
  if (Reply.empty())
    return failure("process " + Twine(Pid) + " closed the connection");
  if (Reply.back() == '\n')
    Reply.pop_back();
  return Reply;
}
