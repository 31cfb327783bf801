/* fork_stress.c - fork() in a threaded program that tracks its heap.
 *
 * Worker threads allocate and free tracked objects without pause (objects
 * the shadow describes, and objects over 64 kB that go to the runtime's
 * table), so their logs are compacted all the time; another thread takes
 * snapshots of the heap, as an update would. The main thread forks again
 * and again meanwhile; each child allocates and frees enough tracked objects
 * to compact its own log several times, takes a snapshot, starts a thread
 * that allocates too, and exits. A lock that another thread held at the fork
 * (a compaction's, a snapshot's) would stay held in the child forever: the
 * child would hang, and an alarm kills it. Every child must exit 0 within
 * its time.
 *
 * usage: fork_stress [FORKS] [THREADS]
 */
#include "dsu_internal.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void __dsu_track_alloc(void *p, size_t size, const char *tag);
void __dsu_track_free(void *p);

static volatile int stop;

/* Allocates and frees tracked objects: n at a time live, `rounds` times. */
static void churn(uint64_t seed, long rounds, int n) {
  void **live = calloc((size_t)n, sizeof *live);
  if (!live)
    abort();
  for (long r = 0; r < rounds && !stop; r++) {
    for (int i = 0; i < n; i++) {
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;
      if (live[i]) {
        __dsu_track_free(live[i]);
        free(live[i]);
      }
      /* One in 512 over 64 kB: the runtime's table, under its lock. */
      size_t size = (seed >> 33) % 512 == 0 ? 70000 : 16 + (seed >> 40) % 64;
      live[i] = malloc(size);
      __dsu_track_alloc(live[i], size, "struct f#1");
    }
  }
  for (int i = 0; i < n; i++)
    if (live[i]) {
      __dsu_track_free(live[i]);
      free(live[i]);
    }
  free(live);
}

static void *worker(void *arg) {
  uint64_t seed = (uintptr_t)arg;
  while (!stop)
    churn(seed++, 20, 3000);
  return NULL;
}

static void *snapshots(void *arg) {
  (void)arg;
  while (!stop)
    (void)dsu_heap_tracked();
  return NULL;
}

static void *child_worker(void *arg) {
  churn((uintptr_t)arg, 4, 5000);
  return NULL;
}

static int child(int k) {
  alarm(20); /* a hang is a failure, not a stuck test */
  churn((uint64_t)k, 4, 10000);
  size_t before = dsu_heap_tracked();
  pthread_t t;
  if (pthread_create(&t, NULL, child_worker, (void *)(uintptr_t)k) != 0)
    return 2;
  pthread_join(t, NULL);
  void *p = malloc(40);
  __dsu_track_alloc(p, 40, "struct f#1");
  size_t after = dsu_heap_tracked();
  __dsu_track_free(p);
  free(p);
  /* The child's own objects are all freed but the one: the copies of the
   * parent's threads' live objects are all it tracks besides. */
  return after == before + 1 ? 0 : 3;
}

int main(int argc, char **argv) {
  int forks = argc > 1 ? atoi(argv[1]) : 100;
  int nthreads = argc > 2 ? atoi(argv[2]) : 3;
  pthread_t threads[64], snap;
  if (nthreads > 64)
    nthreads = 64;
  for (int i = 0; i < nthreads; i++)
    pthread_create(&threads[i], NULL, worker, (void *)(uintptr_t)(i + 1));
  pthread_create(&snap, NULL, snapshots, NULL);
  int failed = 0;
  for (int k = 0; k < forks && !failed; k++) {
    usleep(1000 + k % 7 * 300);
    pid_t pid = fork();
    if (pid < 0) {
      perror("fork");
      failed = 1;
      break;
    }
    if (pid == 0)
      _exit(child(k));
    int status;
    if (waitpid(pid, &status, 0) != pid) {
      perror("waitpid");
      failed = 1;
    } else if (WIFSIGNALED(status)) {
      fprintf(stderr,
              "fork_stress: child %d killed by signal %d (%s): it hung or "
              "crashed\n",
              k, WTERMSIG(status), strsignal(WTERMSIG(status)));
      failed = 1;
    } else if (WEXITSTATUS(status) != 0) {
      fprintf(stderr, "fork_stress: child %d exited %d\n", k,
              WEXITSTATUS(status));
      failed = 1;
    }
  }
  stop = 1;
  for (int i = 0; i < nthreads; i++)
    pthread_join(threads[i], NULL);
  pthread_join(snap, NULL);
  if (!failed)
    printf("ok: %d forks\n", forks);
  return failed;
}
