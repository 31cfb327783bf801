/* v1 reads the loop's counter after the loop; v2 only changes the code after
 * the loop (so main is replaced, the loop body is not); v3 makes the counter
 * a long long. A process that came from v1 may run v1's main around the
 * loop, which reads the counter after it: v2 -> v3 must not migrate the loop
 * there, though v2's main does not read it. */
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
  printf("final %d\n", x);
  return 0;
}
