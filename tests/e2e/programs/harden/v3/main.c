/* Hardening tests' program: echoes each input line with its version. Given
 * "spin" it also reaches an update point every millisecond without input,
 * so that many updates can be applied in a row. */
#include <dsu.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

static const char *version(void) { return "v3"; }

int main(int argc, char **argv) {
  int spin = argc > 1 && strcmp(argv[1], "spin") == 0;
  char line[256];
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (;;) {
    if (spin) {
      struct pollfd p = {0, POLLIN, 0};
      if (poll(&p, 1, 1) == 0) {
        DSU_UPDATE_POINT();
        continue;
      }
    }
    if (!fgets(line, sizeof line, stdin))
      break;
    DSU_UPDATE_POINT();
    printf("%s %s", version(), line);
  }
  return 0;
}
