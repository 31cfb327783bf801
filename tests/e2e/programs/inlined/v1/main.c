/* Functions that are never active at an update point call each other
 * directly, so clang inlines weight() into score() and score() into handle().
 * When weight() changes, the patch must rebuild its direct callers too, or
 * the old weight() would live on inside them. */
#include <stdio.h>
#include <stdlib.h>
#include <dsu.h>

static int weight(int x) { return x * 2; }
static int score(int x) { return weight(x) + 1; }
static void handle(const char *line) { printf("%d\n", score(atoi(line))); }

int main(void) {
  char line[64];
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (fgets(line, sizeof line, stdin)) {
    DSU_UPDATE_POINT();
    handle(line);
  }
  return 0;
}
