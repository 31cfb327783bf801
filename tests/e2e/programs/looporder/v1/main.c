/* Two counters; v2 updates them in the other order. The extracted loop body
 * takes the counters' addresses in the order it first uses them, so v2's
 * body takes them swapped: it must not be rebound to v1's slot as if its
 * frame were the same (it was, before loop bodies' frames named their
 * locals). */
#include <dsu.h>
#include <stdio.h>
int main(void) {
  int small = 0, big = 0;
  for (int i = 0; i < 6; i++) {
    DSU_UPDATE_POINT();
    small += 1;
    big += 100;
    printf("small %d big %d\n", small, big);
  }
  return 0;
}
