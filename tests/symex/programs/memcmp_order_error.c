// memcmp_order with a wrong claim: that the sign of memcmp follows the
// bytes as signed chars. A byte of 0x80 or more after equal bytes shows it
// (replayed natively against the real memcmp).
// VERDICT: error
#include <klee/klee.h>
#include <string.h>

int main(void) {
  char a[4];
  const char b[4] = {'a', 'b', 'c', 'd'};
  klee_make_symbolic(a, sizeof a, "a");
  int r = memcmp(a, b, 4);
  if (a[0] == 'a' && a[1] == 'b' && r != 0)
    klee_assert((r < 0) == (a[2] < 'c' || (a[2] == 'c' && a[3] < 'd')));
  return 0;
}
