// String parsing from a symbolic request on stdin: "SET <n>" stores n into
// a table of 8 slots indexed by n % 10 -- slots 8 and 9 are out of bounds.
// ARGS: --sym-stdin 6
// VERDICT: error
// KIND: out-of-bounds
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int table[8];

int main(void) {
  char line[16];
  if (!fgets(line, sizeof line, stdin))
    return 0;
  if (strncmp(line, "SET ", 4) != 0)
    return 0;
  int n = atoi(line + 4);
  if (n < 0)
    return 0;
  table[n % 10] = 1;
  printf("OK %d\n", n % 10);
  return 0;
}
