// A symbolic allocation size and a symbolic output size that can each take
// only one value: the solver says so, so nothing is lost and the verdict is
// holds (it was unknown while every concretization counted as a loss).
// VERDICT: holds
#include <klee/klee.h>
#include <stdlib.h>
#include <unistd.h>

int main(void) {
  unsigned n = klee_int("n");
  klee_assume(n == 12);
  char *p = malloc(n);
  for (unsigned i = 0; i < 12; ++i)
    p[i] = 'a' + i;
  p[n - 1] = '\n';
  write(1, p, n);
  free(p);
  return 0;
}
