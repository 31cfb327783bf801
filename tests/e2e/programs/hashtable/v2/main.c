/* A hash table of item pointers whose buckets come from malloc(bytes), the
 * byte count computed beforehand (memcached's assoc.c): no sizeof at the
 * call, so only the type the result is stored as says what the array
 * holds. v2 changes the item: every bucket must follow its item, or the
 * update must be refused. */
#include <dsu.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
struct item {
  struct item *h_next;
  long stamp;
  int key;
};
#define NBUCKETS 16
static struct item **table;
static void handle(const char *line) {
  int key = atoi(line + 1);
  struct item *it;
  if (line[0] == 'g') {
    for (it = table[key % NBUCKETS]; it; it = it->h_next)
      if (it->key == key) {
        printf("found %d\n", it->key);
        return;
      }
    printf("missing %d\n", key);
    return;
  }
  it = malloc(sizeof *it);
  it->key = key;
  it->h_next = table[key % NBUCKETS];
  table[key % NBUCKETS] = it;
}
int main(void) {
  char line[64];
  unsigned int bytes = NBUCKETS * sizeof(void *);
  setvbuf(stdout, NULL, _IOLBF, 0);
#ifdef TABLE_THROUGH_VOID
  /* Through a void * local: nothing at the call says what the table holds,
   * so dsu cannot track it, and must refuse rather than leave it. */
  void *mem = malloc(bytes);
  table = mem;
#else
  table = malloc(bytes);
#endif
  memset(table, 0, bytes);
  while (fgets(line, sizeof line, stdin)) {
    DSU_UPDATE_POINT();
    handle(line);
  }
  return 0;
}
