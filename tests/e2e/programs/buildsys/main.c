#include <stdio.h>
#include <dsu.h>
#include "greet.h"

int main(void) {
  char line[64];
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (fgets(line, sizeof line, stdin)) {
    DSU_UPDATE_POINT();
    greet(line);
  }
  return 0;
}
