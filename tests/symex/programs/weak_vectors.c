// An undefined weak declaration is null (the merge runtime tests its
// optional tables so), and vectors as -O2 code uses them: shufflevector,
// extractelement, insertelement on byte-sized elements.
// VERDICT: holds
#include <assert.h>
#include <klee/klee.h>

extern int optional_table[] __attribute__((weak));
typedef int v2 __attribute__((vector_size(8)));

int main(void) {
  assert(optional_table == 0);
  int x = klee_int("x");
  v2 a = {x, 2};
  v2 b = __builtin_shufflevector(a, a, 1, 0);
  assert(b[0] == 2 && b[1] == x);
  b[1] = 7;
  assert(b[1] == 7 && a[0] == x);
  return 0;
}
