/* A free list of connections in an array of pointers of which only the
 * first `freecurr` are in use, the rest stale (memcached's freeconns). v2
 * grows the connection. Unannotated, dsu cannot tell stale slots from
 * pointers it does not know, and refuses; built with -DANNOTATE, the array
 * carries DSU_LIVE_COUNT(freecurr) and the update goes through. Commands on
 * stdin: "o FD" opens, "c FD" closes (to the free list), "p" prints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dsu.h>

#ifdef ANNOTATE
#define LIVE(n) DSU_LIVE_COUNT(n)
#else
#define LIVE(n)
#endif

struct conn {
  int fd;
  char peer[24]; /* new in v2 */
  long served;
};

static struct conn *open_conns[8];
static struct conn **freeconns LIVE(freecurr);
static int freecurr;

static void init(void) {
  freeconns = malloc(sizeof(struct conn *) * 16);
  memset(freeconns, 0xab, sizeof(struct conn *) * 16); /* stale, as reused
                                                          memory would be */
}

static void open_conn(int fd) {
  struct conn *c = freecurr > 0 ? freeconns[--freecurr]
                                : malloc(sizeof(struct conn));
  c->fd = fd;
  c->served = 0;
  open_conns[fd % 8] = c;
}

static void close_conn(int fd) {
  struct conn *c = open_conns[fd % 8];
  open_conns[fd % 8] = NULL;
  if (c && freecurr < 16)
    freeconns[freecurr++] = c;
}

static void print(void) {
  for (int i = 0; i < 8; i++)
    if (open_conns[i])
      printf("fd %d served %ld ", open_conns[i]->fd, ++open_conns[i]->served);
  printf("free %d\n", freecurr);
}

int main(void) {
  char line[64];
  int fd;
  setvbuf(stdout, NULL, _IOLBF, 0);
  init();
  for (;;) {
    DSU_UPDATE_POINT();
    if (!fgets(line, sizeof line, stdin))
      break;
    if (sscanf(line, "o %d", &fd) == 1)
      open_conn(fd);
    else if (sscanf(line, "c %d", &fd) == 1)
      close_conn(fd);
    else if (line[0] == 'p')
      print();
  }
  return 0;
}
