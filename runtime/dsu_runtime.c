/* dsu_runtime.c - libdsu, the runtime linked into every updatable program.
 *
 * How an update happens.
 *
 * A constructor starts a control thread that serves a Unix-domain socket,
 * DIR/PID.sock, where DIR is $DSU_RUNTIME_DIR or /tmp/dsu-UID (mode 0700,
 * owned by the user; socket mode 0600). Each connection is checked with
 * SO_PEERCRED: only the same uid or root may talk to the process.
 *
 * `APPLY TIMEOUT_MS PATH` runs the transaction's first half on the control
 * thread, while the program keeps running: the patch file is checked (owner
 * and mode, magic, format, sizes, checksums, base version) before any of it
 * is mapped, then the payload is copied to a memfd and dlopen'ed with
 * RTLD_NOW, which resolves every symbol or fails. The patch carries no
 * constructors, so no code of the patch has run yet. Then the request is
 * published: __dsu_update_pending becomes 1 and the update descriptor becomes
 * readable.
 *
 * The program's next DSU_UPDATE_POINT() sees the flag and calls
 * __dsu_update_point(), which commits: it stores each new body into its slot
 * and switches the version id, under the runtime lock, and wakes the control
 * thread. That is the whole pause. Frames still running old code continue in
 * it; every call made afterwards goes through the slots to the new code.
 *
 * If no update point is reached within the timeout, the request is withdrawn
 * under the same lock (so it either commits or is withdrawn, never half), the
 * patch is unloaded, and the requester is told why. Any failure before
 * commit leaves the process exactly as it was.
 */
#include "dsu.h"
#include "dsu_internal.h"
#include "patch_format.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define DSU_EXPORT __attribute__((visibility("default")))

DSU_EXPORT volatile int __dsu_update_pending;

/* Defined by the dsu-cc link step. */
extern const char __dsu_program_version[] __attribute__((weak));

enum request_state { REQ_NONE, REQ_LOADING, REQ_PENDING, REQ_DONE, REQ_FAILED };

struct request {
  enum request_state state;
  void *handle;
  int memfd;
  const struct dsu_patch_info *info;
  const struct dsu_type_xform *types;
  const struct dsu_global_xform *globals;
  const struct dsu_pointer_field *fields;
  const struct dsu_global_pointer *gptrs;
  const struct dsu_unsafe_point *unsafe;
  /* Points where the update may commit even if unsafe (dsu apply
   * --force-at): "FILE:LINE[,FILE:LINE...]" or "all". */
  char force[512];
  int forced;
  char blocked[1200]; /* the last unsafe point that deferred the update */
  struct dsu_transform_stats stats;
  char failure[1024];
  char path[PATH_MAX];
  pid_t requester;
  uint64_t requested_ns;
  uint64_t pause_ns;
  char where[192];
};

#define MAX_HISTORY 64
struct history_entry {
  char from[DSU_VERSION_ID_SIZE + 1];
  char to[DSU_VERSION_ID_SIZE + 1];
  char patch[256];
  char where[192];
  time_t when;
  uint64_t pause_ns;
  unsigned rebinds;
  char forced[320]; /* the unsafe point it was forced at, and why unsafe */
};

pthread_mutex_t dsu_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t committed = PTHREAD_COND_INITIALIZER;
static struct request req;
static char built_version[DSU_VERSION_ID_SIZE + 1] = "unknown";
static char current_version[DSU_VERSION_ID_SIZE + 1] = "unknown";
static struct history_entry history[MAX_HISTORY];
static int nhistory;
static int update_count;
static int event_fd = -1;
static int listen_fd = -1;
static pid_t owner_pid;
static char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void warn(const char *fmt, ...) {
  if (getenv("DSU_QUIET"))
    return;
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "dsu: warning: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
}

static void drain_event_fd(void) {
  uint64_t v;
  if (event_fd >= 0)
    while (read(event_fd, &v, sizeof v) == (ssize_t)sizeof v) {
    }
}

/* ------------------------------------------ systematic update testing */

/* `dsu test` runs a program once per update point it reaches, with the
 * update applied at that point. Set by the environment at start-up:
 *   DSU_TEST_COUNT_FILE=F            count the update points reached, write
 *                                    the count to F at exit
 *   DSU_TEST_UPDATE_AT=K DSU_TEST_PATCH=P
 *                                    apply P at the K-th update point, as
 *                                    `dsu apply` would, but synchronously
 * Both keep __dsu_update_pending set so that every update point is seen. */
static long test_update_at;
static const char *test_patch;
static const char *test_count_file;
static long test_reached;

static int load_patch(const char *path, char *err, size_t errsize);

static void test_write_count(void) {
  FILE *f = fopen(test_count_file, "w");
  if (f) {
    fprintf(f, "%ld\n", test_reached);
    fclose(f);
  }
}

static void test_update_point(const char *file, int line) {
  long n = __atomic_add_fetch(&test_reached, 1, __ATOMIC_RELAXED);
  if (n != test_update_at)
    return;
  char err[1024];
  pthread_mutex_lock(&dsu_lock);
  int idle = req.state == REQ_NONE;
  pthread_mutex_unlock(&dsu_lock);
  if (!idle)
    return;
  if (load_patch(test_patch, err, sizeof err) != 0) {
    fprintf(stderr, "dsu: test: the update at update point %ld (%s:%d) "
                    "failed: %s\n",
            n, file, line, err);
    _exit(97);
  }
  pthread_mutex_lock(&dsu_lock);
  snprintf(req.path, sizeof req.path, "%s", test_patch);
  req.state = REQ_PENDING;
  req.requested_ns = now_ns();
  pthread_mutex_unlock(&dsu_lock);
}

/* ---------------------------------------------------------------- commit */

/* Whether the requester forced the update at FILE:LINE (file's base name). */
static int forced_at(const char *force, const char *file, int line) {
  if (strcmp(force, "all") == 0)
    return 1;
  size_t flen = strlen(file);
  for (const char *p = force; *p;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len > flen + 1 && strncmp(p, file, flen) == 0 && p[flen] == ':' &&
        strtol(p + flen + 1, NULL, 10) == line)
      return 1;
    p += len + (end ? 1 : 0);
  }
  return 0;
}

static int request_pending(void) { return req.state == REQ_PENDING; }

/* Whether a thread may stay parked in the blocking call at SITE ("read
 * main.c:42") while the pending update commits: not if the patch lists that
 * place as unsafe (the rest of its frames would use what the patch
 * changes), unless the requester forced it. Called with dsu_lock held. */
static int parked_ok(const char *site) {
  const char *sp = strrchr(site, ' ');
  const char *colon = sp ? strrchr(sp, ':') : NULL;
  if (!colon)
    return 1;
  size_t flen = (size_t)(colon - (sp + 1));
  long line = strtol(colon + 1, NULL, 10);
  for (const struct dsu_unsafe_point *u = req.unsafe; u && u->file; u++)
    if ((long)u->line == line && strlen(u->file) == flen &&
        strncmp(u->file, sp + 1, flen) == 0) {
      if (!forced_at(req.force, u->file, (int)line))
        return 0;
      /* Forced past it: the commit must say so, as at an update point. */
      req.forced = 1;
      snprintf(req.blocked, sizeof req.blocked, "%s (a thread parked in %s)",
               u->reason, site);
      return 1;
    }
  return 1;
}

DSU_EXPORT void __dsu_update_point(const char *file, int line) {
  if (test_update_at > 0 || test_count_file)
    test_update_point(file, line);
  uint64_t start = now_ns();
  pthread_mutex_lock(&dsu_lock);
  if (req.state == REQ_PENDING) {
    const struct dsu_patch_info *info = req.info;
    /* An unsafe point defers the update to a later one, unless the
     * requester forced this one. */
    const char *base = file ? strrchr(file, '/') : NULL;
    base = base ? base + 1 : (file ? file : "?");
    for (const struct dsu_unsafe_point *u = req.unsafe; u && u->file; u++) {
      if (u->line != (uint32_t)line || strcmp(u->file, base) != 0)
        continue;
      if (forced_at(req.force, base, line)) {
        req.forced = 1;
        snprintf(req.blocked, sizeof req.blocked, "%s:%d: %s", base, line,
                 u->reason);
        break;
      }
      snprintf(req.blocked, sizeof req.blocked, "%s:%d: %s", base, line,
               u->reason);
      /* The descriptor did its job: the program woke up and reached an
       * update point. Left readable, a poll loop whose points are all
       * unsafe would wake again at once and spin; drained, it sleeps until
       * it has work, and its next update point is checked as usual. */
      drain_event_fd();
      pthread_mutex_unlock(&dsu_lock);
      return;
    }
    /* Other threads must be at update points or in safe blocking calls. */
    if (!dsu_threads_quiesce(request_pending, parked_ok)) {
      pthread_mutex_unlock(&dsu_lock);
      return;
    }
    if ((req.types || req.globals) &&
        dsu_transform_state(req.types, req.globals, req.fields, req.gptrs,
                            &req.stats, req.failure,
                            sizeof req.failure) != 0) {
      /* Nothing changed: the old version goes on. */
      snprintf(req.where, sizeof req.where, "%s:%d", file ? file : "?", line);
      if (test_update_at > 0) {
        fprintf(stderr, "dsu: test: the update at %s was rolled back: %s\n",
                req.where, req.failure);
        _exit(97);
      }
      req.state = REQ_FAILED;
      __atomic_store_n(&__dsu_update_pending, 0, __ATOMIC_RELEASE);
      drain_event_fd();
      dsu_threads_release();
      pthread_cond_broadcast(&committed);
      pthread_mutex_unlock(&dsu_lock);
      return;
    }
    for (uint32_t i = 0; i < info->nrebind; i++)
      __atomic_store_n(info->rebind[i].slot, info->rebind[i].body,
                       __ATOMIC_RELEASE);
    struct history_entry *h = &history[nhistory % MAX_HISTORY];
    snprintf(h->from, sizeof h->from, "%s", current_version);
    snprintf(current_version, sizeof current_version, "%s",
             info->target_version);
    req.pause_ns = now_ns() - start;
    snprintf(req.where, sizeof req.where, "%s:%d", file ? file : "?", line);
    snprintf(h->to, sizeof h->to, "%s", current_version);
    snprintf(h->patch, sizeof h->patch, "%.255s", req.path);
    snprintf(h->where, sizeof h->where, "%s", req.where);
    h->when = time(NULL);
    h->pause_ns = req.pause_ns;
    h->rebinds = info->nrebind;
    snprintf(h->forced, sizeof h->forced, "%.300s",
             req.forced ? req.blocked : "");
    nhistory++;
    update_count++;
    req.state = test_update_at > 0 ? REQ_NONE : REQ_DONE;
    if (test_update_at > 0)
      fprintf(stderr, "dsu: test: updated at update point %ld (%s)\n",
              test_update_at, req.where);
    __atomic_store_n(&__dsu_update_pending, test_count_file ? 1 : 0,
                     __ATOMIC_RELEASE);
    drain_event_fd();
    dsu_threads_release();
    pthread_cond_broadcast(&committed);
  }
  pthread_mutex_unlock(&dsu_lock);
}

DSU_EXPORT int dsu_update_fd(void) { return event_fd; }

DSU_EXPORT const char *dsu_current_version(void) { return current_version; }

DSU_EXPORT int dsu_update_count(void) {
  pthread_mutex_lock(&dsu_lock);
  int n = update_count;
  pthread_mutex_unlock(&dsu_lock);
  return n;
}

/* ------------------------------------------------------- loading a patch */

static int fail(char *err, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, size, fmt, ap);
  va_end(ap);
  return -1;
}

/* Reads (writing == 0) or writes all of buf, retrying on EINTR. */
static int transfer_all(int fd, char *buf, size_t size, int writing) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = writing ? write(fd, buf + done, size - done)
                        : read(fd, buf + done, size - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    done += (size_t)n;
  }
  return 0;
}

static int read_all(int fd, char *buf, size_t size) {
  return transfer_all(fd, buf, size, 0);
}

static int write_all(int fd, const char *buf, size_t size) {
  return transfer_all(fd, (char *)buf, size, 1);
}

/* Checks the patch at path and loads it. On success fills req.handle,
 * req.memfd and req.info; on failure writes the reason to err. */
static int load_patch(const char *path, char *err, size_t errsize) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail(err, errsize, "cannot open patch %s: %s", path,
                strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return fail(err, errsize, "patch %s is not a regular file", path);
  }
  if (st.st_uid != geteuid() && st.st_uid != 0) {
    close(fd);
    return fail(err, errsize,
                "patch %s is owned by uid %d, not by the process owner (%d) "
                "or root",
                path, (int)st.st_uid, (int)geteuid());
  }
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    close(fd);
    return fail(err, errsize,
                "patch %s is writable by group or others (mode %03o)", path,
                (unsigned)(st.st_mode & 0777));
  }
  size_t size = (size_t)st.st_size;
  struct dsu_patch_header hdr;
  if (size < sizeof hdr) {
    close(fd);
    return fail(err, errsize, "patch %s is truncated (%zu bytes)", path, size);
  }
  if (size > ((size_t)1 << 30)) {
    close(fd);
    return fail(err, errsize, "patch %s is too large (%zu bytes)", path, size);
  }
  char *buf = malloc(size);
  if (!buf) {
    close(fd);
    return fail(err, errsize, "out of memory reading patch %s", path);
  }
  if (read_all(fd, buf, size) != 0) {
    free(buf);
    close(fd);
    return fail(err, errsize, "cannot read patch %s", path);
  }
  close(fd);
  memcpy(&hdr, buf, sizeof hdr);
  int rc = -1;
  uint64_t hh = hdr.header_hash;
  hdr.header_hash = 0;
  if (memcmp(hdr.magic, DSU_PATCH_MAGIC, 8) != 0) {
    fail(err, errsize, "%s is not a dsu patch (bad magic)", path);
    goto out;
  }
  if (hdr.format != DSU_PATCH_FORMAT || hdr.header_size != sizeof hdr) {
    fail(err, errsize, "patch %s has unsupported format %u", path,
         (unsigned)hdr.format);
    goto out;
  }
  if (dsu_fnv1a64(&hdr, sizeof hdr) != hh) {
    fail(err, errsize, "patch %s is corrupt (header checksum mismatch)", path);
    goto out;
  }
  if (hdr.payload_size > size - sizeof hdr ||
      hdr.plan_size != size - sizeof hdr - hdr.payload_size) {
    fail(err, errsize, "patch %s is truncated or corrupt (size mismatch)",
         path);
    goto out;
  }
  if (dsu_fnv1a64(buf + sizeof hdr, hdr.payload_size) != hdr.payload_hash) {
    fail(err, errsize, "patch %s is corrupt (payload checksum mismatch)",
         path);
    goto out;
  }
  hdr.base_version[DSU_VERSION_ID_SIZE - 1] = 0;
  hdr.target_version[DSU_VERSION_ID_SIZE - 1] = 0;
  pthread_mutex_lock(&dsu_lock);
  int wrong_base = strcmp(hdr.base_version, current_version) != 0;
  char running[DSU_VERSION_ID_SIZE + 1];
  snprintf(running, sizeof running, "%s", current_version);
  pthread_mutex_unlock(&dsu_lock);
  if (wrong_base) {
    fail(err, errsize,
         "patch %s is for version %s but the process runs version %s", path,
         hdr.base_version, running);
    goto out;
  }
  int mfd = memfd_create("dsu-patch", MFD_CLOEXEC);
  if (mfd < 0 || write_all(mfd, buf + sizeof hdr, hdr.payload_size) != 0) {
    fail(err, errsize, "cannot stage patch %s: %s", path, strerror(errno));
    if (mfd >= 0)
      close(mfd);
    goto out;
  }
  char name[64];
  snprintf(name, sizeof name, "/proc/self/fd/%d", mfd);
  void *handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *why = dlerror();
    const char *colon = why ? strstr(why, ": ") : NULL;
    fail(err, errsize, "cannot load patch %s: %s", path,
         colon ? colon + 2 : (why ? why : "unknown error"));
    close(mfd);
    goto out;
  }
  const struct dsu_patch_info *info = dlsym(handle, "__dsu_patch_info");
  if (!info || info->abi != DSU_PATCH_ABI ||
      strcmp(info->base_version, hdr.base_version) != 0 ||
      strcmp(info->target_version, hdr.target_version) != 0) {
    fail(err, errsize, "patch %s is inconsistent (its code does not match "
                       "its header)",
         path);
    dlclose(handle);
    close(mfd);
    goto out;
  }
  for (uint32_t i = 0; i < info->nrebind; i++)
    if (!info->rebind[i].slot || !info->rebind[i].body) {
      fail(err, errsize, "patch %s has an unresolved function %s", path,
           info->rebind[i].name);
      dlclose(handle);
      close(mfd);
      goto out;
    }
  req.handle = handle;
  req.memfd = mfd;
  req.info = info;
  req.types = dlsym(handle, "__dsu_type_xforms");
  req.globals = dlsym(handle, "__dsu_global_xforms");
  req.fields = dlsym(handle, "__dsu_pointer_fields");
  req.gptrs = dlsym(handle, "__dsu_global_pointers");
  req.unsafe = dlsym(handle, "__dsu_unsafe_points");
  memset(&req.stats, 0, sizeof req.stats);
  req.failure[0] = 0;
  rc = 0;
out:
  free(buf);
  return rc;
}

/* ------------------------------------------------------- control socket */

static void reply(int c, const char *fmt, ...) {
  char buf[4096];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if ((size_t)n > sizeof buf - 2)
    n = sizeof buf - 2;
  buf[n++] = '\n';
  (void)write_all(c, buf, (size_t)n);
}

/* A request that did not commit: forgotten under dsu_lock, its patch
 * unloaded after the lock is released. */
struct loaded_patch {
  void *handle;
  int memfd;
};

static struct loaded_patch forget_request_locked(void) {
  struct loaded_patch p = {req.handle, req.memfd};
  req.state = REQ_NONE;
  req.handle = NULL;
  req.info = NULL;
  return p;
}

static void unload_patch(struct loaded_patch p) {
  dlclose(p.handle);
  close(p.memfd);
}

/* APPLY TIMEOUT_MS PATH, or with force: APPLYF TIMEOUT_MS POINTS PATH where
 * POINTS is FILE:LINE[,FILE:LINE...] or "all". */
static void handle_apply(int c, pid_t peer, const char *args, int force) {
  char *end;
  long timeout_ms = strtol(args, &end, 10);
  if (end == args || *end != ' ' || timeout_ms <= 0) {
    reply(c, "ERR malformed request");
    return;
  }
  const char *path = end + 1;
  char force_points[sizeof req.force] = "";
  if (force) {
    const char *sp = strchr(path, ' ');
    if (!sp || sp == path || (size_t)(sp - path) >= sizeof force_points ||
        (strncmp(path, "all ", 4) != 0 &&
         !memchr(path, ':', (size_t)(sp - path)))) {
      reply(c, "ERR malformed request");
      return;
    }
    memcpy(force_points, path, (size_t)(sp - path));
    force_points[sp - path] = 0;
    path = sp + 1;
  }
  pthread_mutex_lock(&dsu_lock);
  if (req.state != REQ_NONE) {
    reply(c, "ERR busy: an update requested by pid %d (%s) is in progress",
          (int)req.requester, req.path);
    pthread_mutex_unlock(&dsu_lock);
    return;
  }
  req.state = REQ_LOADING;
  req.requester = peer;
  snprintf(req.path, sizeof req.path, "%s", path);
  snprintf(req.force, sizeof req.force, "%s", force_points);
  req.forced = 0;
  req.blocked[0] = 0;
  pthread_mutex_unlock(&dsu_lock);

  char err[1024];
  if (load_patch(path, err, sizeof err) != 0) {
    pthread_mutex_lock(&dsu_lock);
    req.state = REQ_NONE;
    pthread_mutex_unlock(&dsu_lock);
    reply(c, "ERR %s", err);
    return;
  }

  pthread_mutex_lock(&dsu_lock);
  req.state = REQ_PENDING;
  req.requested_ns = now_ns();
  __atomic_store_n(&__dsu_update_pending, 1, __ATOMIC_RELEASE);
  uint64_t one = 1;
  if (event_fd >= 0 && write(event_fd, &one, sizeof one) < 0) {
    /* counter overflow cannot happen: we drain on every transition */
  }
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += timeout_ms / 1000;
  deadline.tv_nsec += (timeout_ms % 1000) * 1000000L;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000L;
  }
  while (req.state == REQ_PENDING) {
    int rc = pthread_cond_timedwait(&committed, &dsu_lock, &deadline);
    if (rc == ETIMEDOUT)
      break;
  }
  if (req.state == REQ_DONE) {
    const struct dsu_patch_info *info = req.info;
    uint64_t pause = req.pause_ns;
    uint64_t waited = now_ns() - req.requested_ns;
    char where[192];
    snprintf(where, sizeof where, "%s", req.where);
    int mfd = req.memfd;
    req.state = REQ_NONE;
    pthread_mutex_unlock(&dsu_lock);
    /* Later patches may link against this one's new functions and globals. */
    char name[64];
    snprintf(name, sizeof name, "/proc/self/fd/%d", mfd);
    if (!dlopen(name, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL))
      warn("cannot make patch symbols global: %s", dlerror());
    struct dsu_transform_stats st = req.stats;
    char forced[1300] = "";
    if (req.forced)
      snprintf(forced, sizeof forced,
               "; FORCED at an update point found unsafe: %.1200s", req.blocked);
    reply(c, "OK applied %s -> %s at %s, %u functions rebound, %zu objects "
             "and %zu globals transformed, %zu pointers redirected, pause "
             "%llu ns, waited %llu ms%s",
          info->base_version, info->target_version, where, info->nrebind,
          st.objects, st.globals, st.pointers, (unsigned long long)pause,
          (unsigned long long)(waited / 1000000), forced);
    return;
  }
  if (req.state == REQ_FAILED) {
    char why[1024], where[192];
    snprintf(why, sizeof why, "%s", req.failure);
    snprintf(where, sizeof where, "%s", req.where);
    struct loaded_patch patch = forget_request_locked();
    char running[DSU_VERSION_ID_SIZE + 1];
    snprintf(running, sizeof running, "%s", current_version);
    pthread_mutex_unlock(&dsu_lock);
    unload_patch(patch);
    reply(c, "ERR the update was rolled back at %s: %s; the process still "
             "runs version %s",
          where, why, running);
    return;
  }
  /* Timed out: withdraw before anything changed. */
  struct loaded_patch patch = forget_request_locked();
  __atomic_store_n(&__dsu_update_pending, 0, __ATOMIC_RELEASE);
  drain_event_fd();
  char running[DSU_VERSION_ID_SIZE + 1];
  snprintf(running, sizeof running, "%s", current_version);
  char blocked[sizeof req.blocked];
  snprintf(blocked, sizeof blocked, "%s", req.blocked);
  char running_threads[512];
  dsu_threads_describe_running(running_threads, sizeof running_threads,
                               parked_ok);
  dsu_threads_wake();
  pthread_mutex_unlock(&dsu_lock);
  unload_patch(patch);
  if (blocked[0])
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
          "ERR timed out after %.1f s: the program reached no update point; "
          "it still runs version %s",
          timeout_ms / 1000.0, running);
}

static void json_string(char *out, size_t size, const char *s) {
  size_t j = 0;
  for (; *s && j + 7 < size; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\') {
      out[j++] = '\\';
      out[j++] = (char)ch;
    } else if (ch < 0x20) {
      j += (size_t)snprintf(out + j, size - j, "\\u%04x", ch);
    } else {
      out[j++] = (char)ch;
    }
  }
  out[j] = 0;
}

static void handle_status(int c) {
  size_t cap = 1 << 16;
  char *buf = malloc(cap);
  if (!buf)
    return;
  size_t n = 0;
#define OUT(...)                                                               \
  do {                                                                         \
    int k_ = snprintf(buf + n, cap - n, __VA_ARGS__);                          \
    if (k_ > 0 && (size_t)k_ < cap - n)                                        \
      n += (size_t)k_;                                                         \
  } while (0)
  char esc[600];
  pthread_mutex_lock(&dsu_lock);
  OUT("{\"pid\":%d,\"version\":\"%s\",\"built_version\":\"%s\",\"updates\":[",
      (int)getpid(), current_version, built_version);
  int first = nhistory > MAX_HISTORY ? nhistory - MAX_HISTORY : 0;
  for (int i = first; i < nhistory; i++) {
    struct history_entry *h = &history[i % MAX_HISTORY];
    json_string(esc, sizeof esc, h->patch);
    OUT("%s{\"from\":\"%s\",\"to\":\"%s\",\"patch\":\"%s\",\"time\":%lld,"
        "\"pause_ns\":%llu,\"rebinds\":%u,",
        i > first ? "," : "", h->from, h->to, esc, (long long)h->when,
        (unsigned long long)h->pause_ns, h->rebinds);
    json_string(esc, sizeof esc, h->where);
    OUT("\"at\":\"%s\"", esc);
    json_string(esc, sizeof esc, h->forced);
    OUT(",\"forced\":\"%s\"}", esc);
  }
  OUT("],\"pending\":");
  if (req.state == REQ_PENDING || req.state == REQ_LOADING) {
    json_string(esc, sizeof esc, req.path);
    OUT("{\"patch\":\"%s\",\"requester\":%d,\"waiting_ms\":%llu}", esc,
        (int)req.requester,
        req.state == REQ_PENDING
            ? (unsigned long long)((now_ns() - req.requested_ns) / 1000000)
            : 0ull);
  } else {
    OUT("null");
  }
  OUT("}");
  pthread_mutex_unlock(&dsu_lock);
  reply(c, "%s", buf);
  free(buf);
#undef OUT
}

struct connection {
  int fd;
};

static void *serve_connection(void *arg) {
  struct connection *conn = arg;
  int c = conn->fd;
  free(conn);
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
      (cred.uid != getuid() && cred.uid != 0)) {
    reply(c, "ERR permission denied");
    close(c);
    return NULL;
  }
  struct timeval tv = {5, 0};
  setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char line[PATH_MAX + 64];
  size_t n = 0;
  while (n < sizeof line - 1) {
    ssize_t k = read(c, line + n, 1);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0 || line[n] == '\n')
      break;
    n++;
  }
  line[n] = 0;
  if (strncmp(line, "APPLY ", 6) == 0)
    handle_apply(c, cred.pid, line + 6, 0);
  else if (strncmp(line, "APPLYF ", 7) == 0)
    handle_apply(c, cred.pid, line + 7, 1);
  else if (strcmp(line, "STATUS") == 0)
    handle_status(c);
  else
    reply(c, "ERR unknown request");
  close(c);
  return NULL;
}

static void *control_loop(void *arg) {
  (void)arg;
  for (;;) {
    int c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED)
        continue;
      if (errno == EBADF || errno == EINVAL)
        return NULL;
      usleep(10000);
      continue;
    }
    struct connection *conn = malloc(sizeof *conn);
    pthread_t t;
    if (!conn) {
      close(c);
      continue;
    }
    conn->fd = c;
    if (pthread_create(&t, NULL, serve_connection, conn) != 0) {
      free(conn);
      close(c);
      continue;
    }
    pthread_detach(t);
  }
}

static int socket_dir(char *out, size_t size) {
  const char *env = getenv("DSU_RUNTIME_DIR");
  if (env && *env)
    snprintf(out, size, "%s", env);
  else
    snprintf(out, size, "/tmp/dsu-%d", (int)getuid());
  if (mkdir(out, 0700) != 0 && errno != EEXIST)
    return -1;
  struct stat st;
  if (lstat(out, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
      (st.st_mode & 077)) {
    errno = EPERM;
    return -1;
  }
  return 0;
}

static void remove_socket(void) {
  if (getpid() == owner_pid && socket_path[0])
    unlink(socket_path);
}

static void start_control(void) {
  char dir[sizeof socket_path - 24];
  if (socket_dir(dir, sizeof dir) != 0) {
    warn("updates disabled: %s must be a directory owned by you with mode "
         "0700",
         dir);
    return;
  }
  owner_pid = getpid();
  snprintf(socket_path, sizeof socket_path, "%s/%d.sock", dir, (int)owner_pid);
  event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd < 0) {
    warn("updates disabled: socket: %s", strerror(errno));
    return;
  }
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_path);
  unlink(socket_path);
  mode_t old = umask(0177);
  int rc = bind(listen_fd, (struct sockaddr *)&addr, sizeof addr);
  umask(old);
  if (rc != 0 || chmod(socket_path, 0600) != 0 || listen(listen_fd, 8) != 0) {
    warn("updates disabled: cannot serve %s: %s", socket_path,
         strerror(errno));
    close(listen_fd);
    listen_fd = -1;
    socket_path[0] = 0;
    return;
  }
  sigset_t all, saved;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  pthread_t t;
  if (pthread_create(&t, NULL, control_loop, NULL) != 0)
    warn("updates disabled: cannot start the control thread");
  else
    pthread_detach(t);
  pthread_sigmask(SIG_SETMASK, &saved, NULL);
}

static void after_fork_in_child(void) {
  /* The child has no control thread and must not answer for its parent. */
  if (listen_fd >= 0)
    close(listen_fd);
  if (event_fd >= 0)
    close(event_fd);
  listen_fd = event_fd = -1;
  socket_path[0] = 0;
  pthread_mutex_init(&dsu_lock, NULL);
  dsu_threads_after_fork();
  pthread_cond_init(&committed, NULL);
  memset(&req, 0, sizeof req);
  __dsu_update_pending = 0;
  if (!getenv("DSU_DISABLE"))
    start_control();
}

__attribute__((constructor)) static void dsu_runtime_init(void) {
  if (__dsu_program_version)
    snprintf(built_version, sizeof built_version, "%s", __dsu_program_version);
  snprintf(current_version, sizeof current_version, "%s", built_version);
  dsu_threads_init();
  test_patch = getenv("DSU_TEST_PATCH");
  test_count_file = getenv("DSU_TEST_COUNT_FILE");
  if (test_patch && getenv("DSU_TEST_UPDATE_AT"))
    test_update_at = atol(getenv("DSU_TEST_UPDATE_AT"));
  if (test_update_at > 0 || test_count_file) {
    __dsu_update_pending = 1;
    if (test_count_file)
      atexit(test_write_count);
  }
  if (getenv("DSU_DISABLE"))
    return;
  start_control();
  atexit(remove_socket);
  pthread_atfork(NULL, NULL, after_fork_in_child);
}
