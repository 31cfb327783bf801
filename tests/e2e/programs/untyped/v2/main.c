/* A void * field with no annotation that holds pointers to a struct whose
 * layout changes, and also plain character buffers: dsu infers from the
 * stores that it may point into a moved item and redirects what it finds
 * there (compare programs/annotated, and programs/untypednum, where numbers
 * stored in the field make dsu refuse). */
#include <dsu.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct item {
  int id;
  int extra;
};

struct slot {
  void *data; /* a struct item, or a copy of the line for odd slots */
};

static struct slot slots[4];

static void keep(struct slot *s, void *value) { s->data = value; }

static void handle(const char *line) {
  if (line[0] == 'p') {
    for (int i = 0; i < 4; i++)
      if (slots[i].data && i % 2 == 0)
        printf("slot %d: %d+%d\n", i, ((struct item *)slots[i].data)->id,
               ((struct item *)slots[i].data)->extra);
      else if (slots[i].data)
        printf("slot %d: %s", i, (char *)slots[i].data);
    return;
  }
  if (line[0] % 2) {
    keep(&slots[line[0] % 4], strdup(line));
    printf("text %c\n", line[0]);
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
