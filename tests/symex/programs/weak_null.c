// VERDICT: holds
// STATUS: 0
// An undefined weak declaration is null, as the native link makes it: a
// program that tests its address before using it (the merge runtime does,
// for the tables an update without transformers does not have) must not
// read it.
#include <klee/klee.h>

extern const int optional_table[] __attribute__((weak));

int main(void) {
  int x;
  klee_make_symbolic(&x, sizeof x, "x");
  int sum = x > 0;
  if (optional_table)
    sum += optional_table[0];
  klee_assert(optional_table == 0);
  return sum;
}
