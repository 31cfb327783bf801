/* A void * that could hold a pointer to a struct whose layout changes: dsu
 * cannot know, so it must refuse to relocate such objects. */
#include <stdio.h>
#include <stdlib.h>
#include <dsu.h>

struct item {
  int id;
};

struct slot {
  void *data; /* sometimes a struct item */
};

static struct slot slots[4];

static void handle(const char *line) {
  struct item *it = malloc(sizeof *it);
  it->id = line[0];
  slots[it->id % 4].data = it;
  printf("%d\n", it->id);
}

int main(void) {
  char line[64];
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (fgets(line, sizeof line, stdin)) {
    DSU_UPDATE_POINT();
    handle(line);
  }
  return 0;
}
