/* main, which is on the stack at the update point, keeps a pointer to a
 * struct whose layout changes across the update: unsafe, refused. */
#include <stdio.h>
#include <stdlib.h>
#include <dsu.h>

struct counter {
  long hits;
  int misses;
};

static void bump(struct counter *c) { printf("%ld\n", ++c->hits); }

int main(void) {
  char line[64];
  struct counter *c = calloc(1, sizeof(struct counter));
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (fgets(line, sizeof line, stdin)) {
    DSU_UPDATE_POINT();
    bump(c);
  }
  return 0;
}
