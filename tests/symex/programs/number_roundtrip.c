// A number read with strtol and printed back digit by digit (the loop of
// redis's ll2string), compared with its text by memcmp: the text of a
// number in canonical form (no sign, no leading zero) is always what comes
// back. Six symbolic bytes.
// VERDICT: holds
#include <klee/klee.h>
#include <stdlib.h>
#include <string.h>

static int print(char *s, unsigned long long v) {
  char buf[32], *p = buf + 31;
  int n;
  do {
    *p-- = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  ++p;
  n = (int)(buf + 32 - p);
  memcpy(s, p, (size_t)n);
  return n;
}

int main(void) {
  char s[7], back[32], *end;
  long v;
  int n;
  klee_make_symbolic(s, 6, "s");
  s[6] = 0;
  v = strtol(s, &end, 10);
  /* Canonical: six digits, the first not 0. */
  if (end != s + 6 || s[0] < '1' || s[0] > '9')
    return 0;
  n = print(back, (unsigned long long)v);
  klee_assert(n == 6);
  klee_assert(memcmp(back, s, 6) == 0);
  return 0;
}
