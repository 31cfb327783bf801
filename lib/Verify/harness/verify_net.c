/* verify_net.c - the socket model of `dsu verify --tcp-lines N`.
 *
 * The world of a server as one client sees it: the server opens a TCP
 * socket, binds, listens; one client connects, sends the N requests of the
 * input model on that connection, one after the other, and reads what the
 * server writes back. The requests are the harness's (lib/Verify's
 * verify_harness.c draws them, one line each); the model only decides when
 * the server may read them and records what it writes to the connection:
 *
 *   socket       AF_INET or AF_INET6, SOCK_STREAM (SOCK_NONBLOCK kept);
 *                anything else is outside the model
 *   setsockopt   accepted, no effect; getsockopt is outside the model
 *   bind, listen accepted; the first socket to listen is the one the
 *                client connects to; getsockname gives back the address
 *                bound (port 0 reads back as 40000)
 *   accept, accept4
 *                the client's connection, once (SOCK_NONBLOCK kept); after
 *                it, EAGAIN on a non-blocking socket, and a blocking one
 *                would wait forever (below)
 *   poll         the listening socket is readable until the client is
 *                accepted; the connection is readable while requests are
 *                left and always writable; a descriptor outside the model
 *                is outside the model (negative ones are skipped, as poll
 *                does); nothing ready and a timeout of 0 returns 0
 *   read, recv   on the connection: the rest of the current request (up to
 *                and including its newline), at most the size asked, so
 *                each request arrives in reads of its own, as from a client
 *                that sends a request when the previous one is answered;
 *                with no request left, EAGAIN on a non-blocking connection;
 *                recv's MSG_DONTWAIT is honoured, MSG_PEEK is outside the
 *                model; standard input is empty (end of file)
 *   write, send  on the connection: every byte is taken at once and is
 *                part of the replies; standard output and error are not
 *                replies
 *   fcntl        F_GETFL/F_SETFL (O_NONBLOCK), F_GETFD/F_SETFD on the
 *                model's sockets
 *   close        a socket of the model; closing the connection ends the
 *                client's session (requests left are never delivered)
 *
 * The session is over when the server would wait for something that will
 * never come: poll with a timeout other than 0 and nothing ready, a
 * blocking accept after the client's, a blocking read with no request
 * left. The client sends nothing more and the server's timeouts would only
 * lead it to wait again (a server that does something a client sees when
 * a timeout fires is not modelled: its timers never fire), so the run ends
 * there as if the program had exited with status 0, and its replies are
 * judged. A call the model does not cover ends the path as not explored:
 * `unknown`, with the call named, never a verdict on behaviour the model
 * does not describe. select, epoll, ppoll, readv/writev, sendmsg/recvmsg,
 * shutdown and the like are not defined here: the executor names them as
 * unmodelled functions.
 *
 * The reply cutting is the harness's: __dsu_net_getc is its byte source,
 * which notes where each run's output stood when the run read the first
 * byte of each request.
 *
 * One file, two builds:
 *  - under dsu verify (__DSU_SYMEX__ defined), linked into each program of
 *    the harness beside its libc model; lib/Verify redirects the hooks
 *    __dsu_net_getc, __dsu_net_eof and __dsu_net_reply to the harness's
 *    functions of that run, and the libc model's standard input to an
 *    empty one and its standard output to nowhere. The start-up calls a
 *    server makes before it listens (getaddrinfo, getopt, getrlimit, ...)
 *    are defined here too, deterministically.
 *  - natively, by `dsu replay` of a case from --tcp-lines: a shared object
 *    preloaded (LD_PRELOAD) into the real old build. The requests are read
 *    from the file DSU_NET_REQUESTS and the replies appended to the file
 *    DSU_NET_REPLIES; the model's sockets are real descriptors of
 *    /dev/null (so their numbers are taken), and every other descriptor
 *    goes to the real C library (the runtime reads its patch file). What
 *    the model does not cover prints "dsu-net: ..." and exits with status
 *    98.
 * The real process thus meets the same world the executor explored: the
 * same reads, the same update-point visits, the same end.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#ifdef __DSU_SYMEX__
/* The harness's, for this run (lib/Verify redirects them). */
int __dsu_net_getc(void);
/* Up to n bytes of the current request, to its end: what __dsu_net_getc
 * would give byte by byte, copied in one piece (the read of every request
 * of every run on every path is interpreted; a byte loop was a tenth of a
 * verification's instructions). */
long __dsu_net_read(unsigned char *buf, size_t n);
int __dsu_net_eof(void);
void __dsu_net_reply(const char *buf, size_t n);
/* The libc model's output hook (standard output and error). */
void __dsu_output(int fd, const char *buf, size_t n);
/* The executor ends the path as not explored, with this reason. */
void __dsu_symex_unmodelled(const char *reason);
#else
#include <dlfcn.h>
#ifndef RTLD_NEXT /* glibc declares it for _GNU_SOURCE only */
#define RTLD_NEXT ((void *)-1l)
#endif
#endif

/* ---- the environment: the requests, the replies, the end --------------- */

static void outside_model(const char *call, const char *what) {
  static char reason[160];
  snprintf(reason, sizeof reason, "the TCP model does not cover %s: %s", call,
           what);
#ifdef __DSU_SYMEX__
  __dsu_symex_unmodelled(reason);
#else
  static ssize_t (*real_write)(int, const void *, size_t);
  if (!real_write)
    real_write =
        (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
  char line[200];
  int n = snprintf(line, sizeof line, "dsu-net: %s\n", reason);
  if (real_write)
    real_write(2, line, (size_t)n);
#endif
  _exit(98);
}

/* The server waits for what will never come: the session is over. */
static void session_over(void) { exit(0); }

#ifdef __DSU_SYMEX__
#define net_getc __dsu_net_getc
#define net_eof __dsu_net_eof
#define net_reply __dsu_net_reply
#else
static char *requests;
static long requests_len = -1, requests_pos;
static int replies_fd = -1;

static void load_requests(void) {
  if (requests_len >= 0)
    return;
  requests_len = 0;
  const char *path = getenv("DSU_NET_REQUESTS");
  FILE *f = path ? fopen(path, "rb") : NULL;
  if (!f)
    outside_model("the replay", "DSU_NET_REQUESTS names no readable file");
  size_t cap = 4096;
  requests = malloc(cap);
  size_t got;
  while (requests && (got = fread(requests + requests_len, 1,
                                  cap - (size_t)requests_len, f)) > 0) {
    requests_len += (long)got;
    if ((size_t)requests_len == cap)
      requests = realloc(requests, cap *= 2);
  }
  fclose(f);
}
/* Bytes written to DSU_NET_REPLIES so far. */
static long replied;
/* With DSU_NET_MARKS set (dsu replay of a spec's case, dsu spec-run), the
 * first byte of each request read writes "dsu-net-request R" (R: the reply
 * bytes written before it) on standard error: where the replies are cut,
 * as the harness cuts them, and, placed among the runtime's own lines
 * there, which requests had begun when the update committed. */
static void mark_request(void) {
  static int marks = -1;
  if (marks < 0)
    marks = getenv("DSU_NET_MARKS") != NULL;
  if (!marks || (requests_pos > 0 && requests[requests_pos - 1] != '\n'))
    return;
  static ssize_t (*real_write)(int, const void *, size_t);
  if (!real_write)
    real_write =
        (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
  char line[64];
  int n = snprintf(line, sizeof line, "dsu-net-request %ld\n", replied);
  if (real_write)
    real_write(2, line, (size_t)n);
}
static int net_getc(void) {
  load_requests();
  if (requests_pos >= requests_len)
    return -1;
  mark_request();
  return (unsigned char)requests[requests_pos++];
}
static int net_eof(void) {
  load_requests();
  return requests_pos >= requests_len;
}
static void net_reply(const char *buf, size_t n) {
  static ssize_t (*real_write)(int, const void *, size_t);
  if (!real_write)
    real_write =
        (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
  if (replies_fd < 0) {
    const char *path = getenv("DSU_NET_REPLIES");
    int fd =
        path ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
    if (fd < 0)
      outside_model("the replay", "DSU_NET_REPLIES names no writable file");
    /* Out of the numbers the program's own descriptors take. */
    replies_fd = fcntl(fd, F_DUPFD_CLOEXEC, 200);
    if (replies_fd < 0)
      replies_fd = fd;
    else
      close(fd);
  }
  while (n > 0) {
    ssize_t w = real_write(replies_fd, buf, n);
    if (w <= 0)
      outside_model("the replay", "cannot write DSU_NET_REPLIES");
    buf += w;
    n -= (size_t)w;
    replied += (long)w;
  }
}
#endif

/* ---- the sockets --------------------------------------------------------- */

enum kind { FREE, SOCKET, LISTENING, CONNECTION };
enum { SOCKETS = 8, PORT_ZERO = 40000 };

struct sock {
  int fd;
  enum kind kind;
  int nonblock;
  unsigned char addr[sizeof(struct sockaddr_in6)];
  socklen_t addrlen;
};
static struct sock socks[SOCKETS];
static struct sock *listener; /* the socket the client connects to */
static int accepted;          /* the client's connection was accepted */

static struct sock *sock_of(int fd) {
  if (fd < 0)
    return NULL;
  for (int i = 0; i < SOCKETS; i++)
    if (socks[i].kind != FREE && socks[i].fd == fd)
      return &socks[i];
  return NULL;
}

#ifdef __DSU_SYMEX__
static int next_fd = 3;
#else
static int (*real_close)(int);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_recv)(int, void *, size_t, int);
static ssize_t (*real_send)(int, const void *, size_t, int);
static int (*real_fcntl)(int, int, ...);
static int (*real_setsockopt)(int, int, int, const void *, socklen_t);
static int (*real_getsockopt)(int, int, int, void *, socklen_t *);
#define REAL(name)                                                             \
  (real_##name                                                                 \
       ? real_##name                                                           \
       : (real_##name = (__typeof__(real_##name))dlsym(RTLD_NEXT, #name)))
#endif

static struct sock *new_sock(enum kind kind, const char *call) {
  for (int i = 0; i < SOCKETS; i++)
    if (socks[i].kind == FREE) {
      struct sock *s = &socks[i];
      memset(s, 0, sizeof *s);
#ifdef __DSU_SYMEX__
      s->fd = next_fd++;
#else
      /* A real descriptor, so that the program's other files never get
       * its number. */
      s->fd = open("/dev/null", O_RDWR | O_CLOEXEC);
      if (s->fd < 0)
        outside_model(call, "no descriptor left for a socket");
#endif
      s->kind = kind;
      return s;
    }
  outside_model(call, "more than 8 sockets");
  return NULL;
}

int socket(int domain, int type, int protocol) {
  (void)protocol;
  if ((domain != AF_INET && domain != AF_INET6) || (type & 0xf) != SOCK_STREAM)
    outside_model("socket", "only TCP sockets (AF_INET or AF_INET6, "
                            "SOCK_STREAM) are modelled");
  struct sock *s = new_sock(SOCKET, "socket");
  s->nonblock = (type & SOCK_NONBLOCK) != 0;
  return s->fd;
}

int setsockopt(int fd, int level, int name, const void *value, socklen_t len) {
  if (sock_of(fd))
    return 0;
#ifndef __DSU_SYMEX__
  return REAL(setsockopt)(fd, level, name, value, len);
#else
  (void)level, (void)name, (void)value, (void)len;
  outside_model("setsockopt", "a descriptor that is not a socket of the model");
  return -1;
#endif
}

int getsockopt(int fd, int level, int name, void *value, socklen_t *len) {
#ifndef __DSU_SYMEX__
  if (!sock_of(fd))
    return REAL(getsockopt)(fd, level, name, value, len);
#endif
  (void)fd, (void)level, (void)name, (void)value, (void)len;
  outside_model("getsockopt", "socket options are not modelled");
  return -1;
}

int bind(int fd, const struct sockaddr *addr, socklen_t len) {
  struct sock *s = sock_of(fd);
  if (!s || s->kind != SOCKET)
    outside_model("bind", "a descriptor that is not a new socket of the model");
  if (len > sizeof s->addr)
    len = sizeof s->addr;
  memcpy(s->addr, addr, len);
  s->addrlen = len;
  return 0;
}

int listen(int fd, int backlog) {
  (void)backlog;
  struct sock *s = sock_of(fd);
  if (!s || s->kind != SOCKET)
    outside_model("listen",
                  "a descriptor that is not a new socket of the model");
  s->kind = LISTENING;
  if (!listener)
    listener = s;
  return 0;
}

int getsockname(int fd, struct sockaddr *addr, socklen_t *len) {
  struct sock *s = sock_of(fd);
  if (!s || s->kind == CONNECTION || !s->addrlen)
    outside_model("getsockname", "a socket that is not bound");
  unsigned char a[sizeof s->addr];
  memcpy(a, s->addr, sizeof a);
  /* sin_port and sin6_port are both at offset 2, in network byte order. */
  if (a[2] == 0 && a[3] == 0) {
    a[2] = PORT_ZERO >> 8;
    a[3] = PORT_ZERO & 0xff;
  }
  memcpy(addr, a, *len < s->addrlen ? *len : s->addrlen);
  *len = s->addrlen;
  return 0;
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
  struct sock *s = sock_of(fd);
  if (!s || s->kind != LISTENING)
    outside_model("accept", "a descriptor that is not a listening socket");
  if (s != listener || accepted) {
    if (s->nonblock) {
      errno = EAGAIN;
      return -1;
    }
    session_over();
  }
  accepted = 1;
  struct sock *c = new_sock(CONNECTION, "accept");
  c->nonblock = (flags & SOCK_NONBLOCK) != 0;
  if (addr && len) {
    /* The client: 127.0.0.1 port 40001. */
    struct sockaddr_in peer;
    memset(&peer, 0, sizeof peer);
    peer.sin_family = AF_INET;
    unsigned char *p = (unsigned char *)&peer.sin_port;
    p[0] = 40001 >> 8;
    p[1] = 40001 & 0xff;
    unsigned char *ip = (unsigned char *)&peer.sin_addr;
    ip[0] = 127;
    ip[3] = 1;
    memcpy(addr, &peer, *len < sizeof peer ? *len : sizeof peer);
    *len = sizeof peer;
  }
  return c->fd;
}

int accept(int fd, struct sockaddr *addr, socklen_t *len) {
  return accept4(fd, addr, len, 0);
}

int poll(struct pollfd *fds, nfds_t n, int timeout) {
  int ready = 0;
  for (nfds_t i = 0; i < n; i++) {
    fds[i].revents = 0;
    if (fds[i].fd < 0)
      continue;
    struct sock *s = sock_of(fds[i].fd);
    if (!s)
      outside_model("poll", "a descriptor that is not a socket of the model");
    if (s->kind == LISTENING && s == listener && !accepted)
      fds[i].revents = fds[i].events & POLLIN;
    else if (s->kind == CONNECTION) {
      fds[i].revents = fds[i].events & POLLOUT;
      if (!net_eof())
        fds[i].revents |= fds[i].events & POLLIN;
    }
    ready += fds[i].revents != 0;
  }
  if (ready || timeout == 0)
    return ready;
  session_over();
  return 0;
}

/* The rest of the current request, up to n bytes. */
static ssize_t connection_read(struct sock *s, void *buf, size_t n,
                               int nonblock) {
  if (n == 0)
    return 0;
  if (net_eof()) {
    if (nonblock) {
      errno = EAGAIN;
      return -1;
    }
    session_over();
  }
  unsigned char *p = buf;
  size_t i = 0;
#ifdef __DSU_SYMEX__
  long got = __dsu_net_read(p, n);
  i = got > 0 ? (size_t)got : 0;
  n = i; /* the byte loop below has nothing left to do */
#endif
  while (i < n) {
    int c = net_getc();
    if (c < 0)
      break;
    p[i++] = (unsigned char)c;
    if (c == '\n')
      break;
  }
  (void)s;
  return (ssize_t)i;
}

ssize_t read(int fd, void *buf, size_t n) {
  struct sock *s = sock_of(fd);
  if (s && s->kind == CONNECTION)
    return connection_read(s, buf, n, s->nonblock);
  if (s)
    outside_model("read", "a socket that is not the client's connection");
#ifdef __DSU_SYMEX__
  if (fd == 0)
    return 0; /* standard input is empty */
  outside_model("read", "a descriptor that is not a socket of the model");
  return -1;
#else
  return REAL(read)(fd, buf, n);
#endif
}

ssize_t recv(int fd, void *buf, size_t n, int flags) {
  struct sock *s = sock_of(fd);
  if (!s || s->kind != CONNECTION) {
#ifndef __DSU_SYMEX__
    if (!s)
      return REAL(recv)(fd, buf, n, flags);
#endif
    outside_model("recv", "a descriptor that is not the client's connection");
  }
  if (flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL))
    outside_model("recv", "flags other than MSG_DONTWAIT");
  return connection_read(s, buf, n, s->nonblock || (flags & MSG_DONTWAIT));
}

ssize_t write(int fd, const void *buf, size_t n) {
  struct sock *s = sock_of(fd);
  if (s && s->kind == CONNECTION) {
    net_reply(buf, n);
    return (ssize_t)n;
  }
  if (s)
    outside_model("write", "a socket that is not the client's connection");
#ifdef __DSU_SYMEX__
  if (fd == 1 || fd == 2) {
    __dsu_output(fd, buf, n);
    return (ssize_t)n;
  }
  outside_model("write", "a descriptor that is not a socket of the model");
  return -1;
#else
  return REAL(write)(fd, buf, n);
#endif
}

ssize_t send(int fd, const void *buf, size_t n, int flags) {
  struct sock *s = sock_of(fd);
  if (!s || s->kind != CONNECTION) {
#ifndef __DSU_SYMEX__
    if (!s)
      return REAL(send)(fd, buf, n, flags);
#endif
    outside_model("send", "a descriptor that is not the client's connection");
  }
  (void)flags; /* MSG_NOSIGNAL, MSG_DONTWAIT: every byte is taken at once */
  net_reply(buf, n);
  return (ssize_t)n;
}

int fcntl(int fd, int cmd, ...) {
  va_list ap;
  struct sock *s = sock_of(fd);
  if (!s) {
#ifndef __DSU_SYMEX__
    /* Natively, whatever the command: a third argument, if any, is in the
     * next register or stack slot (a pointer or an int). */
    va_start(ap, cmd);
    long arg = va_arg(ap, long);
    va_end(ap);
    return REAL(fcntl)(fd, cmd, arg);
#else
    outside_model("fcntl", "a descriptor that is not a socket of the model");
#endif
  }
  /* The third argument only where the command has one: F_GETFL and F_GETFD
   * are called without, and the executor's variadic area then has no slot
   * to read. */
  int arg = 0;
  if (cmd == F_SETFL || cmd == F_SETFD) {
    va_start(ap, cmd);
    arg = va_arg(ap, int);
    va_end(ap);
  }
  switch (cmd) {
  case F_GETFL:
    return O_RDWR | (s->nonblock ? O_NONBLOCK : 0);
  case F_SETFL:
    s->nonblock = (arg & O_NONBLOCK) != 0;
    return 0;
  case F_GETFD:
    return FD_CLOEXEC;
  case F_SETFD:
    return 0;
  }
  outside_model("fcntl", "commands other than F_GETFL, F_SETFL, F_GETFD and "
                         "F_SETFD");
  return -1;
}

int close(int fd) {
  struct sock *s = sock_of(fd);
  if (s) {
    if (s == listener)
      listener = NULL;
    s->kind = FREE;
    /* A closed connection: the client's session is over; requests left are
     * never delivered (poll and read see nothing more). */
#ifndef __DSU_SYMEX__
    REAL(close)(fd);
#endif
    return 0;
  }
#ifdef __DSU_SYMEX__
  return 0;
#else
  return REAL(close)(fd);
#endif
}

/* ---- start-up calls, under dsu verify only ------------------------------- */
#ifdef __DSU_SYMEX__

/* One address of the family asked (IPv6 for a node with a ':'), the port
 * of a numeric service; the address itself is not parsed. */
int getaddrinfo(const char *node, const char *service,
                const struct addrinfo *hints, struct addrinfo **res) {
  int family = AF_INET;
  if ((hints && hints->ai_family == AF_INET6) || (node && strchr(node, ':')))
    family = AF_INET6;
  long port = 0;
  if (service) {
    char *end;
    port = strtol(service, &end, 10);
    if (end == service || *end || port < 0 || port > 65535)
      outside_model("getaddrinfo", "a service that is not a port number");
  }
  struct addrinfo *ai = calloc(1, sizeof *ai + sizeof(struct sockaddr_in6));
  if (!ai)
    return EAI_MEMORY;
  unsigned char *sa = (unsigned char *)(ai + 1);
  ai->ai_family = family;
  ai->ai_socktype =
      hints && hints->ai_socktype ? hints->ai_socktype : SOCK_STREAM;
  ai->ai_protocol = hints ? hints->ai_protocol : 0;
  ai->ai_addr = (struct sockaddr *)sa;
  ai->ai_addrlen = family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                      : sizeof(struct sockaddr_in);
  ((struct sockaddr *)sa)->sa_family = (sa_family_t)family;
  sa[2] = (unsigned char)(port >> 8);
  sa[3] = (unsigned char)(port & 0xff);
  *res = ai;
  return 0;
}

void freeaddrinfo(struct addrinfo *ai) { free(ai); }

const char *gai_strerror(int code) {
  (void)code;
  return "address error";
}

char *strerror(int code) {
  (void)code;
  return (char *)"error";
}

/* No limit to raise. */
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

/* POSIX getopt for short options (the program runs with no arguments under
 * dsu verify, so this returns -1 at once). */
char *optarg;
int optind = 1, opterr = 1, optopt;
static int optpos = 1;

int getopt(int argc, char *const argv[], const char *options) {
  optarg = NULL;
  if (optind >= argc || !argv[optind] || argv[optind][0] != '-' ||
      !argv[optind][1])
    return -1;
  if (strcmp(argv[optind], "--") == 0) {
    optind++;
    return -1;
  }
  char c = argv[optind][optpos++];
  const char *o = c == ':' ? NULL : strchr(options, c);
  int last = argv[optind][optpos] == '\0';
  if (!o) {
    optopt = c;
    if (last)
      optind++, optpos = 1;
    return '?';
  }
  if (o[1] == ':') {
    if (!last)
      optarg = (char *)&argv[optind][optpos];
    else if (optind + 1 < argc)
      optarg = argv[++optind];
    else {
      optopt = c;
      optind++, optpos = 1;
      return options[0] == ':' ? ':' : '?';
    }
    optind++, optpos = 1;
    return c;
  }
  if (last)
    optind++, optpos = 1;
  return c;
}
#endif
