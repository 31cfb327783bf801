// memcmp on a symbolic buffer: zero exactly when every byte is equal, else
// the difference of the first unequal bytes as unsigned chars.
// VERDICT: holds
#include <klee/klee.h>
#include <string.h>

int main(void) {
  char a[4];
  const char b[4] = {'a', 'b', 'c', 'd'};
  klee_make_symbolic(a, sizeof a, "a");
  int r = memcmp(a, b, 4);
  if (r == 0)
    klee_assert(a[0] == 'a' && a[1] == 'b' && a[2] == 'c' && a[3] == 'd');
  else if (a[0] == 'a' && a[1] == 'b' && a[2] == 'c')
    klee_assert(r == (unsigned char)a[3] - 'd');
  else if (a[0] != 'a')
    klee_assert((r < 0) == ((unsigned char)a[0] < 'a'));
  return 0;
}
