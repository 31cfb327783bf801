/* dsu_threads.c - quiescence for multi-threaded programs.
 *
 * An update may commit only when every thread of the program is either at an
 * update point or parked in a blocking call known to be safe (poll, select,
 * epoll_wait, accept, read, recv, condition waits, sleeps): then no thread
 * is in the middle of code that the update changes under it.
 *
 * dsu-cc routes pthread_create through __dsu_pthread_create, which registers
 * the new thread, and brackets the blocking calls with __dsu_block_enter /
 * __dsu_block_leave. A thread that reaches an update point while an update
 * is pending marks itself there and waits until all others are quiescent;
 * the last one to get there commits. Whether a thread may leave a blocking
 * call while the commit runs is settled Dekker-style: the committer raises
 * `committing` and then reads every thread's state; a leaving thread marks
 * itself running and then reads `committing`; with sequentially consistent
 * accesses at least one of them sees the other, and the leaver parks again
 * until the commit is over. If the request times out, the control thread
 * withdraws it and names the threads that never got there.
 */
#include "dsu_internal.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DSU_EXPORT __attribute__((visibility("default")))

enum { T_RUNNING, T_AT_POINT, T_BLOCKED };

struct dsu_thread {
  int state;
  pid_t tid;
  char name[96];
  const char *blocked_in;
  const struct dsu_context *ctx; /* the thread's __dsu_context */
  struct dsu_thread *next;
};

static struct dsu_thread *threads; /* guarded by dsu_lock */
static int nthreads;
static int committing;
static __thread struct dsu_thread *self;
static pthread_cond_t threads_changed = PTHREAD_COND_INITIALIZER;
static pthread_cond_t commit_done = PTHREAD_COND_INITIALIZER;
static pthread_key_t exit_key;

static void unregister_thread(void *p) {
  struct dsu_thread *t = p;
  pthread_mutex_lock(&dsu_lock);
  for (struct dsu_thread **pp = &threads; *pp; pp = &(*pp)->next)
    if (*pp == t) {
      *pp = t->next;
      nthreads--;
      break;
    }
  pthread_cond_broadcast(&threads_changed);
  pthread_mutex_unlock(&dsu_lock);
  free(t);
}

/* Adds a thread record. The creating thread does it, before the new thread
 * exists, so that no thread is ever unaccounted for: otherwise the creator
 * could block (say in accept()) while it still believes it is alone, and
 * stay marked as running. */
static struct dsu_thread *add_thread(const char *name) {
  struct dsu_thread *t = calloc(1, sizeof *t);
  if (!t)
    return NULL;
  snprintf(t->name, sizeof t->name, "%s", name);
  pthread_mutex_lock(&dsu_lock);
  t->next = threads;
  threads = t;
  nthreads++;
  pthread_mutex_unlock(&dsu_lock);
  return t;
}

/* Called by the thread the record describes. */
static void become(struct dsu_thread *t) {
  if (!t)
    return;
  t->tid = (pid_t)syscall(SYS_gettid);
  t->ctx = &__dsu_context;
  self = t;
  pthread_setspecific(exit_key, t);
}

void dsu_threads_init(void) {
  pthread_key_create(&exit_key, unregister_thread);
  become(add_thread("main"));
}

struct start {
  void *(*fn)(void *);
  void *arg;
  struct dsu_thread *record;
};

static void *thread_start(void *p) {
  struct start s = *(struct start *)p;
  free(p);
  become(s.record);
  return s.fn(s.arg);
}

DSU_EXPORT int __dsu_pthread_create(pthread_t *thread, const pthread_attr_t *attr,
                                    void *(*fn)(void *), void *arg) {
  struct start *s = malloc(sizeof *s);
  if (!s)
    return pthread_create(thread, attr, fn, arg);
  Dl_info info;
  const char *name = "thread";
  if (dladdr((void *)fn, &info) && info.dli_sname)
    name = info.dli_sname;
  char clean[96];
  snprintf(clean, sizeof clean, "%s", name);
  char *dot = strchr(clean, '.'); /* identity symbols: name.tag.dsu.hash */
  if (dot)
    *dot = 0;
  s->fn = fn;
  s->arg = arg;
  s->record = add_thread(clean);
  int rc = pthread_create(thread, attr, thread_start, s);
  if (rc != 0) {
    if (s->record)
      unregister_thread(s->record);
    free(s);
  }
  return rc;
}

/* A single-threaded program needs none of this: its only thread is the one
 * at the update point. (No thread can appear while the only one is blocked.)
 * This keeps the cost of a read() or poll() to one load. */
static int single_threaded(void) {
  return __atomic_load_n(&nthreads, __ATOMIC_RELAXED) <= 1;
}

DSU_EXPORT void __dsu_block_enter(const char *call) {
  struct dsu_thread *t = self;
  if (!t || single_threaded())
    return;
  t->blocked_in = call;
  __atomic_store_n(&t->state, T_BLOCKED, __ATOMIC_SEQ_CST);
  if (__atomic_load_n(&__dsu_update_pending, __ATOMIC_SEQ_CST) &&
      nthreads > 1) {
    pthread_mutex_lock(&dsu_lock);
    pthread_cond_broadcast(&threads_changed);
    pthread_mutex_unlock(&dsu_lock);
  }
}

DSU_EXPORT void __dsu_block_leave(void) {
  struct dsu_thread *t = self;
  if (!t || (single_threaded() &&
             __atomic_load_n(&t->state, __ATOMIC_RELAXED) == T_RUNNING))
    return;
  for (;;) {
    __atomic_store_n(&t->state, T_RUNNING, __ATOMIC_SEQ_CST);
    if (!__atomic_load_n(&committing, __ATOMIC_SEQ_CST))
      return;
    __atomic_store_n(&t->state, T_BLOCKED, __ATOMIC_SEQ_CST);
    pthread_mutex_lock(&dsu_lock);
    while (__atomic_load_n(&committing, __ATOMIC_SEQ_CST))
      pthread_cond_wait(&commit_done, &dsu_lock);
    pthread_mutex_unlock(&dsu_lock);
  }
}

/* A thread parked in a blocking call where the patch is unsafe (its
 * frames would use what the patch changes once the call returns) is not
 * quiescent: the commit waits for it to move on, as for a running one. */
static int parked_unsafe(struct dsu_thread *t, dsu_parked_ok_fn parked_ok) {
  return __atomic_load_n(&t->state, __ATOMIC_SEQ_CST) == T_BLOCKED &&
         parked_ok && t->blocked_in && !parked_ok(t->blocked_in, t->ctx);
}

static int all_quiescent(dsu_parked_ok_fn parked_ok) {
  for (struct dsu_thread *t = threads; t; t = t->next)
    if (__atomic_load_n(&t->state, __ATOMIC_SEQ_CST) == T_RUNNING ||
        parked_unsafe(t, parked_ok))
      return 0;
  return 1;
}

/* Called by __dsu_update_point with dsu_lock held and an update pending.
 * Returns 1 when this thread should commit now (committing is raised), 0
 * when the request went away meanwhile. */
int dsu_threads_quiesce(int (*still_pending)(void),
                        dsu_parked_ok_fn parked_ok) {
  struct dsu_thread *t = self;
  if (nthreads <= 1 || !t)
    return 1;
  __atomic_store_n(&t->state, T_AT_POINT, __ATOMIC_SEQ_CST);
  pthread_cond_broadcast(&threads_changed);
  for (;;) {
    if (!still_pending()) {
      __atomic_store_n(&t->state, T_RUNNING, __ATOMIC_SEQ_CST);
      return 0;
    }
    __atomic_store_n(&committing, 1, __ATOMIC_SEQ_CST);
    if (all_quiescent(parked_ok))
      return 1;
    __atomic_store_n(&committing, 0, __ATOMIC_SEQ_CST);
    pthread_cond_broadcast(&commit_done);
    /* Threads leaving blocking calls do not signal; look again soon. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 2000000;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&threads_changed, &dsu_lock, &ts);
  }
}

/* After the commit (or a failed one), with dsu_lock held. */
void dsu_threads_release(void) {
  if (self)
    __atomic_store_n(&self->state, T_RUNNING, __ATOMIC_SEQ_CST);
  __atomic_store_n(&committing, 0, __ATOMIC_SEQ_CST);
  pthread_cond_broadcast(&commit_done);
  pthread_cond_broadcast(&threads_changed);
}

/* Wakes threads waiting at update points (request withdrawn). */
void dsu_threads_wake(void) { pthread_cond_broadcast(&threads_changed); }

/* What a thread not known to be quiescent is doing, from the kernel's view:
 * "running", or "blocked in read()" for a thread asleep in a system call
 * that dsu-cc did not bracket (inside a library: fgets reading a pipe, say),
 * so that a time-out names the call to look at. */
static void thread_activity(pid_t tid, char *out, size_t size,
                            const char *verdict) {
  /* x86-64 numbers (elsewhere the number alone is given). */
  static const struct {
    long nr;
    const char *name;
  } calls[] = {
#if defined(__x86_64__)
               {0, "read"},        {1, "write"},         {7, "poll"},
               {17, "pread64"},    {19, "readv"},        {23, "select"},
               {34, "pause"},      {35, "nanosleep"},    {42, "connect"},
               {43, "accept"},     {45, "recvfrom"},     {47, "recvmsg"},
               {61, "wait4"},      {72, "fcntl"},        {202, "futex"},
               {230, "clock_nanosleep"}, {232, "epoll_wait"},
               {270, "pselect6"},  {271, "ppoll"},       {281, "epoll_pwait"},
               {288, "accept4"},   {299, "recvmmsg"},
#endif
               {-2, ""}};
  char path[64], buf[512];
  snprintf(out, size, "running");
  snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
  FILE *f = fopen(path, "re");
  if (!f)
    return;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  const char *paren = strrchr(buf, ')');
  if (!paren || (paren[2] != 'S' && paren[2] != 'D'))
    return;
  snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
  long nr = -1;
  if ((f = fopen(path, "re"))) {
    if (fscanf(f, "%ld", &nr) != 1)
      nr = -1;
    fclose(f);
  }
  for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
    if (calls[i].nr == nr) {
      snprintf(out, size, "blocked in %s()%s", calls[i].name, verdict);
      return;
    }
  if (nr >= 0)
    snprintf(out, size, "blocked in system call %ld%s", nr, verdict);
  else
    snprintf(out, size, "blocked");
}

/* Names the threads that are neither at an update point nor blocked, and
 * those parked where the update is unsafe. A single-threaded program has
 * nothing to name: its one thread simply reached no update point (what it
 * is doing instead goes with that message, dsu_threads_describe_main). */
void dsu_threads_describe_main(char *out, size_t size) {
  thread_activity(getpid(), out, size, "");
}

void dsu_threads_describe_running(char *out, size_t size,
                                  dsu_parked_ok_fn parked_ok) {
  size_t n = 0;
  out[0] = 0;
  if (single_threaded())
    return;
  for (struct dsu_thread *t = threads; t && n + 1 < size; t = t->next) {
    int k = 0;
    if (__atomic_load_n(&t->state, __ATOMIC_SEQ_CST) == T_RUNNING) {
      char doing[96];
      thread_activity(t->tid, doing, sizeof doing,
                      ", not known to be a safe place");
      k = snprintf(out + n, size - n, "%sthread %d (%s) %s", n ? ", " : "",
                   (int)t->tid, t->name, doing);
    }
    else if (parked_unsafe(t, parked_ok))
      k = snprintf(out + n, size - n,
                   "%sthread %d (%s), parked in %s where the update is "
                   "unsafe",
                   n ? ", " : "", (int)t->tid, t->name, t->blocked_in);
    if (k < 0)
      break;
    n += (size_t)k;
    if (n >= size)
      n = size - 1;
  }
}

/* In a child after fork: only the forking thread exists. */
void dsu_threads_after_fork(void) {
  threads = self;
  if (self) {
    self->next = NULL;
    self->tid = (pid_t)syscall(SYS_gettid);
  }
  nthreads = self ? 1 : 0;
  committing = 0;
  pthread_cond_init(&threads_changed, NULL);
  pthread_cond_init(&commit_done, NULL);
}
