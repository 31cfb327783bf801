// printf-family output: sprintf of a symbolic byte followed by atoi gives
// the byte back, and the output trace records what printf wrote.
// VERDICT: holds
#include <klee/klee.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  unsigned char b;
  klee_make_symbolic(&b, 1, "b");
  char buf[8];
  int n = snprintf(buf, sizeof buf, "%u", b);
  klee_assert(n >= 1 && n <= 3);
  klee_assert(atoi(buf) == b);
  printf("%s\n", buf);
  return 0;
}
