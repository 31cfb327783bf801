/* transform_bench.c - the eager state transfer of libdsu, driven directly.
 *
 * Builds a list of N nodes {int value; struct node *next} through the
 * tracking entry points dsu-cc's instrumentation calls, then runs
 * dsu_transform_state with the tables a patch adding a `long` field would
 * give (the type's transformer, the `next` field, the global `head`), as
 * bench/programs/grow does through the whole toolchain. Prints the time of
 * the transfer and checks the list after it: every node moved, every value
 * kept, every link leads to a new node. Then it frees every other node and
 * reallocates the rest one by one (as a program does with its objects after
 * an update), runs a second update over the transformed nodes, and frees
 * everything: the new objects must behave as the allocator's own (they
 * come from libdsu's slabs, runtime/dsu_slab.c, unless DSU_NO_SLABS=1).
 * The memory of the first transfer is prepared ahead (dsu_transform_prepare,
 * as while a patch loads), from half the list in the first round and the
 * whole list in the others.
 *
 * usage: transform_bench [N [ROUNDS]]
 */
#include "dsu_internal.h"

#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void __dsu_track_alloc(void *p, size_t size, const char *tag);
void __dsu_track_free(void *p);
void __dsu_track_realloc(void *old, void *p, size_t size, const char *tag);

struct node1 {
  int value;
  struct node1 *next;
};
struct node2 {
  int value;
  struct node2 *next;
  long weight;
};
struct node3 {
  long weight;
  struct node3 *next;
  int value;
  char pad[20];
};

static void *head;

#define TAG1 "struct node#11111111"
#define TAG2 "struct node#22222222"
#define TAG3 "struct node#33333333"

static int xform12(void *n, const void *o) {
  const struct node1 *a = o;
  struct node2 *b = n;
  b->value = a->value;
  b->next = (struct node2 *)a->next;
  b->weight = a->value * 2L;
  return 0;
}

static int xform23(void *n, const void *o) {
  const struct node2 *a = o;
  struct node3 *b = n;
  b->value = a->value;
  b->next = (struct node3 *)a->next;
  b->weight = a->weight + 1;
  return 0;
}

static double ms(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int update(const char *from, const char *to, size_t old_size,
                  size_t new_size, dsu_xform_fn fn, size_t next_offset,
                  const char *name, long n) {
  struct dsu_type_xform types[2] = {{from, to, old_size, new_size, fn, NULL,
                                     old_size, new_size, NULL, NULL, NULL},
                                    {0}};
  struct dsu_pointer_field fields[2] = {
      {to, next_offset, "struct node.next", 0, new_size, 0, 0}, {0}};
  struct dsu_global_pointer gptrs[2] = {{&head, "global head", 0, 0, 0}, {0}};
  struct dsu_transform_stats stats;
  char err[512];
  /* The thread's CPU time too: on a loaded machine the wall time says more
   * of the other programs than of the transfer. */
  double t0 = ms(CLOCK_MONOTONIC), c0 = ms(CLOCK_THREAD_CPUTIME_ID);
  int rc = dsu_transform_state(types, NULL, NULL, fields, gptrs, NULL, NULL,
                               &stats, err, sizeof err);
  double t1 = ms(CLOCK_MONOTONIC), c1 = ms(CLOCK_THREAD_CPUTIME_ID);
  if (rc != 0) {
    fprintf(stderr, "transform_bench: %s refused: %s\n", name, err);
    return 1;
  }
  dsu_transform_finish();
  printf("%s: %zu objects, %zu pointers: %.2f ms (CPU %.2f ms), %.1f million "
         "objects/s\n",
         name, stats.objects, stats.pointers, t1 - t0, c1 - c0,
         stats.objects / ((t1 - t0) / 1e3) / 1e6);
  if ((long)stats.objects != n) {
    fprintf(stderr, "transform_bench: %zu objects moved, not %ld\n",
            stats.objects, n);
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100000;
  int rounds = argc > 2 ? atoi(argv[2]) : 1;
  /* Linked with --export-dynamic, as dsu-cc links: libdsu's free is the
   * process's, and slabs must be in use unless they are turned off. */
  const char *off = getenv("DSU_NO_SLABS");
  if (!(off && *off && strcmp(off, "0") != 0) && !dsu_slabs_usable()) {
    fprintf(stderr, "transform_bench: libdsu's slabs are not usable\n");
    return 1;
  }
  for (int round = 0; round < rounds; round++) {
    head = NULL;
    for (long i = 0; i < n; i++) {
      /* Memory for the transfer made ahead, as while a patch loads: from
       * half the list in round 0 (the slab outgrows what was prepared),
       * from the whole list in the others (more was prepared than used). */
      if (i == (round == 0 ? n / 2 : n - 1)) {
        struct dsu_type_xform t[2] = {{TAG1, TAG2, sizeof(struct node1),
                                       sizeof(struct node2), xform12, NULL,
                                       sizeof(struct node1),
                                       sizeof(struct node2), NULL, NULL, NULL},
                                      {0}};
        dsu_transform_prepare(t);
      }
      struct node1 *x = malloc(sizeof *x);
      __dsu_track_alloc(x, sizeof *x, TAG1);
      x->value = (int)(i % 1000);
      x->next = head;
      head = x;
    }
    if (update(TAG1, TAG2, sizeof(struct node1), sizeof(struct node2), xform12,
               offsetof(struct node2, next), "update 1", n))
      return 1;
    /* Every node moved, kept its value, and links to a new node. */
    long count = 0, i = n;
    struct node2 *prev = NULL;
    for (struct node2 *x = head; x; x = x->next, count++) {
      i--;
      if (x->value != (int)(i % 1000) || x->weight != 2L * x->value) {
        fprintf(stderr, "transform_bench: node %ld holds %d, %ld\n", count,
                x->value, x->weight);
        return 1;
      }
      prev = x;
    }
    (void)prev;
    if (count != n) {
      fprintf(stderr, "transform_bench: %ld nodes after the update\n", count);
      return 1;
    }
    /* The program frees some transformed objects and grows the others
     * (realloc), as it would its own; the list stays whole. */
    struct node2 **link = (struct node2 **)&head;
    long k = 0;
    while (*link) {
      struct node2 *x = *link;
      if (k++ % 3 == 0) {
        *link = x->next;
        __dsu_track_free(x);
        free(x);
        continue;
      }
      if (malloc_usable_size(x) < sizeof *x) {
        fprintf(stderr, "transform_bench: usable size %zu\n",
                malloc_usable_size(x));
        return 1;
      }
      if (k % 3 == 2) { /* grown and shrunk back: moved by realloc */
        uintptr_t was = (uintptr_t)x;
        struct node2 *y = realloc(x, 4096);
        if (!y)
          return 1;
        /* An untyped realloc keeps the tag (the runtime looks it up in
         * its logs, slowly: only a few). */
        __dsu_track_realloc((void *)was, y, 4096, k % 99998 == 2 ? NULL : TAG2);
        was = (uintptr_t)y;
        struct node2 *z = realloc(y, sizeof *z);
        if (!z)
          return 1;
        __dsu_track_realloc((void *)was, z, sizeof *z, TAG2);
        *link = x = z;
      }
      link = &x->next;
    }
    long kept = 0;
    for (struct node2 *x = head; x; x = x->next)
      kept++;
    /* A second update over the transformed objects. */
    if (update(TAG2, TAG3, sizeof(struct node2), sizeof(struct node3), xform23,
               offsetof(struct node3, next), "update 2", kept))
      return 1;
    count = 0;
    for (struct node3 *x = head; x; x = x->next, count++)
      if (x->weight != 2L * x->value + 1) {
        fprintf(stderr, "transform_bench: node %ld holds %d, %ld\n", count,
                x->value, x->weight);
        return 1;
      }
    if (count != kept) {
      fprintf(stderr, "transform_bench: %ld nodes, not %ld\n", count, kept);
      return 1;
    }
    while (head) {
      struct node3 *x = head;
      head = x->next;
      __dsu_track_free(x);
      free(x);
    }
    if (dsu_heap_tracked() != 0) {
      fprintf(stderr, "transform_bench: %zu objects still tracked\n",
              dsu_heap_tracked());
      return 1;
    }
  }
  printf("ok\n");
  return 0;
}
