// Recursion, structs passed and returned by value, memcpy/memset, realloc:
// a growable vector filled recursively keeps its elements.
// VERDICT: holds
#include <klee/klee.h>
#include <stdlib.h>
#include <string.h>

struct pair {
  long a;
  long b;
};

struct vec {
  struct pair *items;
  unsigned len, cap;
};

static struct pair make(long x) {
  struct pair p = {x, 2 * x};
  return p;
}

static void fill(struct vec *v, unsigned n, long x) {
  if (n == 0)
    return;
  if (v->len == v->cap) {
    v->cap = v->cap ? 2 * v->cap : 1;
    v->items = realloc(v->items, v->cap * sizeof *v->items);
  }
  v->items[v->len++] = make(x);
  fill(v, n - 1, x + 1);
}

int main(void) {
  unsigned n = klee_range(0, 6, "n");
  long x = klee_int("x");
  struct vec v;
  memset(&v, 0, sizeof v);
  fill(&v, n, x);
  klee_assert(v.len == n);
  for (unsigned i = 0; i < v.len; ++i) {
    struct pair p;
    memcpy(&p, &v.items[i], sizeof p);
    klee_assert(p.a == x + i && p.b == 2 * p.a);
  }
  free(v.items);
  return 0;
}
