/* serve() is on the stack for the whole run. The iteration running at the
 * update finishes in its old body (it still prints "serve1"), while every
 * call it makes reaches the new code: label() and the recursive depth_sum()
 * change in v2. The next iteration runs v2's loop body, which dsu-cc moved
 * into a function of its own (loop extraction). */
#include <stdio.h>
#include <stdlib.h>
#include <dsu.h>

static int depth_sum(int n) { return n == 0 ? 0 : n + depth_sum(n - 1); }

static const char *label(void) { return "v1"; }

static void serve(void) {
  char line[64];
  while (fgets(line, sizeof line, stdin)) {
    DSU_UPDATE_POINT();
    int n = atoi(line);
    printf("serve1 %s %d\n", label(), depth_sum(n));
  }
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  serve();
  return 0;
}
