/* v2: the same counters updated in the other order (see v1). */
#include <dsu.h>
#include <stdio.h>
int main(void) {
  int small = 0, big = 0;
  for (int i = 0; i < 6; i++) {
    DSU_UPDATE_POINT();
    big += 100;
    small += 1;
    printf("small %d big %d (v2)\n", small, big);
  }
  return 0;
}
