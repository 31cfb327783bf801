/* A connection type declared as an anonymous typedef'd struct, the way
 * memcached 1.2.4 declares `conn`; v2 gives it a tag and two more fields
 * (memcached 1.2.5). The type is the same to the program under either
 * spelling, so the update must transform every connection. Commands on
 * stdin: "c FD" opens a connection, "r FD N" records N bytes read, "p"
 * prints. */
#include <stdio.h>
#include <stdlib.h>
#include <dsu.h>

typedef struct conn {
  int fd;
  struct conn *next; /* new in v2 */
  int state;
  long bytes_written; /* new in v2 */
  long bytes_read;
} conn;

static conn *conns[8];
static int nconns;

static void open_conn(int fd) {
  if (nconns == 8)
    return;
  conn *c = malloc(sizeof(conn));
  c->fd = fd;
  c->state = 1;
  c->bytes_read = 0;
  conns[nconns++] = c;
}

static void record(int fd, long n) {
  for (int i = 0; i < nconns; i++)
    if (conns[i]->fd == fd)
      conns[i]->bytes_read += n;
}

static void print(void) {
  for (int i = 0; i < nconns; i++)
    printf("fd %d state %d read %ld written %ld\n", conns[i]->fd,
           conns[i]->state, conns[i]->bytes_read, conns[i]->bytes_written);
}

int main(void) {
  char line[64];
  int fd;
  long n;
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (;;) {
    DSU_UPDATE_POINT();
    if (!fgets(line, sizeof line, stdin))
      break;
    if (sscanf(line, "c %d", &fd) == 1)
      open_conn(fd);
    else if (sscanf(line, "r %d %ld", &fd, &n) == 2)
      record(fd, n);
    else if (line[0] == 'p')
      print();
  }
  return 0;
}
