// An error while the program excuses errors (__dsu_symex_excuse_errors,
// what dsu verify does while the old version runs alone) ends its path
// without a verdict; one after it is an error as ever, and it is the only
// one reported.
// VERDICT: error
// KIND: out-of-bounds
// STATUS: 1
// WHERE: excused_errors.c:20
#include <klee/klee.h>

static int table[4];

int main(void) {
  int i = klee_range(0, 8, "i");
  __dsu_symex_excuse_errors(1);
  if (i == 6)
    table[i] = 1; /* excused: this path ends here, no verdict */
  __dsu_symex_excuse_errors(0);
  if (i == 7)
    table[i] = 2; /* the error */
  return table[i & 3];
}
