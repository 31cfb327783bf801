/* A running total. v2 moves it into a new, wider global but forgets to carry
 * the old value over: updating before the first request is harmless, any
 * later update loses the total. `dsu test` must find exactly that. */
#include <stdio.h>
#include <stdlib.h>
#include <dsu.h>

static long grand_total;

static void handle(const char *line) {
  grand_total += atoi(line);
  printf("total %ld\n", grand_total);
}

int main(void) {
  char line[64];
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (fgets(line, sizeof line, stdin)) {
    DSU_UPDATE_POINT();
    handle(line);
  }
  return 0;
}
