// number_roundtrip with a wrong claim: the first of the six digits may be
// 0 here, and "012345" comes back as "12345", which the check must find
// (the case is replayed natively).
// VERDICT: error
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
  /* Six digits. */
  if (end != s + 6 || s[0] < '0' || s[0] > '9')
    return 0;
  n = print(back, (unsigned long long)v);
  klee_assert(n == 6);
  klee_assert(memcmp(back, s, 6) == 0);
  return 0;
}
