/* A typedef'd anonymous struct whose layout changes, on the heap. */
#include <stdio.h>
#include <stdlib.h>
#include <dsu.h>
typedef struct { int hits; int misses; } counters_t;
static counters_t *stats;
static void handle(const char *l) { if (!stats) stats = calloc(1, sizeof(counters_t)); stats->hits++; printf("%d %d\n", stats->hits, stats->misses); }
int main(void) { char line[64]; setvbuf(stdout, NULL, _IOLBF, 0); while (fgets(line, sizeof line, stdin)) { DSU_UPDATE_POINT(); handle(line); } return 0; }
