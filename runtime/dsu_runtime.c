/* dsu_runtime.c - libdsu, the runtime linked into every updatable program:
 * the update request, the commit at update points, start-up and fork.
 *
 * How an update happens.
 *
 * A request arrives on the control socket (dsu_control.c) with the patch
 * as an open descriptor and a commit word shared with the requester. The
 * control thread runs the transaction's first half while the program keeps
 * running: the patch is checked from that descriptor (regular file, owner
 * and mode, size, magic, format, checksums, base version) before any of it
 * is mapped, then the payload is copied to a memfd and dlopen'ed with
 * RTLD_NOW, which resolves every symbol or fails (dsu_load.c). The patch
 * carries no constructors, so no code of the patch has run yet. Then the
 * request is published: __dsu_update_pending becomes 1 and the update
 * descriptor becomes readable.
 *
 * The program's next DSU_UPDATE_POINT() sees the flag and calls
 * __dsu_update_point(), which commits under the runtime lock. Its
 * linearization point is a compare-and-swap of the commit word from PENDING
 * to COMMITTING, taken before anything the program can see changes: if the
 * requester has given up meanwhile (its own swap to WITHDRAWN won, say
 * because the process was stopped past its wait), nothing happens and the
 * patch is unloaded. Otherwise the state is transformed (dsu_heap.c; on
 * failure the word becomes ROLLED_BACK and the old version goes on), each
 * new body is stored into its slot, the version id switches and the word
 * becomes COMMITTED. That is the whole pause. Frames still running old code
 * continue in it; every call made afterwards goes through the slots to the
 * new code.
 *
 * If no update point is reached within the timeout, the control thread
 * withdraws the request under the same lock with the same swap, so a
 * request either commits or is withdrawn, never half, and the requester's
 * answer is "applied" exactly when it was. Any failure before commit leaves
 * the process exactly as it was.
 */
#include "control_protocol.h"
#include "dsu.h"
#include "dsu_internal.h"
#include "patch_format.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#define DSU_EXPORT __attribute__((visibility("default")))

DSU_EXPORT volatile int __dsu_update_pending;

/* Defined by the dsu-cc link step. */
extern const char __dsu_program_version[] __attribute__((weak));

pthread_mutex_t dsu_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t dsu_committed = PTHREAD_COND_INITIALIZER;
struct request dsu_req;
char dsu_built_version[DSU_VERSION_ID_SIZE + 1] = "unknown";
char dsu_running_version[DSU_VERSION_ID_SIZE + 1] = "unknown";
struct history_entry dsu_history[DSU_MAX_HISTORY];
int dsu_nhistory;
uid_t dsu_owner_uid;
static int update_count;

uint64_t dsu_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *dsu_getenv(const char *name) { return secure_getenv(name); }

void dsu_warn(const char *fmt, ...) {
  /* Set and not empty (DSU_QUIET= is no request for silence). */
  const char *quiet = dsu_getenv("DSU_QUIET");
  if (quiet && *quiet)
    return;
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "dsu: warning: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
}

/* Makes the loaded request visible to update points (under dsu_lock). */
void dsu_publish_locked(void) {
  dsu_req.state = REQ_PENDING;
  dsu_req.requested_ns = dsu_now_ns();
  __atomic_store_n(&__dsu_update_pending, 1, __ATOMIC_RELEASE);
  dsu_event_signal_locked();
}

void *dsu_forget_request_locked(void) {
  void *handle = dsu_req.handle;
  dsu_transform_unprepare(); /* if it never reached the transfer */
  dsu_req.state = REQ_NONE;
  dsu_req.handle = NULL;
  dsu_req.info = NULL;
  return handle;
}

void dsu_unload_patch(void *handle) {
  if (handle)
    dlclose(handle);
}

static int word_swap(uint32_t *word, uint32_t from, uint32_t to) {
  return __atomic_compare_exchange_n(word, &from, to, 0, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST);
}

/* ------------------------------------------ systematic update testing */

/* `dsu test` runs a program once per update point it reaches, with the
 * update applied at that point. Set by the environment at start-up:
 *   DSU_TEST_COUNT_FILE=F            count the update points reached, write
 *                                    the count to F at exit
 *   DSU_TEST_UPDATE_AT=K DSU_TEST_PATCH=P
 *                                    apply P at the K-th update point, as
 *                                    `dsu apply` would, but synchronously
 *   DSU_TEST_UPDATE_AT=K1,K2 DSU_TEST_PATCH=P1 DSU_TEST_PATCH2=P2
 *                                    a chain: P1 at the K1-th, then P2 at
 *                                    the K2-th if P1 has committed by then
 *                                    (as a second `dsu apply` would be
 *                                    refused while the first is pending)
 *   DSU_TEST_FORCE_AT=all|FILE:LINE,...
 *                                    and commit it there even where it is
 *                                    unsafe, as `dsu apply --force-at` (the
 *                                    replay of `dsu verify`'s forced cases)
 * Both keep __dsu_update_pending set so that every update point is seen.
 * Read with dsu_getenv: a set-user-ID program ignores them. */
static long test_update_at; /* the K of the update last requested; > 0: on */
static long test_at[2];     /* the visits that request each update */
static const char *test_patches[2];
static int test_nupdates, test_next; /* how many; the next to request */
static const char *test_force_at;
static const char *test_count_file;
static long test_reached;

static void test_write_count(void) {
  FILE *f = fopen(test_count_file, "w");
  if (f) {
    fprintf(f, "%ld\n", test_reached);
    fclose(f);
  }
}

static void test_update_point(const char *file, int line) {
  long n = __atomic_add_fetch(&test_reached, 1, __ATOMIC_RELAXED);
  if (test_next >= test_nupdates || n != test_at[test_next])
    return;
  const char *test_patch = test_patches[test_next++];
  char err[1024];
  pthread_mutex_lock(&dsu_lock);
  int idle = dsu_req.state == REQ_NONE;
  pthread_mutex_unlock(&dsu_lock);
  if (!idle)
    return;
  /* The first patch of a chain committed: its symbols become global, as
   * the control thread makes them after `dsu apply`, for the next patch
   * to bind to (the new storage of a global it changed, its new bodies). */
  if (test_next > 1 && dsu_req.load_name[0])
    dsu_make_patch_global(dsu_req.load_name);
  int fd = open(test_patch, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0 || dsu_load_patch(fd, test_patch, err, sizeof err) != 0) {
    if (fd < 0)
      snprintf(err, sizeof err, "cannot open %s: %s", test_patch,
               strerror(errno));
    fprintf(stderr, "dsu: test: the update at update point %ld (%s:%d) "
                    "failed: %s\n",
            n, file, line, err);
    _exit(97);
  }
  close(fd);
  test_update_at = n;
  pthread_mutex_lock(&dsu_lock);
  snprintf(dsu_req.name, sizeof dsu_req.name, "%s", test_patch);
  snprintf(dsu_req.force, sizeof dsu_req.force, "%s",
           test_force_at ? test_force_at : "");
  dsu_req.forced = 0;
  dsu_req.local_word = DSU_WORD_PENDING;
  dsu_req.word = &dsu_req.local_word;
  dsu_req.state = REQ_PENDING;
  dsu_req.requested_ns = dsu_now_ns();
  pthread_mutex_unlock(&dsu_lock);
}

/* ---------------------------------------------------------------- commit */

static int request_pending(void) { return dsu_req.state == REQ_PENDING; }

/* Ends a request that will not commit, at an update point (under dsu_lock):
 * the control thread unloads the patch and answers. */
static void end_uncommitted_locked(enum request_state state) {
  dsu_req.state = state;
  __atomic_store_n(&__dsu_update_pending, 0, __ATOMIC_RELEASE);
  dsu_event_drain_locked();
  dsu_threads_release();
  pthread_cond_broadcast(&dsu_committed);
}

/* A child after fork serves its own control socket from its first update
 * point on (dsu_control_after_fork set __dsu_update_pending to get here). */
static void start_deferred_control(void) {
  dsu_control_deferred = 0;
  dsu_start_control();
  pthread_mutex_lock(&dsu_lock);
  if (dsu_req.state == REQ_NONE && !(test_update_at > 0 || test_count_file))
    __atomic_store_n(&__dsu_update_pending, 0, __ATOMIC_RELEASE);
  pthread_mutex_unlock(&dsu_lock);
}

/* The calls this thread is in: dsu-cc code pushes the site id of each call
 * that may lead to an update point (lib/Transform/Contexts.cpp). */
DSU_EXPORT __thread struct dsu_context __dsu_context
    __attribute__((tls_model("initial-exec")));

/* The frames that committed patches left possibly running old code: each
 * patch's __dsu_residuals, kept after its commit (patches stay loaded). */
#define DSU_MAX_RESIDUAL_TABLES 256
static const struct dsu_residual *residual_tables[DSU_MAX_RESIDUAL_TABLES];
static int nresidual_tables, residual_tables_lost;

static int in_ids(const uint64_t *ids, uint64_t id) {
  for (; ids && *ids; ids++)
    if (*ids == id)
      return 1;
  return 0;
}

/* Whether the frame of an earlier version at SITE may stay on the stack
 * while the pending patch commits: it must be one an earlier patch
 * recorded, and use nothing the pending patch changes. */
static int residual_ok(const struct request *req, uint64_t site, char *why,
                       size_t size) {
  for (int t = nresidual_tables - 1; t >= 0; t--)
    for (const struct dsu_residual *r = residual_tables[t]; r->site; r++) {
      if (r->site != site)
        continue;
      for (const char *const *u = r->uses; u && *u; u++)
        for (const char *const *c = req->changed_names; c && *c; c++)
          if (strcmp(*u, *c) == 0) {
            snprintf(why, size,
                     "%s, left running from an earlier version, uses %s, "
                     "which this patch changes",
                     r->where, *u);
            return 0;
          }
      return 1;
    }
  snprintf(why, size,
           "a frame dsu has no record of is active here (call site %016llx%s)",
           (unsigned long long)site,
           residual_tables_lost ? "; too many patches applied to keep them all"
                                : "");
  return 0;
}

/* Whether the pending patch may commit with a thread whose calls are CTX
 * at the update point or blocking call FILE:LINE (the file name). Returns 1,
 * or 0 with the reason (without the place) in why. */
static int point_ok(const struct request *req, const char *file, long line,
                    const struct dsu_context *ctx, char *why, size_t size) {
  const struct dsu_point *match = NULL;
  for (const struct dsu_point *p = req->points; p && p->file; p++) {
    if ((long)p->line != line || strcmp(p->file, file) != 0)
      continue;
    if (p->reason && !p->safe_contexts) {
      snprintf(why, size, "%s", p->reason);
      return 0;
    }
    if (!match || p->reason)
      match = p;
  }
  /* A patch that changes no representation has nothing to check. */
  if (!req->changed_names || !*req->changed_names)
    return 1;
  if (match && !match->safe_contexts)
    return 1;
  /* A patch made without continuation facts has no sites to check. */
  if (!req->base_sites || !*req->base_sites)
    return 1;
  uint64_t depth = ctx ? __atomic_load_n(&ctx->depth, __ATOMIC_ACQUIRE) : 0;
  if (depth > DSU_CONTEXT_SLOTS) {
    snprintf(why, size, "the thread is in more calls than dsu records (%llu)",
             (unsigned long long)depth);
    return 0;
  }
  for (uint64_t i = 0; i < depth; i++) {
    uint64_t site = ctx->site[i];
    if (match && in_ids(match->safe_contexts, site))
      continue;
    if (in_ids(req->base_sites, site)) {
      /* A frame of the base version through which the point is unsafe. */
      snprintf(why, size, "%s",
               match && match->reason ? match->reason
                                      : "a frame active here is not safe");
      return 0;
    }
    if (!residual_ok(req, site, why, size))
      return 0;
  }
  return 1;
}

/* Called after a commit: the patch's base-version frames may go on running
 * old code, and later patches are checked against them. */
static void keep_residuals(const struct request *req) {
  if (!req->residuals || !req->residuals->site)
    return;
  if (nresidual_tables == DSU_MAX_RESIDUAL_TABLES) {
    residual_tables_lost = 1; /* frames no record covers: later checks refuse */
    return;
  }
  residual_tables[nresidual_tables++] = req->residuals;
}

/* Whether a thread may stay parked in the blocking call at SITE ("read
 * main.c:42") while the pending update commits: not if the patch finds that
 * place unsafe for the calls the thread is in (CTX: the rest of its frames
 * would use what the patch changes), unless the requester forced it.
 * Called with dsu_lock held. */
int dsu_parked_ok(const char *site, const struct dsu_context *ctx) {
  struct request *req = &dsu_req;
  const char *sp = strrchr(site, ' ');
  const char *colon = sp ? strrchr(sp, ':') : NULL;
  if (!colon)
    return 1;
  char file[256];
  snprintf(file, sizeof file, "%.*s", (int)(colon - (sp + 1)), sp + 1);
  long line = strtol(colon + 1, NULL, 10);
  char why[sizeof req->blocked];
  if (point_ok(req, file, line, ctx, why, sizeof why))
    return 1;
  if (!dsu_forced_at(req->force, file, (int)line))
    return 0;
  /* Forced past it: the commit must say so, as at an update point. */
  req->forced = 1;
  snprintf(req->blocked, sizeof req->blocked,
           "%.900s (a thread parked in %.200s)", why, site);
  return 1;
}

DSU_EXPORT void __dsu_update_point(const char *file, int line) {
  if (__builtin_expect(dsu_control_deferred, 0))
    start_deferred_control();
  if (test_update_at > 0 || test_count_file)
    test_update_point(file, line);
  uint64_t start = dsu_now_ns();
  pthread_mutex_lock(&dsu_lock);
  struct request *req = &dsu_req;
  if (req->state == REQ_PENDING) {
    const struct dsu_patch_info *info = req->info;
    /* An unsafe point defers the update to a later one, unless the
     * requester forced this one. */
    const char *base = file ? strrchr(file, '/') : NULL;
    base = base ? base + 1 : (file ? file : "?");
    char why[sizeof req->blocked];
    if (!point_ok(req, base, line, &__dsu_context, why, sizeof why)) {
      snprintf(req->blocked, sizeof req->blocked, "%s:%d: %.1100s", base, line,
               why);
      if (dsu_forced_at(req->force, base, line)) {
        req->forced = 1;
      } else {
        /* The descriptor did its job: the program woke up and reached an
         * update point. Left readable, a poll loop whose points are all
         * unsafe would wake again at once and spin; drained, it sleeps
         * until it has work, and its next update point is checked as
         * usual. */
        dsu_event_drain_locked();
        pthread_mutex_unlock(&dsu_lock);
        return;
      }
    }
    /* Other threads must be at update points or in safe blocking calls. */
    if (!dsu_threads_quiesce(request_pending, dsu_parked_ok)) {
      pthread_mutex_unlock(&dsu_lock);
      return;
    }
    snprintf(req->where, sizeof req->where, "%s:%d", file ? file : "?", line);
    /* The linearization point: from here the update is ours to finish or
     * roll back, unless the requester already withdrew it. */
    if (!word_swap(req->word, DSU_WORD_PENDING, DSU_WORD_COMMITTING)) {
      end_uncommitted_locked(REQ_WITHDRAWN);
      pthread_mutex_unlock(&dsu_lock);
      return;
    }
    /* From here until the commit or the rollback, the program's signal
     * handlers wait: they would run over half-converted state. */
    dsu_signals_defer();
    /* The new code is installed before the transformers run, so that a
     * transformer that calls the new version's functions runs new code all
     * the way down; a rollback puts the old bodies back. */
    int transforms = req->types || req->globals || req->inits;
    void **saved = NULL;
    if (transforms && info->nrebind) {
      saved = malloc(info->nrebind * sizeof *saved);
      if (!saved) {
        snprintf(req->failure, sizeof req->failure, "out of memory");
        __atomic_store_n(req->word, DSU_WORD_ROLLED_BACK, __ATOMIC_SEQ_CST);
        end_uncommitted_locked(REQ_FAILED);
        goto release;
      }
      for (uint32_t i = 0; i < info->nrebind; i++) {
        saved[i] = *info->rebind[i].slot;
        __atomic_store_n(info->rebind[i].slot, info->rebind[i].body,
                         __ATOMIC_RELEASE);
      }
    }
    if (transforms &&
        dsu_transform_state(req->types, req->globals, req->inits, req->fields,
                            req->gptrs, req->hooks, req->live, &req->stats,
                            req->failure, sizeof req->failure) != 0) {
      for (uint32_t i = 0; saved && i < info->nrebind; i++)
        __atomic_store_n(info->rebind[i].slot, saved[i], __ATOMIC_RELEASE);
      free(saved);
      /* Nothing changed: the old version goes on. */
      if (test_update_at > 0) {
        fprintf(stderr, "dsu: test: the update at %s was rolled back: %s\n",
                req->where, req->failure);
        _exit(97);
      }
      __atomic_store_n(req->word, DSU_WORD_ROLLED_BACK, __ATOMIC_SEQ_CST);
      end_uncommitted_locked(REQ_FAILED);
      goto release;
    }
    free(saved);
    if (!transforms)
      for (uint32_t i = 0; i < info->nrebind; i++)
        __atomic_store_n(info->rebind[i].slot, info->rebind[i].body,
                         __ATOMIC_RELEASE);
    if (transforms)
      dsu_transform_finish(); /* commit hook, then the old objects go */
    struct history_entry *h = &dsu_history[dsu_nhistory % DSU_MAX_HISTORY];
    snprintf(h->from, sizeof h->from, "%s", dsu_running_version);
    snprintf(dsu_running_version, sizeof dsu_running_version, "%s",
             info->target_version);
    req->pause_ns = dsu_now_ns() - start;
    snprintf(h->to, sizeof h->to, "%s", dsu_running_version);
    snprintf(h->patch, sizeof h->patch, "%.255s", req->name);
    snprintf(h->where, sizeof h->where, "%s", req->where);
    h->when = time(NULL);
    h->pause_ns = req->pause_ns;
    h->rebinds = info->nrebind;
    snprintf(h->forced, sizeof h->forced, "%.300s",
             req->forced ? req->blocked : "");
    dsu_nhistory++;
    update_count++;
    keep_residuals(req);
    dsu_note_migrations(req->migrated, req->info);
    __atomic_store_n(req->word, DSU_WORD_COMMITTED, __ATOMIC_SEQ_CST);
    req->state = test_update_at > 0 ? REQ_NONE : REQ_DONE;
    if (test_update_at > 0)
      fprintf(stderr, "dsu: test: updated at update point %ld (%s)\n",
              test_update_at, req->where);
    __atomic_store_n(&__dsu_update_pending,
                     test_count_file || test_next < test_nupdates ? 1 : 0,
                     __ATOMIC_RELEASE);
    dsu_event_drain_locked();
    dsu_threads_release();
    pthread_cond_broadcast(&dsu_committed);
  release:
    /* The program's signal handlers run again, and those whose signals
     * arrived meanwhile run now, outside the lock: a handler may reach an
     * update point. */
    pthread_mutex_unlock(&dsu_lock);
    dsu_signals_release();
    return;
  }
  pthread_mutex_unlock(&dsu_lock);
}

DSU_EXPORT int dsu_update_fd(void) {
  pthread_mutex_lock(&dsu_lock);
  int fd = dsu_event_fd_locked();
  pthread_mutex_unlock(&dsu_lock);
  return fd;
}

DSU_EXPORT const char *dsu_current_version(void) { return dsu_running_version; }

DSU_EXPORT int dsu_update_count(void) {
  pthread_mutex_lock(&dsu_lock);
  int n = update_count;
  pthread_mutex_unlock(&dsu_lock);
  return n;
}

/* ------------------------------------------------------ start-up, fork */

static void after_fork_in_child(void) {
  pthread_mutex_init(&dsu_lock, NULL);
  dsu_threads_after_fork();
  pthread_cond_init(&dsu_committed, NULL);
  memset(&dsu_req, 0, sizeof dsu_req);
  dsu_control_after_fork();
  __dsu_update_pending = 1; /* to start the control at an update point */
}

__attribute__((constructor)) static void dsu_runtime_init(void) {
  if (__dsu_program_version)
    snprintf(dsu_built_version, sizeof dsu_built_version, "%s",
             __dsu_program_version);
  snprintf(dsu_running_version, sizeof dsu_running_version, "%s",
           dsu_built_version);
  dsu_owner_uid = geteuid();
  dsu_threads_init();
  test_patches[0] = dsu_getenv(DSU_ENV_TEST_PATCH);
  test_patches[1] = dsu_getenv(DSU_ENV_TEST_PATCH2);
  test_count_file = dsu_getenv(DSU_ENV_TEST_COUNT_FILE);
  test_force_at = dsu_getenv(DSU_ENV_TEST_FORCE_AT);
  const char *at = dsu_getenv(DSU_ENV_TEST_UPDATE_AT);
  if (test_patches[0] && at) {
    char *end;
    test_at[0] = strtol(at, &end, 10);
    test_nupdates = test_at[0] > 0;
    if (test_nupdates && *end == ',' && test_patches[1]) {
      test_at[1] = strtol(end + 1, NULL, 10);
      test_nupdates += test_at[1] > test_at[0];
    }
    test_update_at = test_at[0] > 0 ? test_at[0] : 0;
  }
  if (test_update_at > 0 || test_count_file) {
    __dsu_update_pending = 1;
    if (test_count_file)
      atexit(test_write_count);
  }
  if (dsu_getenv(DSU_ENV_DISABLE))
    return;
  dsu_start_control();
  pthread_atfork(NULL, NULL, after_fork_in_child);
}
