/* Connections of an anonymous typedef'd struct (memcached's conn) point to
 * items, one through a typed field and one through an annotated void *; v2
 * grows the item. The connections do not change, but their pointers must
 * follow the items they point to. Commands on stdin: "c FD KEY" opens a
 * connection on a new item, "p" prints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dsu.h>

struct item {
  long cas; /* new in v2 */
  char key[8];
  int refcount;
};

typedef struct {
  int fd;
  struct item *item;
  void *write_and_free DSU_POINTS_TO(struct item);
} conn;

static conn *conns[8];
static int nconns;

static void open_conn(int fd, const char *key) {
  conn *c = malloc(sizeof(conn));
  struct item *it = malloc(sizeof(struct item));
  snprintf(it->key, sizeof it->key, "%s", key);
  it->refcount = 1;
  c->fd = fd;
  c->item = it;
  c->write_and_free = it;
  conns[nconns++ % 8] = c;
}

static void print(void) {
  for (int i = 0; i < nconns && i < 8; i++)
    printf("fd %d item %s/%d same %d ", conns[i]->fd, conns[i]->item->key,
           conns[i]->item->refcount,
           conns[i]->write_and_free == (void *)conns[i]->item);
  printf("\n");
}

int main(void) {
  char line[64], key[8];
  int fd;
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (;;) {
    DSU_UPDATE_POINT();
    if (!fgets(line, sizeof line, stdin))
      break;
    if (sscanf(line, "c %d %7s", &fd, key) == 2)
      open_conn(fd, key);
    else if (line[0] == 'p')
      print();
  }
  return 0;
}
