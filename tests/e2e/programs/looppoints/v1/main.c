/* A batch loop with one update point per turn. v2 adds a second update
 * point in the middle of the turn (between its two phases), as a developer
 * does to make updates come sooner: clang gives each point's atomic load a
 * temporary in main's frame, so v2's loop body takes one more local than
 * v1's frame has. The running loop goes on with v2's body, with fresh
 * storage for the new temporary. */
#include <dsu.h>
#include <stdio.h>

int main(void) {
  long done = 0;
  int phase_a = 0, phase_b = 0;
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (int turn = 0; turn < 8; turn++) {
    DSU_UPDATE_POINT();
    phase_a += turn;
    phase_b += 2 * turn;
    done++;
    printf("turn %d a %d b %d done %ld\n", turn, phase_a, phase_b, done);
  }
  return 0;
}
