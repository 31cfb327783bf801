// The same merged shape with a broken version 2: it answers GET with the
// count plus one once the update happened. The counterexample names the
// requests and the update point.
// ARGS: --sym-stdin 8 --search bfs
// VERDICT: error
// KIND: assertion
#include <klee/klee.h>
#include <stdio.h>
#include <string.h>

static int count_v1, count_v2;

static void handle(int v2, int *count, const char *req, char *reply) {
  if (strncmp(req, "INC", 3) == 0)
    sprintf(reply, "%d\n", ++*count);
  else if (strncmp(req, "GET", 3) == 0)
    sprintf(reply, "%d\n", *count + (v2 ? 1 : 0));
  else
    sprintf(reply, "ERR\n");
}

int main(void) {
  char req[4];
  int update_at = klee_range(0, 3, "update_at");
  for (int i = 0; i < 2; ++i) {
    if (fread(req, 1, 4, stdin) != 4)
      return 0;
    req[3] = 0;
    char a[16], b[16];
    handle(0, &count_v1, req, a);
    handle(i >= update_at, &count_v2, req, b);
    klee_assert(strcmp(a, b) == 0);
    printf("%s", b);
  }
  return 0;
}
