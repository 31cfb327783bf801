/* A chain of three releases with state in the heap: v1 -> v2 widens the
 * item count and gives every stored item a weight, v2 -> v3 gives every
 * item a counter of how often it was printed. Both updates transform the
 * list built so far, so a run updated twice goes through the state
 * transfer twice, the second time over objects the first one made. main
 * never changes, so that both updates are safe at its update point. */
#include <dsu.h>
#include <stdio.h>
#include <stdlib.h>

struct item {
  int key;
  long weight;
  struct item *next;
};

static struct item *items;
static long count;

static void add(int key) {
  struct item *it = malloc(sizeof *it);
  it->key = key;
  it->weight = 10L * key;
  it->next = items;
  items = it;
  count++;
}

static void print(void) {
  printf("v2 %ld items:", count);
  for (struct item *it = items; it; it = it->next)
    printf(" %d:%ld", it->key, it->weight);
  printf("\n");
}

static int handle(const char *line) {
  if (line[0] == 'a')
    add(atoi(line + 1));
  else if (line[0] == 'p')
    print();
  else
    return 0;
  return 1;
}

int main(void) {
  char line[64];
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (fgets(line, sizeof line, stdin) && handle(line))
    DSU_UPDATE_POINT();
  return 0;
}
