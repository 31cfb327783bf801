// The allocation size is symbolic but can only be 8: the off-by-one write
// is an error, found without the verdict being weakened by concretization.
// VERDICT: error
// KIND: out-of-bounds
#include <klee/klee.h>
#include <stdlib.h>

int main(void) {
  unsigned n = klee_int("n");
  klee_assume(n == 8);
  char *p = malloc(n);
  for (unsigned i = 0; i <= 8; ++i)
    p[i] = 0;
  free(p);
  return 0;
}
