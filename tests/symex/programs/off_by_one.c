// Off-by-one: the loop writes buf[8] on the last iteration.
// VERDICT: error
// KIND: out-of-bounds
#include <klee/klee.h>

int main(void) {
  int buf[8];
  int n = klee_range(0, 10, "n");
  for (int i = 0; i <= n && i <= 8; ++i)
    buf[i] = i;
  return buf[0];
}
