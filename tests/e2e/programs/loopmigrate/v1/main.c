/* A small metering daemon: "add N" adds N to the running total, "p" prints
 * it. Its main loop keeps the total and the count of samples in main's
 * frame. v2 widens the total to 64 bits and adds a new local, the largest
 * sample, with a "peak" command; v3 makes the total a double. The running
 * loop takes v2's body at its next turn (control migration): the total is
 * converted by the generated local-state transformer, and the new local
 * starts at its initialiser. */
#include <dsu.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  char line[64];
  int total = 0;
  long samples = 0;
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (;;) {
    DSU_UPDATE_POINT();
    if (!fgets(line, sizeof line, stdin))
      break;
    if (line[0] == 'p') {
      printf("total %d samples %ld\n", total, samples);
      continue;
    }
    if (sscanf(line, "add %*d") == 0) {
      total += atoi(line + 4);
      samples++;
    }
  }
  return 0;
}
