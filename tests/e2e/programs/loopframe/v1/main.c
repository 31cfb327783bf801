/* The main loop keeps the outcome of the last request in a local of main's
 * frame; v2 turns that int into a struct (as vsftpd 1.1.2 did with the
 * value its standalone loop returns through). The extracted loop body of v2
 * needs a bigger slot than v1's frame has: it must be a different function,
 * so that the running loop keeps its old body instead of writing past the
 * slot. Commands on stdin: "n NAME" handles a request, "p" prints. */
#include <stdio.h>
#include <string.h>
#include <dsu.h>

static int handle(const char *name) { return (int)strlen(name); }

int main(void) {
  char line[64], name[32];
  long served = 0;
  int last = 0;
  long guard = 12345;
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (;;) {
    DSU_UPDATE_POINT();
    if (!fgets(line, sizeof line, stdin))
      break;
    if (sscanf(line, "n %31s", name) == 1) {
      last = handle(name);
      served++;
    } else if (line[0] == 'p') {
      printf("served %ld last %d guard %ld\n", served, last, guard);
    }
  }
  return 0;
}
