/* dsu_control.c - the control socket: who may talk to the process, how a
 * request is read, and the answers (protocol: include/dsu/control_protocol.h).
 *
 * A constructor starts a control thread that serves a Unix-domain socket,
 * DIR/PID.sock, where DIR is $DSU_RUNTIME_DIR or /tmp/dsu-UID, UID being the
 * process's effective uid at start-up (dsu_owner_uid); the directory must be
 * a directory, not a symlink, owned by that uid with mode 0700; the socket
 * has mode 0600. In a set-user-ID process DSU_RUNTIME_DIR is ignored.
 *
 * A child after fork does not answer for its parent: it gets a socket of
 * its own (and a control thread) at its first update point, and none if it
 * never reaches one. libdsu's threads never outlive the program's: once no
 * thread of the program is left (its main thread killed alone, by its own
 * seccomp filter say), the control thread ends the process as the main
 * thread ended.
 *
 * Everything here lives inside someone else's program and must not be able
 * to exhaust it or get in its way: descriptors are kept high and checked by
 * identity before use (below); the listener is polled and accepted from
 * without blocking; at most DSU_CTL_MAX_CONNECTIONS connections are served at
 * once (more wait in the kernel's listen backlog, costing no descriptor),
 * each is checked with SO_PEERCRED (the owner uid or root) before anything
 * is read, the whole request must arrive within DSU_CTL_REQUEST_DEADLINE_MS
 * (a client trickling bytes is dropped), replies are written with a deadline
 * too and never raise SIGPIPE, and descriptors passed with a request are
 * closed whatever happens to it.
 */
#include "control_protocol.h"
#include "dsu_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static pid_t owner_pid;
static char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

/* Set in a child after fork: its control socket opens at its first update
 * point, so a child that never reaches one (a daemon's worker that execs or
 * sandboxes itself) gets no socket, no thread and no exit-time unlink. */
int dsu_control_deferred;

/* --------------------------------------------- descriptors libdsu owns */

/* libdsu's descriptors live in the program's descriptor table, and the
 * program may close them (closefrom(3) at start-up) and get the numbers back
 * for its own files. So each is known by its identity (device and inode),
 * checked before every use, and never read, written or closed by number
 * alone; a lost one is replaced. They are moved high, out of the numbers a
 * program dup2()s onto, and the update descriptor is a pipe because pipes,
 * unlike eventfds, have an inode of their own. */
struct owned {
  int fd;
  dev_t dev;
  ino_t ino;
};
static struct owned listener = {-1, 0, 0};
static struct owned event_r = {-1, 0, 0}, event_w = {-1, 0, 0};
static int event_wanted; /* the control socket is served: offer the pipe */

/* Below 1024 (select's limit: the program may select on dsu_update_fd()). */
static int fd_floor(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= 1024)
    return 512;
  return rl.rlim_cur / 2 > 3 ? (int)(rl.rlim_cur / 2) : 3;
}

/* Takes fd (moved high if possible) as o; -1 (fd closed) on failure. */
static int own(int fd, struct owned *o) {
  o->fd = -1;
  if (fd < 0)
    return -1;
  int high = fcntl(fd, F_DUPFD_CLOEXEC, fd_floor());
  if (high >= 0) {
    close(fd);
    fd = high;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return -1;
  }
  o->fd = fd;
  o->dev = st.st_dev;
  o->ino = st.st_ino;
  return fd;
}

static int still_ours(const struct owned *o) {
  struct stat st;
  return o->fd >= 0 && fstat(o->fd, &st) == 0 && st.st_dev == o->dev &&
         st.st_ino == o->ino;
}

/* Forgets o, closing the descriptor only if it is still ours. */
static void disown(struct owned *o) {
  if (still_ours(o))
    close(o->fd);
  o->fd = -1;
}

/* The update pipe, replaced if the program closed or reused it. */
static int event_ready_locked(void) {
  if (!event_wanted)
    return -1;
  if (still_ours(&event_r) && still_ours(&event_w))
    return 0;
  disown(&event_r);
  disown(&event_w);
  int p[2];
  if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0)
    return -1;
  if (own(p[0], &event_r) < 0 || own(p[1], &event_w) < 0) {
    disown(&event_r);
    disown(&event_w);
    return -1;
  }
  if (dsu_req.state == REQ_PENDING) {
    char one = 1;
    (void)!write(event_w.fd, &one, 1);
  }
  return 0;
}

int dsu_event_fd_locked(void) {
  return event_ready_locked() == 0 ? event_r.fd : -1;
}

void dsu_event_signal_locked(void) {
  char one = 1;
  /* A full pipe is readable anyway. */
  if (event_ready_locked() == 0)
    (void)!write(event_w.fd, &one, 1);
}

void dsu_event_drain_locked(void) {
  char buf[64];
  if (still_ours(&event_r))
    while (read(event_r.fd, buf, sizeof buf) > 0) {
    }
}

/* The number of connections being served, bounded. */
static pthread_mutex_t conn_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t conn_freed = PTHREAD_COND_INITIALIZER;
static int connections;

/* --------------------------------------------------------- text buffers */

struct strbuf {
  char *data;
  size_t len, cap;
  int failed; /* out of memory: the reply says so instead */
};

static void sb_printf(struct strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void sb_printf(struct strbuf *sb, const char *fmt, ...) {
  if (sb->failed)
    return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(sb->data ? sb->data + sb->len : NULL,
                      sb->data ? sb->cap - sb->len : 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
      sb->failed = 1;
      return;
    }
    if (sb->data && (size_t)n < sb->cap - sb->len) {
      sb->len += (size_t)n;
      return;
    }
    size_t cap = sb->cap ? sb->cap : 1024;
    while (cap - sb->len <= (size_t)n)
      cap *= 2;
    char *grown = realloc(sb->data, cap);
    if (!grown) {
      sb->failed = 1;
      return;
    }
    sb->data = grown;
    sb->cap = cap;
  }
}

static void sb_json_string(struct strbuf *sb, const char *s) {
  sb_printf(sb, "\"");
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\')
      sb_printf(sb, "\\%c", ch);
    else if (ch < 0x20)
      sb_printf(sb, "\\u%04x", ch);
    else
      sb_printf(sb, "%c", ch);
  }
  sb_printf(sb, "\"");
}

/* ------------------------------------------------------ framed messages */

/* Waits until c is ready for events or the deadline (dsu_now_ns) passes. */
static int wait_ready(int c, short events, uint64_t deadline) {
  for (;;) {
    uint64_t now = dsu_now_ns();
    if (now >= deadline) {
      errno = ETIMEDOUT;
      return -1;
    }
    struct pollfd p = {c, events, 0};
    int r = poll(&p, 1, (int)((deadline - now + 999999) / 1000000));
    if (r > 0)
      return 0;
    if (r < 0 && errno != EINTR)
      return -1;
  }
}

struct inbound {
  char text[DSU_CTL_MAX_REQUEST + 1];
  int fds[2];
  int nfds;
  int extra_fds; /* more descriptors than a request may carry */
};

static void take_fds(struct msghdr *m, struct inbound *in) {
  for (struct cmsghdr *h = CMSG_FIRSTHDR(m); h; h = CMSG_NXTHDR(m, h)) {
    if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
      continue;
    size_t n = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < n; i++) {
      int fd;
      memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof fd);
      if (in->nfds < 2) {
        in->fds[in->nfds++] = fd;
      } else {
        close(fd);
        in->extra_fds = 1;
      }
    }
  }
  if (m->msg_flags & MSG_CTRUNC)
    in->extra_fds = 1;
}

/* Receives exactly size bytes, collecting passed descriptors into in. */
static int recv_exact(int c, char *buf, size_t size, struct inbound *in,
                      uint64_t deadline) {
  size_t done = 0;
  while (done < size) {
    if (wait_ready(c, POLLIN, deadline) != 0)
      return -1;
    union {
      char buf[CMSG_SPACE(4 * sizeof(int))];
      struct cmsghdr align;
    } control;
    struct iovec iov = {buf + done, size - done};
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control.buf;
    m.msg_controllen = sizeof control.buf;
    ssize_t n = recvmsg(c, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (n < 0)
      return -1;
    take_fds(&m, in);
    if (n == 0) {
      errno = ECONNRESET;
      return -1;
    }
    done += (size_t)n;
  }
  return 0;
}

/* Reads one request frame; 0, or -1 with the reason in err. */
static int read_request(int c, struct inbound *in, uint64_t deadline,
                        char *err, size_t errsize) {
  uint32_t len;
  if (recv_exact(c, (char *)&len, sizeof len, in, deadline) != 0 ||
      (len > 0 && len <= DSU_CTL_MAX_REQUEST &&
       recv_exact(c, in->text, len, in, deadline) != 0)) {
    snprintf(err, errsize, "%s",
             errno == ETIMEDOUT ? "the request did not arrive in time"
                                : "the request was cut short");
    return -1;
  }
  if (len == 0 || len > DSU_CTL_MAX_REQUEST) {
    snprintf(err, errsize, "malformed request (length %u)", (unsigned)len);
    return -1;
  }
  in->text[len] = 0;
  if (memchr(in->text, 0, len)) {
    snprintf(err, errsize, "malformed request (a NUL byte)");
    return -1;
  }
  return 0;
}

/* Sends one reply frame ("OK ..." or "ERR ..."); the client may be gone. */
static void send_reply(int c, const char *text, size_t len) {
  uint64_t deadline =
      dsu_now_ns() + (uint64_t)DSU_CTL_REQUEST_DEADLINE_MS * 1000000u;
  uint32_t n32 = (uint32_t)len;
  struct iovec parts[2] = {{&n32, sizeof n32}, {(void *)text, len}};
  size_t skip = 0, total = sizeof n32 + len;
  while (skip < total) {
    if (wait_ready(c, POLLOUT, deadline) != 0)
      return;
    struct iovec iov[2];
    int k = 0;
    size_t s = skip;
    for (int i = 0; i < 2; i++) {
      if (s >= parts[i].iov_len) {
        s -= parts[i].iov_len;
        continue;
      }
      iov[k].iov_base = (char *)parts[i].iov_base + s;
      iov[k].iov_len = parts[i].iov_len - s;
      s = 0;
      k++;
    }
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = iov;
    m.msg_iovlen = (size_t)k;
    ssize_t w = sendmsg(c, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (w <= 0)
      return;
    skip += (size_t)w;
  }
}

static void reply(int c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void reply(int c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *text = NULL;
  int n = vasprintf(&text, fmt, ap);
  va_end(ap);
  if (n < 0) {
    static const char oom[] = "ERR out of memory";
    send_reply(c, oom, sizeof oom - 1);
    return;
  }
  send_reply(c, text, (size_t)n);
  free(text);
}

/* ----------------------------------------------------------------- APPLY */

/* Maps the requester's commit word, or says why not. The memfd must be
 * sealed against shrinking: a requester truncating it would otherwise make
 * the program fault (SIGBUS) at its next update point. */
static uint32_t *map_commit_word(int fd, char *err, size_t errsize) {
  struct stat st;
  int seals = fcntl(fd, F_GET_SEALS);
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      st.st_size != DSU_COMMIT_WORD_SIZE || seals < 0 ||
      !(seals & F_SEAL_SHRINK)) {
    snprintf(err, errsize, "malformed request (the commit word is not a "
                           "sealed memfd of %d bytes)",
             DSU_COMMIT_WORD_SIZE);
    return NULL;
  }
  void *p = mmap(NULL, DSU_COMMIT_WORD_SIZE, PROT_READ | PROT_WRITE,
                 MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    snprintf(err, errsize, "cannot map the commit word: %s", strerror(errno));
    return NULL;
  }
  return p;
}

static void unmap_commit_word(uint32_t *word) {
  if (word)
    munmap(word, DSU_COMMIT_WORD_SIZE);
}

static int word_withdrawn(const uint32_t *word) {
  return __atomic_load_n(word, __ATOMIC_SEQ_CST) == DSU_WORD_WITHDRAWN;
}

/* Ends the request in the control thread (under dsu_lock): the patch is
 * unloaded and the word unmapped by the caller after the lock. */
struct ended {
  void *handle;
  uint32_t *word;
};
static struct ended end_request_locked(void) {
  struct ended e = {dsu_forget_request_locked(), dsu_req.word};
  dsu_req.word = NULL;
  return e;
}

/* "APPLY TIMEOUT_MS" or "APPLY TIMEOUT_MS FORCE FILE:LINE", with the patch
 * and the commit word as in->fds[0] and in->fds[1]. Closes both. */
static void handle_apply(int c, pid_t peer, const char *args,
                         struct inbound *in) {
  int patch_fd = in->nfds > 0 ? in->fds[0] : -1;
  int word_fd = in->nfds > 1 ? in->fds[1] : -1;
  char err[1024];
  uint32_t *word = NULL;
  char *end;
  errno = 0;
  long timeout_ms = strtol(args, &end, 10);
  char force[sizeof dsu_req.force] = "";
  if (end == args || errno || timeout_ms <= 0 || timeout_ms > 86400000L ||
      (*end && strncmp(end, " " DSU_CTL_FORCE " ", 7) != 0)) {
    reply(c, "ERR malformed request (the timeout must be 1 to 86400000 ms)");
    goto out;
  }
  if (*end) {
    /* FILE:LINE[,FILE:LINE...] or "all" */
    const char *at = end + 7;
    size_t len = strlen(at);
    if (len == 0 || len >= sizeof force || strchr(at, ' ') ||
        (strcmp(at, "all") != 0 && !strchr(at, ':'))) {
      reply(c, "ERR malformed request (FORCE takes FILE:LINE[,FILE:LINE...] "
               "or all)");
      goto out;
    }
    memcpy(force, at, len + 1);
  }
  if (in->nfds != 2 || in->extra_fds) {
    reply(c, "ERR malformed request (APPLY carries two descriptors: the "
             "patch and the commit word)");
    goto out;
  }
  if (!(word = map_commit_word(word_fd, err, sizeof err))) {
    reply(c, "ERR %s", err);
    goto out;
  }
  if (word_withdrawn(word)) {
    reply(c, "ERR the requester withdrew the request before it was read; "
             "nothing was applied");
    goto out;
  }
  /* The name is for messages and status only; the descriptor is the patch. */
  char name[PATH_MAX], link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", patch_fd);
  ssize_t nl = readlink(link, name, sizeof name - 1);
  if (nl <= 0)
    snprintf(name, sizeof name, "(descriptor)");
  else
    name[nl] = 0;

  pthread_mutex_lock(&dsu_lock);
  struct request *req = &dsu_req;
  if (req->state != REQ_NONE) {
    reply(c, "ERR busy: an update requested by pid %d (%s) is in progress",
          (int)req->requester, req->name);
    pthread_mutex_unlock(&dsu_lock);
    goto out;
  }
  req->state = REQ_LOADING;
  req->requester = peer;
  req->word = word;
  snprintf(req->name, sizeof req->name, "%s", name);
  snprintf(req->force, sizeof req->force, "%s", force);
  req->forced = 0;
  req->blocked[0] = 0;
  pthread_mutex_unlock(&dsu_lock);

  int loaded = dsu_load_patch(patch_fd, name, err, sizeof err);
  close(patch_fd);
  patch_fd = -1;
  if (loaded != 0) {
    pthread_mutex_lock(&dsu_lock);
    req->state = REQ_NONE;
    req->word = NULL;
    pthread_mutex_unlock(&dsu_lock);
    reply(c, "ERR %s", err);
    goto out;
  }
  /* Memory the state transfer will need, made before the program can
   * stop for it (the request is still ours alone while it loads). */
  dsu_transform_prepare(req->types);

  pthread_mutex_lock(&dsu_lock);
  dsu_publish_locked();
  uint64_t deadline_ns = dsu_now_ns() + (uint64_t)timeout_ms * 1000000u;
  /* Wait for an update point; look at the word now and then, so that a
   * request its requester withdrew is not left pending. */
  while (req->state == REQ_PENDING && !word_withdrawn(word)) {
    uint64_t now = dsu_now_ns();
    if (now >= deadline_ns)
      break;
    uint64_t step = deadline_ns - now < 100000000u ? deadline_ns - now
                                                   : 100000000u;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    uint64_t ns = (uint64_t)until.tv_nsec + step;
    until.tv_sec += (time_t)(ns / 1000000000u);
    until.tv_nsec = (long)(ns % 1000000000u);
    pthread_cond_timedwait(&dsu_committed, &dsu_lock, &until);
  }
  char running[DSU_VERSION_ID_SIZE + 1];
  snprintf(running, sizeof running, "%s", dsu_running_version);
  if (req->state == REQ_DONE) {
    const struct dsu_patch_info *info = req->info;
    uint64_t pause = req->pause_ns;
    uint64_t waited = dsu_now_ns() - req->requested_ns;
    char where[192], load_name[sizeof req->load_name];
    snprintf(where, sizeof where, "%.191s", req->where);
    snprintf(load_name, sizeof load_name, "%.191s", req->load_name);
    struct dsu_transform_stats st = req->stats;
    char forced[1300] = "";
    if (req->forced)
      snprintf(forced, sizeof forced,
               "; FORCED at an update point found unsafe: %.1200s",
               req->blocked);
    req->state = REQ_NONE; /* the patch stays loaded: it is the program now */
    req->word = NULL;
    pthread_mutex_unlock(&dsu_lock);
    dsu_make_patch_global(load_name);
    reply(c, "OK applied %s -> %s at %s, %u functions rebound, %zu objects "
             "and %zu globals transformed, %zu pointers redirected, pause "
             "%llu ns, waited %llu ms%s",
          info->base_version, info->target_version, where, info->nrebind,
          st.objects, st.globals, st.pointers, (unsigned long long)pause,
          (unsigned long long)(waited / 1000000), forced);
    goto out;
  }
  if (req->state == REQ_FAILED) {
    char why[1024], where[192];
    snprintf(why, sizeof why, "%.1023s", req->failure);
    snprintf(where, sizeof where, "%.191s", req->where);
    struct ended e = end_request_locked();
    pthread_mutex_unlock(&dsu_lock);
    dsu_unload_patch(e.handle);
    reply(c, "ERR the update was rolled back at %s: %s; the process still "
             "runs version %s",
          where, why, running);
    goto out;
  }
  /* Not committed: withdraw it (the swap fails only if the requester
   * withdrew it first, with the same effect), before anything changed. */
  uint32_t expected = DSU_WORD_PENDING;
  int ours = __atomic_compare_exchange_n(word, &expected, DSU_WORD_WITHDRAWN,
                                         0, __ATOMIC_SEQ_CST,
                                         __ATOMIC_SEQ_CST);
  int by_requester = !ours || req->state == REQ_WITHDRAWN;
  struct ended e = end_request_locked();
  __atomic_store_n(&__dsu_update_pending, 0, __ATOMIC_RELEASE);
  dsu_event_drain_locked();
  char blocked[sizeof req->blocked];
  snprintf(blocked, sizeof blocked, "%s", req->blocked);
  char running_threads[1024];
  dsu_threads_describe_running(running_threads, sizeof running_threads,
                               dsu_parked_ok);
  char main_thread[128];
  dsu_threads_describe_main(main_thread, sizeof main_thread);
  dsu_threads_wake();
  pthread_mutex_unlock(&dsu_lock);
  dsu_unload_patch(e.handle);
  if (by_requester)
    reply(c, "ERR the requester withdrew the request (it stopped waiting); "
             "nothing was applied; the process still runs version %s",
          running);
  else if (blocked[0])
    reply(c,
          "ERR timed out after %.1f s: the update is unsafe at every update "
          "point reached (last %s); it still runs version %s",
          timeout_ms / 1000.0, blocked, running);
  else if (running_threads[0])
    reply(c,
          "ERR timed out after %.1f s: not every thread reached an update "
          "point or a safe blocking call (still running: %s); it still runs "
          "version %s",
          timeout_ms / 1000.0, running_threads, running);
  else
    reply(c,
          "ERR timed out after %.1f s: the program reached no update point "
          "(its main thread is %s); it still runs version %s",
          timeout_ms / 1000.0, main_thread, running);
out:
  if (patch_fd >= 0)
    close(patch_fd);
  if (word_fd >= 0)
    close(word_fd);
  unmap_commit_word(word);
}

/* ---------------------------------------------------------------- STATUS */

static void handle_status(int c) {
  struct strbuf sb = {0};
  pthread_mutex_lock(&dsu_lock);
  sb_printf(&sb, "OK {\"pid\":%d,\"version\":\"%s\",\"built_version\":\"%s\","
                 "\"updates_total\":%d,\"updates\":[",
            (int)getpid(), dsu_running_version, dsu_built_version,
            dsu_nhistory);
  int first = dsu_nhistory > DSU_MAX_HISTORY ? dsu_nhistory - DSU_MAX_HISTORY
                                             : 0;
  for (int i = first; i < dsu_nhistory; i++) {
    struct history_entry *h = &dsu_history[i % DSU_MAX_HISTORY];
    sb_printf(&sb, "%s{\"from\":\"%s\",\"to\":\"%s\",\"patch\":",
              i > first ? "," : "", h->from, h->to);
    sb_json_string(&sb, h->patch);
    sb_printf(&sb, ",\"time\":%lld,\"pause_ns\":%llu,\"rebinds\":%u,\"at\":",
              (long long)h->when, (unsigned long long)h->pause_ns,
              h->rebinds);
    sb_json_string(&sb, h->where);
    sb_printf(&sb, ",\"forced\":");
    sb_json_string(&sb, h->forced);
    sb_printf(&sb, "}");
  }
  sb_printf(&sb, "],\"pending\":");
  struct request *req = &dsu_req;
  if (req->state == REQ_PENDING || req->state == REQ_LOADING) {
    sb_printf(&sb, "{\"patch\":");
    sb_json_string(&sb, req->name);
    sb_printf(&sb, ",\"requester\":%d,\"waiting_ms\":%llu}",
              (int)req->requester,
              req->state == REQ_PENDING
                  ? (unsigned long long)((dsu_now_ns() - req->requested_ns) /
                                         1000000)
                  : 0ull);
  } else {
    sb_printf(&sb, "null");
  }
  sb_printf(&sb, "}");
  pthread_mutex_unlock(&dsu_lock);
  if (sb.failed)
    reply(c, "ERR out of memory");
  else
    send_reply(c, sb.data, sb.len);
  free(sb.data);
}

/* ------------------------------------------------------------ the server */

/* Serves one connection: checks the peer, reads the request, answers, and
 * closes c. (Also the entry point of runtime/fuzz/control_fuzz.c.) */
void dsu_control_serve(int c) {
  uint64_t deadline =
      dsu_now_ns() + (uint64_t)DSU_CTL_REQUEST_DEADLINE_MS * 1000000u;
  struct ucred cred;
  socklen_t len = sizeof cred;
  struct inbound *in = calloc(1, sizeof *in);
  char err[256];
  if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
      (cred.uid != dsu_owner_uid && cred.uid != 0)) {
    reply(c, "ERR permission denied");
  } else if (!in) {
    reply(c, "ERR out of memory");
  } else if (read_request(c, in, deadline, err, sizeof err) != 0) {
    reply(c, "ERR %s", err);
  } else if (strncmp(in->text, DSU_CTL_APPLY " ", 6) == 0) {
    handle_apply(c, cred.pid, in->text + 6, in);
    in->nfds = 0; /* closed by handle_apply */
  } else if (strcmp(in->text, DSU_CTL_STATUS) == 0) {
    handle_status(c);
  } else {
    reply(c, "ERR unknown request");
  }
  for (int i = 0; in && i < in->nfds; i++)
    close(in->fds[i]);
  free(in);
  close(c);
}

static void *serve_connection(void *arg) {
  dsu_control_serve((int)(intptr_t)arg);
  pthread_mutex_lock(&conn_lock);
  connections--;
  pthread_cond_signal(&conn_freed);
  pthread_mutex_unlock(&conn_lock);
  return NULL;
}

static int open_listener(void);

/* Once the program's last thread is gone (its main thread killed alone, by
 * a seccomp filter say), libdsu's threads must not keep the process alive:
 * end it as its main thread ended. True if nothing of the program runs. */
static int program_gone(int *exit_code) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)getpid());
  FILE *f = fopen(path, "re");
  if (!f)
    return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  if (!p || (p[2] != 'Z' && p[2] != 'X'))
    return 0; /* the main thread lives */
  /* Fields from the state (3rd) on; the exit code is the 52nd. */
  int field = 3;
  long code = 0;
  char *save = NULL;
  for (char *tok = strtok_r(p + 2, " ", &save); tok;
       tok = strtok_r(NULL, " ", &save))
    if (field++ == 52)
      code = strtol(tok, NULL, 10);
  DIR *d = opendir("/proc/self/task");
  if (!d)
    return 0;
  int tasks = 0;
  for (struct dirent *e; (e = readdir(d));)
    tasks += e->d_name[0] != '.';
  closedir(d);
  pthread_mutex_lock(&conn_lock);
  int ours = 1 + connections; /* this thread and the connections' */
  pthread_mutex_unlock(&conn_lock);
  *exit_code = (int)code;
  return tasks - 1 - ours <= 0;
}

static void end_like_main_thread(int code) {
  int sig = code & 0x7f;
  if (sig) {
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    signal(sig, SIG_DFL);
    pthread_sigmask(SIG_UNBLOCK, &one, NULL);
    kill(getpid(), sig);
  }
  _exit(sig ? 128 + sig : (code >> 8) & 0xff);
}

static void *control_loop(void *arg) {
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&conn_lock);
    while (connections >= DSU_CTL_MAX_CONNECTIONS)
      pthread_cond_wait(&conn_freed, &conn_lock);
    pthread_mutex_unlock(&conn_lock);
    /* poll, then a non-blocking accept: a blocked accept4() would hold the
     * lowest free descriptor number reserved, and the program's dup2() onto
     * that number would fail with EBUSY. */
    struct pollfd p = {listener.fd, POLLIN, 0};
    int r = poll(&p, 1, 1000);
    if (!still_ours(&listener)) {
      /* The program closed it (and may use the number now): serve anew. */
      listener.fd = -1;
      if (open_listener() != 0)
        sleep(1);
      continue;
    }
    int code;
    if (r == 0 && program_gone(&code))
      end_like_main_thread(code);
    if (r <= 0 || !(p.revents & POLLIN))
      continue;
    int c = accept4(listener.fd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
        usleep(10000); /* out of descriptors or memory: the program's */
      continue;
    }
    struct owned conn;
    if ((c = own(c, &conn)) < 0)
      continue;
    pthread_mutex_lock(&conn_lock);
    connections++;
    pthread_mutex_unlock(&conn_lock);
    pthread_t t;
    if (pthread_create(&t, NULL, serve_connection, (void *)(intptr_t)c) !=
        0) {
      close(c);
      pthread_mutex_lock(&conn_lock);
      connections--;
      pthread_mutex_unlock(&conn_lock);
      usleep(10000);
      continue;
    }
    pthread_detach(t);
  }
  return NULL;
}

/* The runtime directory, checked: 0, or -1 with the reason in why. */
static int socket_dir(char *out, size_t size, char *why, size_t whysize) {
  const char *env = dsu_getenv(DSU_ENV_RUNTIME_DIR);
  int n;
  if (env && *env)
    n = snprintf(out, size, "%s", env);
  else
    n = snprintf(out, size, "/tmp/dsu-%d", (int)dsu_owner_uid);
  if (n < 0 || (size_t)n >= size) {
    snprintf(why, whysize,
             "the runtime directory %s is too long for a socket path (at "
             "most %zu bytes)",
             env, size - 1);
    return -1;
  }
  if (mkdir(out, 0700) != 0 && errno != EEXIST) {
    snprintf(why, whysize, "cannot create %s: %s", out, strerror(errno));
    return -1;
  }
  struct stat st;
  if (lstat(out, &st) != 0 || !S_ISDIR(st.st_mode) ||
      st.st_uid != dsu_owner_uid || (st.st_mode & 077)) {
    snprintf(why, whysize,
             "%s must be a directory owned by uid %d with mode 0700", out,
             (int)dsu_owner_uid);
    return -1;
  }
  return 0;
}

static void remove_socket(void) {
  /* No system call unless this process serves a socket: a sandboxed child
   * may be killed for any. */
  if (socket_path[0] && getpid() == owner_pid)
    unlink(socket_path);
}

/* Binds socket_path (replacing a stale socket there) as the listener. */
static int open_listener(void) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return -1;
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_path);
  unlink(socket_path);
  mode_t old = umask(0177);
  int rc = bind(fd, (struct sockaddr *)&addr, sizeof addr);
  umask(old);
  if (rc != 0 || chmod(socket_path, 0600) != 0 || listen(fd, 16) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return own(fd, &listener) < 0 ? -1 : 0;
}

void dsu_start_control(void) {
  static int registered;
  char dir[sizeof socket_path - 24], why[512];
  if (socket_dir(dir, sizeof dir, why, sizeof why) != 0) {
    dsu_warn("updates disabled: %s", why);
    return;
  }
  owner_pid = getpid();
  snprintf(socket_path, sizeof socket_path, "%s/%d.sock", dir, (int)owner_pid);
  if (open_listener() != 0) {
    dsu_warn("updates disabled: cannot serve %s: %s", socket_path,
             strerror(errno));
    socket_path[0] = 0;
    return;
  }
  pthread_mutex_lock(&dsu_lock);
  event_wanted = 1;
  event_ready_locked();
  pthread_mutex_unlock(&dsu_lock);
  if (!registered) {
    registered = 1;
    atexit(remove_socket);
  }
  sigset_t all, saved;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  pthread_t t;
  if (pthread_create(&t, NULL, control_loop, NULL) != 0)
    dsu_warn("updates disabled: cannot start the control thread");
  else
    pthread_detach(t);
  pthread_sigmask(SIG_SETMASK, &saved, NULL);
}

void dsu_control_after_fork(void) {
  /* The child has no control thread and must not answer for its parent;
   * the copies it inherited are closed only if they are still ours (the
   * program may have closed them and reused the numbers before forking). */
  disown(&listener);
  disown(&event_r);
  disown(&event_w);
  event_wanted = 0;
  socket_path[0] = 0;
  pthread_mutex_init(&conn_lock, NULL);
  pthread_cond_init(&conn_freed, NULL);
  connections = 0;
  dsu_control_deferred = 1;
}
