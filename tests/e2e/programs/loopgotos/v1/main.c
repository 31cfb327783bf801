/* A loop left by two gotos to two places after it; v2 tests them in the
 * other order, so the value its body returns for each exit is swapped: the
 * running loop must not be migrated (the old function would take the wrong
 * exit). */
#include <dsu.h>
#include <stdio.h>
int main(int argc, char **argv) {
  int n = 0;
  int turns = 0;
  for (;;) {
    DSU_UPDATE_POINT();
    n++;
    turns++;
    printf("n %d\n", n);
    if (n == 5)
      goto found;
    if (n == 100)
      goto overflow;
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
