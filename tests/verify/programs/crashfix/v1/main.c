/* Hits and the last miss in one struct on the heap. v1's r (report) has a
 * bug: it prints the last miss's key without checking there was one, and
 * dies on a null pointer when no m came before. v2 fixes it (and widens
 * hits); its replies to h and m are the same. tests/verify gives the update
 * a transformer that mis-converts hits, which only r shows: with requests
 * of h and r alone, the old version fails on every r, so the fault shows
 * only on paths where the old version alone fails after the update. */
#include <dsu.h>
#include <stdio.h>
#include <stdlib.h>

struct stats {
  int hits;
  const char *last_miss;
};

static struct stats *st;

static void handle(const char *line) {
  if (line[0] == 'h') {
    st->hits++;
    printf("hit\n");
  } else if (line[0] == 'm') {
    st->last_miss = "m";
    printf("miss\n");
  } else if (line[0] == 'r') {
    printf("%c %d\n", st->last_miss[0], st->hits);
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
