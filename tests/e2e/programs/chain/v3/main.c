/* A chain of releases in which main is changed but never replaced: after
 * v1 -> v2 the running main is v1's, and after its event loop it reads the
 * statistics that v3 changes. v2's main does not, so a v2 -> v3 patch that
 * looked only at v2's code would find the update safe and let v1's main
 * read the statistics' old storage after the loop. */
#include <stdio.h>
#include <string.h>
#include <dsu.h>

struct stats {
  long started;
  long ticks;
  long bytes;
};

static struct stats stats;

static int handle(void) {
  char line[64];
  if (!fgets(line, sizeof line, stdin))
    return 0;
  stats.ticks++;
  stats.bytes += (long)strlen(line);
  printf("v3 tick %ld\n", stats.ticks);
  DSU_UPDATE_POINT();
  return 1;
}

static void event_loop(int (*handler)(void)) {
  while (handler())
    ;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("v3 up\n");
  event_loop(handle);
  printf("bye\n");
  return 0;
}
