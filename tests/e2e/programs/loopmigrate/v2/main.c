/* v2: the total is 64 bits wide; the largest sample is kept ("peak"). */
#include <dsu.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  char line[64];
  long long total = 0;
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
      printf("total %lld samples %ld\n", total, samples);
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
