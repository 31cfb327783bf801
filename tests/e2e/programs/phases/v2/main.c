/* Two update points. In phase one, phase_one() holds a pointer to a struct
 * counter in its frame, so a patch that changes struct counter must not be
 * applied there: the old frame would go on using the old, freed object. In
 * phase two no active function touches the struct, so the update is safe. */
#include <stdio.h>
#include <stdlib.h>
#include <dsu.h>

struct counter {
  long hits;
  int misses;
};

static struct counter *shared;

static void bump(struct counter *c) {
  c->hits++;
  printf("hits %ld\n", c->hits);
}

static void report(void) {
  printf("total hits %ld misses %d\n", shared->hits, shared->misses);
}

static void phase_one(void) {
  char line[64];
  struct counter *c = calloc(1, sizeof(struct counter));
  shared = c;
  while (fgets(line, sizeof line, stdin)) {
    DSU_UPDATE_POINT(); /* unsafe for a patch that changes struct counter */
    if (line[0] == 'n')
      return;
    bump(c);
  }
}

static void phase_two(void) {
  char line[64];
  while (fgets(line, sizeof line, stdin)) {
    DSU_UPDATE_POINT(); /* safe */
    report();
  }
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  phase_one();
  phase_two();
  return 0;
}
