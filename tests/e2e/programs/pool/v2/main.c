/* Items kept in a static pool, chained into hash buckets held by a typed
 * global array, with one more pointer to an element in the middle of the
 * pool. v2 adds a field in the middle of the item: the pool gets new storage
 * and every pointer into it, to any element, must follow. Commands on stdin:
 * "a KEY VALUE" adds, "p" prints. */
#include <stdio.h>
#include <dsu.h>

struct item {
  struct item *next;
  int key;
  long hits; /* new in v2 */
  int value;
};

static struct item pool[8];
static int npool;
static struct item *heads[4];
static struct item *newest;

static void add(int key, int value) {
  if (npool == 8)
    return;
  struct item *it = &pool[npool++];
  it->key = key;
  it->value = value;
  it->next = heads[key % 4];
  heads[key % 4] = it;
  newest = it;
}

static void print(void) {
  for (int b = 0; b < 4; b++) {
    printf("%d:", b);
    for (struct item *it = heads[b]; it; it = it->next)
      printf(" %d=%d/%ld", it->key, it->value, it->hits++);
    printf("\n");
  }
  if (newest)
    printf("newest %d=%d\n", newest->key, newest->value);
}

int main(void) {
  char line[64];
  int k, v;
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (;;) {
    DSU_UPDATE_POINT();
    if (!fgets(line, sizeof line, stdin))
      break;
    if (sscanf(line, "a %d %d", &k, &v) == 2)
      add(k, v);
    else if (line[0] == 'p')
      print();
  }
  return 0;
}
