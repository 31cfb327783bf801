// A symbolic allocation size and output size with four possible values: the
// executor forks once per value (bounded by --max-concretize-values) and
// proves every one.
// VERDICT: holds
#include <assert.h>
#include <klee/klee.h>
#include <stdlib.h>
#include <unistd.h>

int main(void) {
  int n = klee_range(1, 5, "n");
  char *p = malloc(n);
  for (int i = 0; i < n; ++i)
    p[i] = 'x';
  assert(p[n - 1] == 'x');
  write(1, p, n);
  free(p);
  return 0;
}
