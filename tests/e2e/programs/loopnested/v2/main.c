/* v2: the total is a long long (see v1). */
#include <dsu.h>
#include <stdio.h>
int main(void) {
  long long total = 0;
  for (int round = 0; round < 3; round++) {
    for (int i = 0;; i++) {
      DSU_UPDATE_POINT();
      total += 1;
      printf("round %d i %d total %lld (v2)\n", round, i, total);
      if (i == 3)
        break;
    }
  }
  return 0;
}
