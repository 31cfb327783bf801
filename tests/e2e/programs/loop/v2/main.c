/* The main loop itself changes. main() is on the stack for the whole run,
 * but dsu-cc moves the body of the loop that holds the update point into a
 * function of its own, so the next iteration after the update runs v2's body
 * (and keeps main's locals: the line counter). */
#include <stdio.h>
#include <string.h>
#include <dsu.h>

int main(void) {
  char line[64];
  int lines = 0;
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (fgets(line, sizeof line, stdin)) {
    DSU_UPDATE_POINT();
    lines++;
    if (strncmp(line, "quit", 4) == 0)
      break;
    printf("v2 line %d: %zu chars\n", lines, strlen(line) - 1);
  }
  printf("bye after %d lines\n", lines);
  return 0;
}
