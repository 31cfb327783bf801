/* Hits and misses in one struct on the heap. v2 widens hits and adds a
 * field; its replies to h, m and p are the same. A good patch (the
 * generated transformers) keeps both counts; tests/verify also gives it a
 * transformer that drops misses and one that mis-converts hits. */
#include <dsu.h>
#include <stdio.h>
#include <stdlib.h>

struct stats {
  long hits;
  int misses;
  int spare;
};

static struct stats *st;

static void handle(const char *line) {
  if (line[0] == 'h') {
    st->hits++;
    printf("hit\n");
  } else if (line[0] == 'm') {
    st->misses++;
    printf("miss\n");
  } else if (line[0] == 'p') {
    printf("%d/%d\n", (int)st->hits, st->misses);
  } else {
    printf("?\n");
  }
}

int main(void) {
  char line[16];
  setvbuf(stdout, NULL, _IOLBF, 0);
  st = calloc(1, sizeof *st);
  while (fgets(line, sizeof line, stdin)) {
    DSU_UPDATE_POINT();
    handle(line);
  }
  return 0;
}
