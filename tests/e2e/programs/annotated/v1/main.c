/* A void * field annotated with DSU_POINTS_TO: dsu redirects it when the
 * objects it points to are relocated (compare programs/untyped). */
#include <stdio.h>
#include <stdlib.h>
#include <dsu.h>

struct item {
  int id;
};

struct slot {
  void *data DSU_POINTS_TO(struct item); /* always a struct item */
};

static struct slot slots[4];

static void handle(const char *line) {
  if (line[0] == 'p') {
    for (int i = 0; i < 4; i++)
      if (slots[i].data)
        printf("slot %d: %d\n", i, ((struct item *)slots[i].data)->id);
    return;
  }
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
