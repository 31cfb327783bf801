// A size with more possible values than the bound: the first values are
// explored, the rest is concretized and the verdict names where.
// ARGS: --max-concretize-values 4
// VERDICT: unknown
// REASON: concretize_many.c:11 (more than 4 values)
#include <klee/klee.h>
#include <stdlib.h>

int main(void) {
  int n = klee_range(1, 100, "n");
  char *p = malloc(n);
  p[0] = 0;
  free(p);
  return 0;
}
