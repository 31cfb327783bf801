/* kvserver_env.c - the world of examples/kvserver under dsu symex: one
 * listening socket, one client whose requests are symbolic.
 *
 * dsu symex models no network, so this file stands in for the system calls
 * the server makes around its requests; it is linked with the server's code
 * (a build of it, or the merged program of two versions) and takes the
 * place of the C library's definitions. The server itself runs unchanged:
 * main's start-up, the poll loop and its update point, accept, the
 * connection's buffers, the command table, the store.
 *
 *   getaddrinfo, socket, setsockopt, bind, listen, getsockname
 *                 succeed: the listening socket is fd 3, on port 7379
 *   poll          first the listening socket is readable (a client
 *                 connects), then the client's socket is readable or
 *                 writable as the server asks; when the server waits for
 *                 nothing more (the client left and its connection is
 *                 closed), the session is over and the run ends (exit 0)
 *   accept4       the client, fd 4, once; then EAGAIN
 *   read          on fd 4: the next of KV_REQUESTS requests, each a
 *                 command of every version (SET k v, GET k, DEL k; one
 *                 path each, with <klee/dsu_request.h>'s dsu_choose), its
 *                 arguments one symbolic byte of KV_ALPHABET ("ab": two
 *                 keys that may be equal or not); then end of file (the
 *                 client closed its side)
 *   getopt, optind, getrlimit, setrlimit
 *                 no options, no limit to raise (under dsu symex only)
 *
 * The replies (write on fd 4) are the path's output trace (dsu symex's
 * libc model); replayed natively (dsu replay builds this file with the
 * program), fd 4 is a copy of standard output, so a test case replays to
 * the same trace. Bounds are compile-time: -DKV_REQUESTS=N (default 2).
 *
 * -DKV_UPDATE_AT=K fixes the update's timing instead (the K-th update-point
 * visit; 0: never), as DSU_MERGE_UPDATE_AT=K does natively: this file then
 * defines the merge runtime's choice hook, so the executor does not make it
 * symbolic (bench/symex-merge.sh compares one run over every timing with
 * one run per timing).
 */
#include <klee/dsu_request.h>
#include <klee/klee.h>

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef KV_REQUESTS
#define KV_REQUESTS 2
#endif
#ifndef KV_ALPHABET
#define KV_ALPHABET "ab"
#endif

enum { LISTEN_FD = 3, CLIENT_FD = 4 };

#ifdef KV_UPDATE_AT
int __dsu_merge_choice(int point, long visit) {
  (void)point;
  return visit == KV_UPDATE_AT;
}
#endif

/* The commands every version understands and their argument counts. */
static const char *const kv_commands[] = {"SET", "GET", "DEL"};
static const unsigned kv_arguments[] = {2, 1, 1};

static int accepted;
static int requests_read;

#ifdef __DSU_SYMEX__
/* Under dsu symex only (replayed natively, the C library's are used): the
 * option parser's state as the C library starts it, and the limits. */
int optind = 1, opterr = 1, optopt;
char *optarg;

int getopt(int argc, char *const argv[], const char *options) {
  (void)argc;
  (void)argv;
  (void)options;
  return -1;
}

int getrlimit(int resource, struct rlimit *rl) {
  (void)resource;
  rl->rlim_cur = rl->rlim_max = 1024;
  return 0;
}

int setrlimit(int resource, const struct rlimit *rl) {
  (void)resource;
  (void)rl;
  return 0;
}
#endif

int getaddrinfo(const char *node, const char *service,
                const struct addrinfo *hints, struct addrinfo **res) {
  static struct sockaddr_in sin;
  static struct addrinfo ai;
  (void)node;
  (void)service;
  (void)hints;
  sin.sin_family = AF_INET;
  ai.ai_family = AF_INET;
  ai.ai_socktype = SOCK_STREAM;
  ai.ai_addr = (struct sockaddr *)&sin;
  ai.ai_addrlen = sizeof sin;
  *res = &ai;
  return 0;
}

void freeaddrinfo(struct addrinfo *ai) { (void)ai; }

const char *gai_strerror(int code) {
  (void)code;
  return "no address";
}

int socket(int domain, int type, int protocol) {
  (void)domain;
  (void)type;
  (void)protocol;
  return LISTEN_FD;
}

int setsockopt(int fd, int level, int name, const void *value, socklen_t len) {
  (void)fd;
  (void)level;
  (void)name;
  (void)value;
  (void)len;
  return 0;
}

int bind(int fd, const struct sockaddr *addr, socklen_t len) {
  (void)fd;
  (void)addr;
  (void)len;
  return 0;
}

int listen(int fd, int backlog) {
  (void)fd;
  (void)backlog;
  return 0;
}

int getsockname(int fd, struct sockaddr *addr, socklen_t *len) {
  struct sockaddr_in sin;
  unsigned char *port = (unsigned char *)&sin.sin_port;
  (void)fd;
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  port[0] = 7379 >> 8; /* network byte order */
  port[1] = 7379 & 0xff;
  memcpy(addr, &sin, *len < sizeof sin ? *len : sizeof sin);
  *len = sizeof sin;
  return 0;
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
  (void)fd;
  (void)addr;
  (void)len;
  (void)flags;
  if (!accepted) {
    accepted = 1;
#ifndef __DSU_SYMEX__
    /* Replayed natively: the replies go to standard output, as they go to
     * the output trace under dsu symex. */
    dup2(1, CLIENT_FD);
#endif
    return CLIENT_FD;
  }
  errno = EAGAIN;
  return -1;
}

int poll(struct pollfd *fds, nfds_t n, int timeout) {
  int ready = 0;
  nfds_t i;
  (void)timeout;
  for (i = 0; i < n; i++) {
    fds[i].revents = 0;
    if (fds[i].fd == LISTEN_FD && !accepted)
      fds[i].revents = fds[i].events & POLLIN;
    else if (fds[i].fd == CLIENT_FD && accepted)
      fds[i].revents = fds[i].events & (POLLIN | POLLOUT);
    ready += fds[i].revents != 0;
  }
  if (!ready)
    exit(0); /* nothing more will happen: the session is over */
  return ready;
}

/* One request: a command (one path each), its arguments of one symbolic
 * byte of KV_ALPHABET each. */
static size_t make_request(char *req, size_t cap) {
  unsigned cmd = dsu_choose(0, 2, "request.cmd"), i;
  size_t n = 0;
  dsu_request_put(req, cap, &n, kv_commands[cmd], strlen(kv_commands[cmd]));
  for (i = 0; i < kv_arguments[cmd]; i++) {
    char c;
    klee_make_symbolic(&c, 1, "request.arg");
    dsu_assume_in(c, KV_ALPHABET);
    dsu_request_put(req, cap, &n, " ", 1);
    dsu_request_put(req, cap, &n, &c, 1);
  }
  dsu_request_put(req, cap, &n, "\r\n", 2);
  return n;
}

ssize_t read(int fd, void *buf, size_t cap) {
  char req[32];
  size_t n;
  if (fd != CLIENT_FD || requests_read == KV_REQUESTS)
    return 0;
  requests_read++;
  n = make_request(req, sizeof req);
  if (n > cap)
    n = cap;
  memcpy(buf, req, n);
  return (ssize_t)n;
}
