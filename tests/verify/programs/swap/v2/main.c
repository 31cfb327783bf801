/* A struct whose fields v2 swaps (same replies). bump() reaches an update
 * point with an access of the struct still ahead of it: the update is
 * unsafe there and the runtime defers it to the loop's point; forced there
 * (dsu apply --force-at), old code writes the relocated object through the
 * old layout. */
#include <dsu.h>
#include <stdio.h>
#include <stdlib.h>

struct pair {
  int b;
  int a;
};

static struct pair *p;

static void show(void) { printf("a %d b %d\n", p->a, p->b); }

static void bump(void) {
  DSU_UPDATE_POINT(); /* unsafe: old code uses struct pair below */
  p->a += 1;
  show();
}

int main(void) {
  char line[16];
  setvbuf(stdout, NULL, _IOLBF, 0);
  p = calloc(1, sizeof *p);
  p->b = 100;
  while (fgets(line, sizeof line, stdin)) {
    DSU_UPDATE_POINT();
    if (line[0] == 'a')
      bump();
    else if (line[0] == 'p')
      show();
    else
      printf("?\n");
  }
  return 0;
}
