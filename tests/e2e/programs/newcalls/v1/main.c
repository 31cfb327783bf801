/* Transformers that call the new version's functions by their C names
 * (tests/e2e/state_changes.sh adds the calls to the generated file): v2
 * gives each item a weight computed by a function that is new in v2
 * (weight_of, static) and records what scale(1), whose body v2 changes,
 * returns while the transformer runs: the new code's answer. */
#include <dsu.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct item {
  char name[16];
  struct item *next;
};

static struct item *items;

int scale(int x) { return x; }

static void handle(const char *line) {
  if (line[0] == 'p') {
    for (struct item *it = items; it; it = it->next)
      printf("%s\n", it->name);
    return;
  }
  struct item *it = malloc(sizeof *it);
  snprintf(it->name, sizeof it->name, "%.*s", (int)strcspn(line, "\n"), line);
  it->next = items;
  items = it;
  printf("added %s %d\n", it->name, scale(1));
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
