// A magic-value bug: only x == 0x1badc0de reaches the assertion failure.
// VERDICT: error
// KIND: assertion
#include <assert.h>
#include <klee/klee.h>

int main(void) {
  unsigned x;
  klee_make_symbolic(&x, sizeof x, "x");
  if ((x ^ 0x5a5a5a5a) == (0x1badc0deu ^ 0x5a5a5a5a))
    assert(0 && "magic value");
  return 0;
}
