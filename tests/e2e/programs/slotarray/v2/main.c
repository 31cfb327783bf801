/* An array of an unchanged struct (calloc(8, sizeof(struct slot))) whose
 * elements point to a struct that v2 changes: each element must be read
 * and redirected, not only the first. */
#include <dsu.h>
#include <stdio.h>
#include <stdlib.h>
struct item {
  long pad;
  int id;
};
struct slot {
  struct item *it;
  int used;
};
static struct slot *slots;
static void handle(const char *line) {
  if (line[0] == 'p') {
    for (int i = 0; i < 8; i++)
      if (slots[i].used)
        printf("slot %d: %d\n", i, slots[i].it->id);
    return;
  }
  struct item *it = malloc(sizeof *it);
  it->id = line[0];
  slots[it->id % 8].it = it;
  slots[it->id % 8].used = 1;
}
int main(void) {
  char line[64];
  setvbuf(stdout, NULL, _IOLBF, 0);
  slots = calloc(8, sizeof(struct slot));
  while (fgets(line, sizeof line, stdin)) {
    DSU_UPDATE_POINT();
    handle(line);
  }
  return 0;
}
