/* Connections registered with an event library that dsu does not build
 * (evlib.c), which keeps their addresses, as memcached hands each conn to
 * libevent with event_set(&c->event, ..., c). v2 grows the connection: dsu
 * cannot move an object whose address a library holds, so it must refuse
 * and name the call. Commands on stdin: "c FD" opens, "f" fires events. */
#include <stdio.h>
#include <stdlib.h>
#include <dsu.h>

struct ev {
  int fd;
  void (*cb)(int fd, void *arg);
  void *arg DSU_POINTS_TO(struct conn);
};
void ev_register(struct ev *e, int fd, void (*cb)(int, void *), void *arg);
void ev_fire_all(void);

struct conn {
  int id;
  struct ev event;
  long requests;
};

static struct conn *conns[16];
static int nconns;

static void on_event(int fd, void *arg) {
  struct conn *c = arg;
  c->requests++;
  printf("fd %d conn %d requests %ld\n", fd, c->id, c->requests);
}

static void open_conn(int fd) {
  struct conn *c = calloc(1, sizeof(struct conn));
  c->id = nconns;
  conns[nconns++] = c;
  ev_register(&c->event, fd, on_event, c);
}

int main(void) {
  char line[64];
  int fd;
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (;;) {
    DSU_UPDATE_POINT();
    if (!fgets(line, sizeof line, stdin))
      break;
    if (sscanf(line, "c %d", &fd) == 1)
      open_conn(fd);
    else if (line[0] == 'f')
      ev_fire_all();
  }
  return 0;
}
