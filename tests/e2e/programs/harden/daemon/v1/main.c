/* Does to libdsu what a careful daemon (OpenSSH's sshd) does: closes every
 * descriptor at start-up, opens its own (which get the numbers libdsu had),
 * forks children that dup2() onto low numbers and exec, and forks a child
 * that sandboxes itself with a seccomp filter allowing only a few system
 * calls, then exits. Commands on standard input:
 *   fd       is dsu_update_fd() still libdsu's pipe, not the program's file?
 *   fork     a child that dup2()s onto 5 and 6 and execs /bin/true
 *   seccomp  a sandboxed child that exits; does it exit, and how?
 *   die      the main thread sandboxes itself and makes a forbidden call:
 *            the kernel kills it alone (SIGSYS); the process must end too
 *   version  which version of the code runs */
#include <dsu.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *version(void) { return "v1"; }

static int listener;

static void check_fd(void) {
  int fd = dsu_update_fd();
  char link[64], target[128] = "";
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, target, sizeof target - 1);
  if (n > 0)
    target[n] = 0;
  if (fd == listener)
    printf("fd: dsu_update_fd() is the program's socket\n");
  else if (strncmp(target, "pipe:", 5) == 0)
    printf("fd: ok\n");
  else
    printf("fd: dsu_update_fd() is %d (%s)\n", fd, target);
}

/* Reports how a child ended, within 5 s. */
static void reap(const char *what, pid_t child) {
  for (int i = 0; i < 500; i++) {
    int status;
    pid_t r = waitpid(child, &status, WNOHANG);
    if (r == child) {
      if (WIFEXITED(status))
        printf("%s: exited %d\n", what, WEXITSTATUS(status));
      else
        printf("%s: killed by signal %d\n", what, WTERMSIG(status));
      return;
    }
    usleep(10000);
  }
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  printf("%s: still alive after 5 s\n", what);
}

static void fork_exec(void) {
  struct stat before;
  fstat(listener, &before);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    /* Its own descriptors must still be its own... */
    struct stat now;
    if (fstat(listener, &now) != 0 || now.st_ino != before.st_ino)
      _exit(2);
    /* ... and the low numbers free for it, a moment later too. */
    usleep(50000);
    int p[2];
    if (pipe(p) != 0 || dup2(p[0], 5) != 5 || dup2(p[1], 6) != 6)
      _exit(10 + errno % 100);
    execl("/bin/true", "true", (char *)NULL);
    _exit(3);
  }
  reap("fork", child);
}

static void sandbox(void) {
  struct sock_filter allow[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_write, 4, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit_group, 3, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit, 2, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_munmap, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_THREAD),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {sizeof allow / sizeof allow[0], allow};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
    _exit(4);
}

static void sandboxed_exit(void) {
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    sandbox();
    exit(0);
  }
  reap("seccomp", child);
}

int main(void) {
  /* closefrom(3), as sshd does first thing. */
  for (int fd = 3; fd < 1024; fd++)
    close(fd);
  listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (listener < 0 || bind(listener, (struct sockaddr *)&a, sizeof a) != 0 ||
      listen(listener, 8) != 0)
    return 1;
  setvbuf(stdout, NULL, _IOLBF, 0);
  char line[64];
  while (fgets(line, sizeof line, stdin)) {
    DSU_UPDATE_POINT();
    if (strcmp(line, "fd\n") == 0)
      check_fd();
    else if (strcmp(line, "fork\n") == 0)
      fork_exec();
    else if (strcmp(line, "seccomp\n") == 0)
      sandboxed_exit();
    else if (strcmp(line, "die\n") == 0) {
      sandbox();
      getppid(); /* forbidden: the kernel kills this thread */
    }
    else
      printf("%s %s", version(), line);
  }
  return 0;
}
