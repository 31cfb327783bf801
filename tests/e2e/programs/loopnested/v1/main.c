/* An inner loop run once per round of an outer loop; v2 makes the running
 * total a long long. The migrated inner loop's block must survive the inner
 * loop's exit, since the old outer loop runs it again in the same frame. */
#include <dsu.h>
#include <stdio.h>
int main(void) {
  int total = 0;
  for (int round = 0; round < 3; round++) {
    for (int i = 0;; i++) {
      DSU_UPDATE_POINT();
      total += 1;
      printf("round %d i %d total %d\n", round, i, total);
      if (i == 3)
        break;
    }
  }
  return 0;
}
