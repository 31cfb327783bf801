// Forking over the possible sizes finds the one size (1) for which the
// fixed-index write overflows; the replay reproduces it natively.
// VERDICT: error
// KIND: out-of-bounds
#include <klee/klee.h>
#include <stdlib.h>

int main(void) {
  int n = klee_range(1, 4, "n");
  char *p = malloc(n);
  p[n - 1] = 0;
  p[1] = 0;
  free(p);
  return 0;
}
