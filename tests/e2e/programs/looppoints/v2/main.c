/* v2: a second update point between the turn's two phases (see v1). */
#include <dsu.h>
#include <stdio.h>

int main(void) {
  long done = 0;
  int phase_a = 0, phase_b = 0;
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (int turn = 0; turn < 8; turn++) {
    DSU_UPDATE_POINT();
    phase_a += turn;
    DSU_UPDATE_POINT();
    phase_b += 2 * turn;
    done++;
    printf("turn %d a %d b %d done %ld (v2)\n", turn, phase_a, phase_b, done);
  }
  return 0;
}
