/* A handler that main calls once directly at start-up and then from its
 * event loop through a pointer, the way memcached calls clock_handler. The
 * update point in the handler is unsafe when reached from the start-up call
 * (main goes on to use struct settings, which version 2 changes) and safe
 * when reached from the loop (main only says goodbye after it). */
#include <stdio.h>
#include <dsu.h>

struct settings {
  int verbose;
  int max_connections;
  int port;
};

static struct settings settings;
static int ticks;

static int handle(void) {
  char line[64];
  if (!fgets(line, sizeof line, stdin))
    return 0;
  DSU_UPDATE_POINT();
  ticks++;
  printf("v2 tick %d: %s", ticks, line);
  return 1;
}

static void event_loop(int (*handler)(void)) {
  while (handler())
    ;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  handle(); /* the first tick, at start-up */
  settings.verbose = 1;
  settings.max_connections = 1024;
  settings.port = 11211;
  printf("listening on %d\n", settings.port);
  event_loop(handle);
  printf("bye after %d ticks\n", ticks);
  return 0;
}
