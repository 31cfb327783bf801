/* A program whose meaning depends on its compile flags: -funsigned-char,
 * -fwrapv, -DVALUE/-UDEBUG, gnu89 inline, -fcommon tentative definitions
 * shared with other.c; and a zeroing loop that -fno-builtin keeps a loop.
 * Commands on stdin: "r" handles a request, "p" prints. */
#include <limits.h>
#include <stdio.h>
#include <dsu.h>
#include "../common.h"

#ifdef DEBUG
#error "-UDEBUG must reach the compiler"
#endif

void count_request(void);
inline int twice(int x) { return 2 * x; } /* gnu89: an external definition */

char buffer[64]; /* external: the zeroing cannot be dropped */
int nclear = 64; /* not a constant: the loop cannot be unrolled away */

static void clear(char *p, int n) {
  for (int i = 0; i < n; i++)
    p[i] = 0;
}

static void print(void) {
  char c = (char)200;
  int big = INT_MAX;
  clear(buffer, nclear);
  printf("v2 char %s, wrap %d, value %d, twice %d, requests %d, port %d\n",
         c < 0 ? "signed" : "unsigned", big + 1 < big, VALUE, twice(VALUE),
         requests, config.port);
}

int main(void) {
  char line[16];
  setvbuf(stdout, NULL, _IOLBF, 0);
  config.port = 8080;
  for (;;) {
    DSU_UPDATE_POINT();
    if (!fgets(line, sizeof line, stdin))
      break;
    if (line[0] == 'r')
      count_request();
    else if (line[0] == 'p')
      print();
  }
  return 0;
}
