// The merge runtime's __dsu_merge_skip_null (lib/Merge/runtime), which dsu
// symex answers natively so that a commit does not interpret a loop over
// every slot of a mostly empty hash table: it may skip only slots it knows
// to be null. A table with null slots, two pointers and a slot with one
// symbolic byte, scanned up to a bound below its end: the scan must find
// every slot that is not null (the symbolic one whenever its byte is not
// 0), stop at no other slot and never pass the bound.
// VERDICT: holds
#include <klee/klee.h>
#include <stddef.h>

extern size_t __dsu_merge_skip_null(const char *base, size_t off, size_t end)
    __attribute__((weak));

static size_t skip(const char *base, size_t off, size_t end) {
  return __dsu_merge_skip_null ? __dsu_merge_skip_null(base, off, end) : off;
}

static void *table[64];
static int x, y;

int main(void) {
  unsigned char byte;
  klee_make_symbolic(&byte, 1, "byte");
  table[3] = &x;
  table[40] = &y;
  table[55] = &x; // past the bound
  ((unsigned char *)&table[20])[2] = byte;
  const char *base = (const char *)table;
  size_t end = 50 * sizeof(void *);
  unsigned long found = 0;
  int stops = 0;
  for (size_t off = skip(base, 0, end); off + sizeof(void *) <= end;
       off = skip(base, off + sizeof(void *), end)) {
    klee_assert(off % sizeof(void *) == 0);
    stops++;
    if (*(void **)(base + off))
      found |= 1ul << (off / sizeof(void *));
  }
  unsigned long want = 1ul << 3 | 1ul << 40 | (byte ? 1ul << 20 : 0);
  klee_assert(found == want);
  // Natively every slot below the bound is a stop; under dsu symex only
  // the ones not known to be null.
  klee_assert(__dsu_merge_skip_null ? stops == 3 : stops == 50);
  return 0;
}
