// A loop whose trip count is symbolic and large: with a bound of 5
// iterations the answer is unknown, never "holds".
// ARGS: --max-loop-iterations 5
// VERDICT: unknown
#include <klee/klee.h>

int main(void) {
  unsigned n = klee_int("n");
  unsigned s = 0;
  for (unsigned i = 0; i < n; ++i)
    s += i;
  return s == 12345;
}
