/* Update safety after the last use. main initialises a struct item before
 * its loop and never touches one again; before() reaches its update point
 * with a field access still ahead of it; after() reaches its update point
 * after its last field access and then only passes along a pointer it loads
 * from a global (which the runtime fixes when it moves the object). A patch
 * that changes struct item is safe at after()'s point, not at before()'s,
 * and main does not block either. */
#include <stdio.h>
#include <stdlib.h>
#include <dsu.h>

struct item {
  long n;
  int seen;
};

static struct item *current;

static void show(struct item *it) {
  it->seen++;
  printf("n %ld seen %d\n", it->n, it->seen);
}

static void before(void) {
  DSU_UPDATE_POINT(); /* before the use: unsafe */
  current->n++;
  printf("before %ld\n", current->n);
}

static void after(void) {
  current->n += 10;
  printf("after %ld\n", current->n);
  DSU_UPDATE_POINT(); /* after the last use: safe */
  show(current);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct item *it = malloc(sizeof(struct item));
  it->n = 0;
  current = it;
  char line[64];
  while (fgets(line, sizeof line, stdin)) {
    if (line[0] == 'b')
      before();
    else if (line[0] == 'a')
      after();
  }
  printf("bye\n");
  return 0;
}
