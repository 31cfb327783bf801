// Double free on an error path taken only when the flag is set.
// VERDICT: error
// KIND: double-free
#include <klee/klee.h>
#include <stdlib.h>

int main(void) {
  char *buf = malloc(16);
  int flag = klee_int("flag");
  if (flag == 42)
    free(buf); /* error path forgets that cleanup below frees too */
  free(buf);
  return 0;
}
