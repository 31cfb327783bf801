/* transform_order.c - the eager state transfer when the moved objects do not
 * come in address order.
 *
 * The relocation map is an index of the list of moved objects sorted by
 * old address (runtime/dsu_heap.c, struct starts). Objects of a class (a
 * tag, size and allocator with a shadow byte of their own) are listed in
 * address order already; objects whose records are in the logs are listed
 * newest first, and the list must be sorted before it is indexed. This
 * test makes the moved objects come from the logs in scrambled order: the
 * node's tag first spends its classes on arrays of 2..9 nodes, so every
 * single node gets a log record; nodes are allocated, half of them freed at
 * random and more allocated into the holes; the list links them in a
 * random order, then through every element of every array (element starts
 * past the first are in the map's hash table, not the index). Objects of
 * another type, which stay, point at array elements. After the update,
 * every link and every reference must lead to the new node it led to before
 * (same value), every array element to its place in its new array.
 * Objects at addresses that are not 8-aligned (a program's own allocator,
 * tracked in the table) are not in the map's index but in its hash table:
 * two of them, which shrink and are rewritten in place, point at each
 * other.
 *
 * usage: transform_order [N]
 */
#include "dsu_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void __dsu_track_alloc(void *p, size_t size, const char *tag);
void __dsu_track_free(void *p);
void __dsu_track_foreign(void *p, size_t size, const char *tag);

struct node1 {
  int value;
  struct node1 *next;
};
struct node2 {
  long weight;
  int value;
  struct node2 *next;
};
struct ref {
  void *to;
  int index;
};

struct rec1 {
  long a, b;
  struct rec1 *peer;
};
struct rec2 {
  long a;
  struct rec2 *peer;
};

#define TAGREC1 "struct rec#55555555"
#define TAGREC2 "struct rec#66666666"
#define TAG1 "struct node#11111111"
#define TAG2 "struct node#22222222"
#define TAGREF "struct ref#44444444"
#define ARRAYS 8 /* of 2..9 nodes */

static struct node1 *head;

static int xform(void *n, const void *o) {
  const struct node1 *a = o;
  struct node2 *b = n;
  b->value = a->value;
  b->next = (struct node2 *)a->next;
  b->weight = 2L * a->value;
  return 0;
}

static int xform_rec(void *n, const void *o) {
  struct rec1 a;
  memcpy(&a, o, sizeof a); /* misaligned */
  struct rec2 b = {a.a + a.b, (struct rec2 *)a.peer};
  memcpy(n, &b, sizeof b);
  return 0;
}

static struct rec1 *rec_head;

static unsigned long seed = 12345;
static unsigned long next_random(void) {
  seed = seed * 6364136223846793005ul + 1442695040888963407ul;
  return seed >> 33;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 20000;
  /* The tag's classes, spent on arrays. */
  struct node1 *arrays[ARRAYS];
  for (int a = 0; a < ARRAYS; a++) {
    arrays[a] = calloc(a + 2, sizeof(struct node1));
    __dsu_track_alloc(arrays[a], (a + 2) * sizeof(struct node1), TAG1);
  }
  /* Single nodes in scrambled places: 2n, half freed, n/2 more. */
  struct node1 **all = malloc(2 * n * sizeof *all);
  for (long i = 0; i < 2 * n; i++) {
    all[i] = malloc(sizeof(struct node1));
    __dsu_track_alloc(all[i], sizeof(struct node1), TAG1);
  }
  long live = 0;
  for (long i = 0; i < 2 * n; i++)
    if (next_random() % 2) {
      __dsu_track_free(all[i]);
      free(all[i]);
    } else {
      all[live++] = all[i];
    }
  for (long i = 0; i < n / 2; i++) {
    all[live] = malloc(sizeof(struct node1));
    __dsu_track_alloc(all[live++], sizeof(struct node1), TAG1);
  }
  for (long i = live - 1; i > 0; i--) { /* the list's order: random */
    long j = (long)(next_random() % (unsigned long)(i + 1));
    struct node1 *t = all[i];
    all[i] = all[j];
    all[j] = t;
  }
  /* head -> singles -> every array element -> NULL; values in order. */
  long total = live;
  for (int a = 0; a < ARRAYS; a++)
    total += a + 2;
  int *expect = malloc(total * sizeof *expect);
  struct node1 **link = &head;
  long k = 0;
  for (long i = 0; i < live; i++, k++) {
    *link = all[i];
    all[i]->value = (int)k;
    expect[k] = (int)k;
    link = &all[i]->next;
  }
  for (int a = 0; a < ARRAYS; a++)
    for (int e = a + 1; e >= 0; e--, k++) {
      *link = &arrays[a][e];
      arrays[a][e].value = (int)k;
      expect[k] = (int)k;
      link = &arrays[a][e].next;
    }
  *link = NULL;
  /* Objects that stay, pointing at each array's last element. */
  struct ref *refs[ARRAYS];
  for (int a = 0; a < ARRAYS; a++) {
    refs[a] = malloc(sizeof *refs[a]);
    __dsu_track_alloc(refs[a], sizeof *refs[a], TAGREF);
    refs[a]->to = &arrays[a][a + 1];
    refs[a]->index = arrays[a][a + 1].value;
  }

  /* Two misaligned objects of the program's own allocator (never freed). */
  char *pool = malloc(128);
  struct rec1 *r1 = (struct rec1 *)(pool + 1), *r2 = (struct rec1 *)(pool + 43);
  struct rec1 v1 = {1, 2, r2}, v2 = {30, 40, r1};
  memcpy(r1, &v1, sizeof v1);
  memcpy(r2, &v2, sizeof v2);
  __dsu_track_foreign(r1, sizeof *r1, TAGREC1);
  __dsu_track_foreign(r2, sizeof *r2, TAGREC1);
  rec_head = r1;

  struct dsu_type_xform types[3] = {
      {TAG1, TAG2, sizeof(struct node1), sizeof(struct node2), xform, NULL,
       sizeof(struct node1), sizeof(struct node2), NULL, NULL, NULL},
      {TAGREC1, TAGREC2, sizeof(struct rec1), sizeof(struct rec2), xform_rec,
       NULL, sizeof(struct rec1), sizeof(struct rec2), NULL, NULL, NULL},
      {0}};
  struct dsu_pointer_field fields[4] = {
      {TAG2, offsetof(struct node2, next), "struct node.next", 0,
       sizeof(struct node2), 0, 0},
      {TAGREF, offsetof(struct ref, to), "struct ref.to", 0, sizeof(struct ref),
       0, 0},
      {TAGREC2, offsetof(struct rec2, peer), "struct rec.peer", 0,
       sizeof(struct rec2), 0, 0},
      {0}};
  struct dsu_global_pointer gptrs[3] = {{&head, "global head", 0, 0, 0},
                                        {&rec_head, "global rec_head", 0, 0, 0},
                                        {0}};
  struct dsu_transform_stats stats;
  char err[512];
  if (dsu_transform_state(types, NULL, NULL, fields, gptrs, NULL, NULL, &stats,
                          err, sizeof err) != 0) {
    fprintf(stderr, "transform_order: refused: %s\n", err);
    return 1;
  }
  dsu_transform_finish();
  if ((long)stats.objects != total + 2) {
    fprintf(stderr, "transform_order: %zu objects moved, not %ld\n",
            stats.objects, total + 2);
    return 1;
  }
  /* In place, at the same misaligned addresses, still each other's peer. */
  struct rec2 n1, n2;
  memcpy(&n1, r1, sizeof n1);
  memcpy(&n2, r2, sizeof n2);
  if (rec_head != r1 || n1.a != 3 || n2.a != 70 ||
      n1.peer != (struct rec2 *)r2 || n2.peer != (struct rec2 *)r1) {
    fprintf(stderr, "transform_order: misaligned objects wrong\n");
    return 1;
  }
  k = 0;
  for (struct node2 *x = (struct node2 *)head; x; x = x->next, k++)
    if (k >= total || x->value != expect[k] || x->weight != 2L * x->value) {
      fprintf(stderr, "transform_order: node %ld holds %d (%ld), not %d\n", k,
              x->value, x->weight, k < total ? expect[k] : -1);
      return 1;
    }
  if (k != total) {
    fprintf(stderr, "transform_order: %ld nodes after the update, not %ld\n", k,
            total);
    return 1;
  }
  for (int a = 0; a < ARRAYS; a++) {
    struct node2 *to = refs[a]->to;
    /* The last element of a new array: its first element is a + 1 nodes
     * before it, and holds the value the list gave it. */
    if (to->value != refs[a]->index ||
        (to - (a + 1))->value != refs[a]->index + (a + 1)) {
      fprintf(stderr, "transform_order: ref %d leads to %d, not %d\n", a,
              to->value, refs[a]->index);
      return 1;
    }
  }
  printf("ok: %ld nodes, %zu pointers\n", total, stats.pointers);
  return 0;
}
