/* A 10,240-bucket global table pointing to items that v2 grows: the patch
 * describes the table as ranges (not one entry per bucket), and every
 * bucket's pointer follows its item. */
#include <stdio.h>
#include <stdlib.h>
#include <dsu.h>
struct item { int id; };
struct bucket { struct item *first, *last; };
static struct bucket table[10240];
static void handle(const char *line) {
  if (line[0] == 'p') {
    for (int i = 0; i < 10240; i++)
      if (table[i].first)
        printf("%d %d\n", i, table[i].first->id);
    return;
  }
  struct item *it = malloc(sizeof *it);
  it->id = atoi(line);
  table[it->id % 10240].first = it;
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
