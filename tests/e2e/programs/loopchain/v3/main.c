/* v3: the counter is a long long (see v1). */
#include <dsu.h>
#include <stdio.h>
int main(void) {
  long long x = 0;
  for (;;) {
    DSU_UPDATE_POINT();
    x++;
    printf("x %lld (v3)\n", x);
    if (x == 8)
      break;
  }
  printf("finished\n");
  return 0;
}
