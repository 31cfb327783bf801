/* An update point in a callback under a library's loop, as memcached's
 * clock_handler under libevent's event_base_loop. The frames below the
 * callback are libevent's and main's, and main uses no struct stats after
 * event_base_dispatch returns. count() touches struct stats after calling
 * printf, but printf never calls back into the program, so count() cannot
 * be on the stack at the update point: a patch that changes struct stats is
 * safe there. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <event2/event.h>
#include <dsu.h>

struct stats {
  long lines;
  int seen;
};

static struct stats *st;
static struct event_base *base;

static void count(void) {
  st->lines++;
  st->seen = 1;
  printf("line %ld\n", st->lines);
}

static void on_input(evutil_socket_t fd, short what, void *arg) {
  DSU_UPDATE_POINT(); /* in the callback: safe */
  char buf[256];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n <= 0) {
    event_base_loopbreak(base);
    return;
  }
  for (ssize_t i = 0; i < n; i++)
    if (buf[i] == '\n')
      count();
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  st = calloc(1, sizeof(struct stats));
  base = event_base_new();
  struct event *ev = event_new(base, 0, EV_READ | EV_PERSIST, on_input, NULL);
  event_add(ev, NULL);
  event_base_dispatch(base);
  printf("bye\n");
  return 0;
}
