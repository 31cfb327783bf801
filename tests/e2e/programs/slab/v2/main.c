/* Items cut out of slab pages that come from malloc(len) with no sizeof, the
 * way memcached's allocator makes them, with their key stored as trailing
 * data after a flexible array member; a typed global array of bucket heads
 * points into the pages. dsu never saw these objects allocated. v2 adds a
 * field to the item: the update must transform them where they are if the
 * new layout fits, or refuse naming the pointer that leads to them; it must
 * never commit and leave the old layout under the new code. Commands on
 * stdin: "a KEY VALUE" adds, "p" prints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dsu.h>

struct item {
  struct item *next;
  long expires; /* new in v2 */
  int value;
  unsigned char nkey;
  char key[];
};

#define PAGE 4096
static char *page;
static size_t page_used;
static struct item *heads[4];

static struct item *item_alloc(const char *key) {
  size_t len = (sizeof(struct item) + strlen(key) + 1 + 7) & ~(size_t)7;
  if (!page)
    page = malloc(PAGE);
  if (page_used + len > PAGE)
    return NULL;
  struct item *it = (struct item *)(page + page_used);
  page_used += len;
  it->nkey = (unsigned char)strlen(key);
  memcpy(it->key, key, it->nkey + 1);
  return it;
}

static void add(const char *key, int value) {
  struct item *it = item_alloc(key);
  if (!it)
    return;
  unsigned b = (unsigned char)key[0] % 4;
  it->value = value;
  it->next = heads[b];
  heads[b] = it;
}

static void print(void) {
  for (int b = 0; b < 4; b++) {
    printf("%d:", b);
    for (struct item *it = heads[b]; it; it = it->next)
      printf(" %s=%d", it->key, it->value);
    printf("\n");
  }
}

int main(void) {
  char line[64], key[32];
  int v;
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (;;) {
    DSU_UPDATE_POINT();
    if (!fgets(line, sizeof line, stdin))
      break;
    if (sscanf(line, "a %31s %d", key, &v) == 2)
      add(key, v);
    else if (line[0] == 'p')
      print();
  }
  return 0;
}
