/* heap_stress.c - the runtime's typed-heap tracking under threads.
 *
 * Threads allocate, free, reallocate and hand each other tracked objects
 * through a shared array of slots, the way servers do (an object made by
 * one thread and freed by another), with untracked allocations mixed in,
 * objects 8 bytes into their block (zmalloc's header), objects that are
 * not 8-aligned, two objects in one 16-byte granule (a pool of small
 * objects) and objects over 64 kB (the last three go through the runtime's
 * table). A thread that snapshots
 * the heap runs alongside, as an update would, racing with the frees.
 * After each round every worker has exited (the next round's threads take
 * over their logs), and the runtime's list of tracked objects must be
 * exactly the objects in the slots, each with the size and tag it was
 * given last: an object missing (the update would not transform it) or a
 * freed one listed (it would transform freed memory) fails the test.
 *
 * With SIZES small (2), nearly every object is of a kind (tag, size,
 * allocator) the runtime gives a class, whose objects have no record, only
 * their shadow byte; with the default (200) most kinds get none and go to
 * the logs. Both must list the heap exactly.
 *
 * usage: heap_stress [ROUNDS] [THREADS] [OPERATIONS-PER-THREAD] [SLOTS] [SIZES]
 */
#include "dsu_internal.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void __dsu_track_alloc(void *p, size_t size, const char *tag);
void __dsu_track_foreign(void *p, size_t size, const char *tag);
void __dsu_track_free(void *p);
void __dsu_track_realloc(void *old, void *p, size_t size, const char *tag);

static const char *const tags[] = {"struct a#1", "struct b#2", "struct c#3",
                                   "struct d#4+"};

enum kind { PLAIN, HEADER, MISALIGNED, PAIR };

struct slot {
  pthread_mutex_t lock;
  void *obj;
  void *block; /* what free() takes */
  enum kind kind;
  size_t size;
  const char *tag;
};

#define MAX_SLOTS 262144
static struct slot slots[MAX_SLOTS];
static int nslots = 65536;
static int ops_per_thread;
static int nsizes = 200;
static volatile int workers_running;

static uint64_t next_random(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

static void release(struct slot *s) {
  if (!s->obj)
    return;
  __dsu_track_free(s->obj);
  if (s->kind == PAIR) { /* the other object of the pair goes too */
    char *other = (char *)s->block + ((char *)s->obj == s->block ? 8 : 0);
    __dsu_track_free(other);
  }
  free(s->block);
  s->obj = s->block = NULL;
}

static void fill(struct slot *s, uint64_t r) {
  s->kind = (enum kind)(r % 16 < 11   ? PLAIN
                        : r % 16 < 14 ? HEADER
                        : r % 16 < 15 ? MISALIGNED
                                      : PAIR);
  s->tag = tags[(r >> 8) % 4];
  s->size = 16 + (r >> 16) % nsizes;
  switch (s->kind) {
  case PLAIN:
    if ((r >> 40) % 64 == 0) /* larger than a log record says: the table */
      s->size = 70000 + (r >> 46) % 100;
    s->block = s->obj = malloc(s->size);
    __dsu_track_alloc(s->obj, s->size, s->tag);
    break;
  case HEADER: /* an allocator with a size header: its own free */
    s->block = malloc(s->size + 8);
    s->obj = (char *)s->block + 8;
    __dsu_track_foreign(s->obj, s->size, s->tag);
    break;
  case MISALIGNED:
    s->block = malloc(s->size + 4);
    s->obj = (char *)s->block + 4;
    __dsu_track_foreign(s->obj, s->size, s->tag);
    break;
  case PAIR: /* two 8-byte objects in one granule; the slot names one */
    s->size = 8;
    s->block = malloc(32);
    __dsu_track_foreign(s->block, 8, s->tag);
    __dsu_track_foreign((char *)s->block + 8, 8, s->tag);
    s->obj = (r >> 20) & 1 ? s->block : (char *)s->block + 8;
    break;
  }
}

static void *worker(void *arg) {
  uint64_t seed = (uintptr_t)arg * 0x9e3779b97f4a7c15ull + 1;
  for (int i = 0; i < ops_per_thread; i++) {
    uint64_t r = next_random(&seed);
    struct slot *s = &slots[r % nslots];
    r = next_random(&seed);
    /* Untracked memory comes and goes around the tracked objects. */
    void *junk = malloc(16 + r % 64);
    __dsu_track_free(junk);
    free(junk);
    pthread_mutex_lock(&s->lock);
    switch (r % 8) {
    case 0:
    case 1:
    case 2: /* replace (often another thread's object) */
      release(s);
      fill(s, r >> 3);
      break;
    case 3:
    case 4:
      release(s);
      break;
    case 5: /* realloc at an untyped site keeps the tag */
    case 6: /* ... at a typed one takes the new tag */
      if (s->obj && s->kind == PLAIN) {
        size_t size = 16 + (r >> 8) % (nsizes + nsizes / 2);
        const char *tag = r % 8 == 6 ? tags[(r >> 20) % 4] : NULL;
        void *p = realloc(s->obj, size);
        __dsu_track_realloc(s->obj, p, size, tag);
        s->block = s->obj = p;
        s->size = size;
        if (tag)
          s->tag = tag;
      }
      break;
    default: /* an untracked block that is freed where dsu sees it */
      break;
    }
    pthread_mutex_unlock(&s->lock);
  }
  return NULL;
}

/* Takes snapshots while the workers run: its marks race with their frees. */
static void *snapshotter(void *arg) {
  (void)arg;
  while (__atomic_load_n(&workers_running, __ATOMIC_ACQUIRE)) {
    struct dsu_heap_object *all;
    size_t n;
    if (dsu_heap_snapshot(&all, &n) == 0)
      free(all);
    /* A pause between snapshots: back to back, a snapshot's walk holds the
     * walk lock nearly all the time and the workers' compactions queue
     * behind it (heap.stress took 250 s to over 300 s on a loaded 2-core
     * machine); updates come far apart in a real server. */
    struct timespec pause = {0, 200000};
    nanosleep(&pause, NULL);
  }
  return NULL;
}

static int by_addr(const void *a, const void *b) {
  uintptr_t x = ((const struct dsu_heap_object *)a)->addr,
            y = ((const struct dsu_heap_object *)b)->addr;
  return x < y ? -1 : x > y;
}

static struct dsu_heap_object *find(struct dsu_heap_object *all, size_t n,
                                    const void *p) {
  struct dsu_heap_object key = {(uintptr_t)p, 0, 0, NULL};
  return bsearch(&key, all, n, sizeof *all, by_addr);
}

/* The runtime's list against the slots; returns the number of errors. */
static int check(int round) {
  struct dsu_heap_object *all;
  size_t n, expected = 0;
  int errors = 0;
  if (dsu_heap_snapshot(&all, &n) != 0) {
    fprintf(stderr, "round %d: snapshot: out of memory\n", round);
    return 1;
  }
  qsort(all, n, sizeof *all, by_addr);
  for (size_t i = 1; i < n; i++)
    if (all[i].addr == all[i - 1].addr && errors++ < 5)
      fprintf(stderr, "round %d: %p listed twice\n", round,
              (void *)all[i].addr);
  for (int i = 0; i < nslots; i++) {
    struct slot *s = &slots[i];
    if (!s->obj)
      continue;
    const void *objs[2] = {s->obj, NULL};
    if (s->kind == PAIR)
      objs[1] = (char *)s->block + ((char *)s->obj == s->block ? 8 : 0);
    for (int k = 0; k < 2 && objs[k]; k++) {
      expected++;
      struct dsu_heap_object *e = find(all, n, objs[k]);
      if (!e) {
        if (errors++ < 5)
          fprintf(stderr, "round %d: live object %p (%s) is not tracked\n",
                  round, objs[k], s->tag);
      } else if (e->size != s->size || e->tag != s->tag) {
        if (errors++ < 5)
          fprintf(stderr,
                  "round %d: %p tracked as %zu bytes of %s, not %zu of %s\n",
                  round, objs[k], (size_t)e->size, e->tag, s->size, s->tag);
      }
    }
  }
  if (n != expected) {
    errors++;
    fprintf(stderr, "round %d: %zu objects tracked, %zu live\n", round, n,
            expected);
  }
  free(all);
  return errors;
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 6;
  int nthreads = argc > 2 ? atoi(argv[2]) : 8;
  ops_per_thread = argc > 3 ? atoi(argv[3]) : 200000;
  if (argc > 4 && atoi(argv[4]) > 0 && atoi(argv[4]) <= MAX_SLOTS)
    nslots = atoi(argv[4]);
  if (argc > 5 && atoi(argv[5]) > 0)
    nsizes = atoi(argv[5]);
  for (int i = 0; i < MAX_SLOTS; i++)
    pthread_mutex_init(&slots[i].lock, NULL);
  int errors = 0;
  for (int round = 0; round < rounds && !errors; round++) {
    pthread_t t[64], snap;
    workers_running = 1;
    pthread_create(&snap, NULL, snapshotter, NULL);
    for (int i = 0; i < nthreads && i < 64; i++)
      pthread_create(&t[i], NULL, worker,
                     (void *)(uintptr_t)(round * 64 + i + 1));
    for (int i = 0; i < nthreads && i < 64; i++)
      pthread_join(t[i], NULL);
    __atomic_store_n(&workers_running, 0, __ATOMIC_RELEASE);
    pthread_join(snap, NULL);
    errors += check(round);
    if (!errors)
      printf("round %d: %zu objects tracked, as many as live\n", round,
             dsu_heap_tracked());
  }
  /* Everything freed: nothing may stay listed. */
  for (int i = 0; i < nslots && !errors; i++)
    release(&slots[i]);
  if (!errors && dsu_heap_tracked() != 0) {
    fprintf(stderr, "%zu objects tracked after every one was freed\n",
            dsu_heap_tracked());
    errors++;
  }
  if (errors) {
    fprintf(stderr, "FAIL: %d errors\n", errors);
    return 1;
  }
  printf("PASS\n");
  return 0;
}
