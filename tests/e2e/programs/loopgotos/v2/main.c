/* v2: the exits tested in the other order, and turns a long long (see v1). */
#include <dsu.h>
#include <stdio.h>
int main(int argc, char **argv) {
  int n = 0;
  long long turns = 0;
  for (;;) {
    DSU_UPDATE_POINT();
    n++;
    turns++;
    printf("n %d (v2)\n", n);
    if (n == 100)
      goto overflow;
    if (n == 5)
      goto found;
  }
found:
  if (argc > 0)
    puts("found (expected)");
  return 0;
overflow:
  if (argc > 0)
    puts("OVERFLOW");
  return 1;
}
