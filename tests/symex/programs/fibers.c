// Fibers (__dsu_symex_fiber_new and _switch, klee.h): call stacks of their
// own that take turns on one path, in one memory. A fiber suspended at a
// switch resumes after it; one whose function returns hands the path back
// to fiber 0; a fork copies every fiber. dsu verify runs the versions of
// a program request by request this way.
// VERDICT: holds
// STATUS: 0
#include <klee/klee.h>

static int trace[8], steps;
static int local_seen;

static void first(void) {
  int mine = 7; /* a local that must survive the switches */
  trace[steps++] = 1;
  __dsu_symex_fiber_switch(0);
  trace[steps++] = 3;
  local_seen = mine;
}

static void second(void) { trace[steps++] = 2; }

int main(void) {
  int x = klee_range(0, 2, "x");
  int a = __dsu_symex_fiber_new(first);
  int b = __dsu_symex_fiber_new(second);
  klee_assert(a != b && a != 0 && b != 0);
  __dsu_symex_fiber_switch(a); /* runs first up to its switch */
  klee_assert(steps == 1 && trace[0] == 1);
  if (x) /* a fork while first is suspended: both paths resume it */
    __dsu_symex_fiber_switch(b); /* runs second to its end */
  __dsu_symex_fiber_switch(a);   /* first resumes after its switch, ends */
  klee_assert(steps == (x ? 3 : 2));
  klee_assert(trace[steps - 1] == 3 && local_seen == 7);
  klee_assert(!x || trace[1] == 2);
  return 0;
}
