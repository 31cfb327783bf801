// switch over a symbolic character and glibc's ctype.h macros (which index
// the __ctype_b table): the classification is consistent for all 256 bytes.
// VERDICT: holds
#include <ctype.h>
#include <klee/klee.h>

static int kind(int c) {
  switch (c) {
  case '0': case '1': case '2': case '3': case '4':
  case '5': case '6': case '7': case '8': case '9':
    return 1;
  case ' ': case '\t': case '\n': case '\v': case '\f': case '\r':
    return 2;
  default:
    return 0;
  }
}

int main(void) {
  unsigned char c;
  klee_make_symbolic(&c, 1, "c");
  int k = kind(c);
  klee_assert((k == 1) == (isdigit(c) != 0));
  klee_assert((k == 2) == (isspace(c) != 0));
  if (isupper(c))
    klee_assert(islower(tolower(c)) && toupper(tolower(c)) == c);
  return 0;
}
