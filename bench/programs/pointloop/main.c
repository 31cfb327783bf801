/* A tight loop with an update point in it, for bench/update_point.sh: what
 * one visit of DSU_UPDATE_POINT() costs when no update is pending. Built
 * with clang-19 and -DNO_DSU the macro is empty (the baseline). */
#include <stdlib.h>
#ifdef NO_DSU
#define DSU_UPDATE_POINT() ((void)0)
#else
#include <dsu.h>
#endif

volatile unsigned long sink;

int main(int argc, char **argv) {
  unsigned long n = argc > 1 ? strtoul(argv[1], 0, 10) : 1000000;
  for (unsigned long i = 0; i < n; i++) {
    DSU_UPDATE_POINT();
    sink += i;
  }
  return 0;
}
