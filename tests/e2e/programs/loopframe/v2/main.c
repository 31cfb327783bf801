/* v2: the outcome of a request is a struct (see v1). */
#include <stdio.h>
#include <string.h>
#include <dsu.h>

struct outcome {
  long code;
  long bytes;
  long when;
};

static int handle(const char *name) { return (int)strlen(name); }

int main(void) {
  char line[64], name[32];
  long served = 0;
  struct outcome last = {0, 0, 0};
  long guard = 12345;
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (;;) {
    DSU_UPDATE_POINT();
    if (!fgets(line, sizeof line, stdin))
      break;
    if (sscanf(line, "n %31s", name) == 1) {
      last.code = handle(name);
      last.bytes = 2 * last.code;
      last.when = served;
      served++;
    } else if (line[0] == 'p') {
      printf("served %ld last %ld/%ld guard %ld\n", served, last.code,
             last.bytes, guard);
    }
  }
  return 0;
}
