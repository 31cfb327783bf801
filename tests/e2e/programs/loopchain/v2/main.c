/* v2: only the code after the loop changes (see v1). */
#include <dsu.h>
#include <stdio.h>
int main(void) {
  int x = 0;
  for (;;) {
    DSU_UPDATE_POINT();
    x++;
    printf("x %d\n", x);
    if (x == 8)
      break;
  }
  printf("finished\n");
  return 0;
}
