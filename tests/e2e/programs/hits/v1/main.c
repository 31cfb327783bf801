/* Counts the lines it reads and reports each with a version tag; version 2
 * changes only the reporting function (a variadic one). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <dsu.h>

static int hits;

static void report(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("[v1] ");
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
}

int main(void) {
  char line[128];
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (fgets(line, sizeof line, stdin)) {
    DSU_UPDATE_POINT();
    hits++;
    report("%d hits, last %.*s", hits, (int)strcspn(line, "\n"), line);
  }
  return 0;
}
