/* v3: the total is a double, and "p" prints the mean too. */
#include <dsu.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  char line[64];
  double total = 0;
  long samples = 0;
  long peak = -1;
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (;;) {
    DSU_UPDATE_POINT();
    if (!fgets(line, sizeof line, stdin))
      break;
    if (line[0] == 'p' && line[1] == 'e') {
      printf("peak %ld\n", peak);
      continue;
    }
    if (line[0] == 'p') {
      printf("total %.0f samples %ld mean %.1f\n", total, samples,
             samples ? total / samples : 0.0);
      continue;
    }
    if (sscanf(line, "add %*d") == 0) {
      long n = atol(line + 4);
      total += n;
      samples++;
      if (n > peak)
        peak = n;
    }
  }
  return 0;
}
