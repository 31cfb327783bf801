/* A running count whose type widens in v2, so that the update runs a state
 * transformer: the hardening test stops the process inside it, in the
 * middle of the commit. */
#include <dsu.h>
#include <stdio.h>

static int total;

static void handle(void) {
  total += 1;
  printf("v1 %d\n", total);
}

int main(void) {
  char line[64];
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (fgets(line, sizeof line, stdin)) {
    DSU_UPDATE_POINT();
    handle();
  }
  return 0;
}
