// A digit indexes a 10,000-entry table of pointers to objects, as redis
// does with its shared integers: the read forks once per possible index (10)
// instead of building a term over the table, so the pointer it yields is
// concrete on each path (10 targets would be over the bound of 8).
// VERDICT: holds
// STATUS: 0
#include <klee/klee.h>
#include <stdlib.h>

struct obj {
  int refcount;
  long value;
};
static struct obj *table[10000];

int main(void) {
  char c;
  for (int i = 0; i < 10000; i++) {
    table[i] = malloc(sizeof(struct obj));
    table[i]->refcount = 1;
    table[i]->value = i;
  }
  klee_make_symbolic(&c, 1, "c");
  if (c >= '0' && c <= '9') {
    struct obj *o = table[c - '0'];
    o->refcount++;
    klee_assert(o->value == c - '0' && o->refcount == 2);
  }
  return 0;
}
