// strtol on a symbolic 3-character string: a parsed value is always within
// the range the digits allow, and the end pointer is consistent.
// VERDICT: holds
#include <klee/klee.h>
#include <stdlib.h>

int main(void) {
  char s[4];
  klee_make_symbolic(s, 3, "s");
  s[3] = 0;
  char *end;
  long v = strtol(s, &end, 10);
  klee_assert(v > -100 && v < 1000);
  klee_assert(end >= s && end <= s + 3);
  if (end == s)
    klee_assert(v == 0);
  return 0;
}
