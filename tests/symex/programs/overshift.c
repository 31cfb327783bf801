// Overshift: a bit index from the input is used without a range check.
// VERDICT: error
// KIND: overshift
#include <klee/klee.h>

int main(void) {
  unsigned bit = klee_range(0, 40, "bit");
  unsigned mask = 1u << bit;
  return mask != 0;
}
