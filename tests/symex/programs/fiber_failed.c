// __dsu_symex_excuse_errors(2) (klee.h): an error in a fiber ends that
// fiber alone. The path goes on in fiber 0, which learns it from
// __dsu_symex_fiber_failed and may judge the path (here it checks a value
// the failing fiber wrote before its failure) or end it excused with the
// fiber's failure (__dsu_symex_excused_exit). dsu verify runs the old
// version alone so under the conformable form.
// VERDICT: holds
// STATUS: 0
#include <klee/klee.h>

static int x, wrote, done;

static void work(void) {
  wrote = x + 1;
  if (x == 3)
    *(volatile int *)0 = 1; /* fails for 3 only */
  if (x == 5)
    *(volatile int *)0 = 1; /* and for 5 */
  done = 1;
}

int main(void) {
  x = klee_range(0, 8, "x");
  int f = __dsu_symex_fiber_new(work);
  __dsu_symex_excuse_errors(2);
  __dsu_symex_fiber_switch(f);
  __dsu_symex_excuse_errors(0);
  if (__dsu_symex_fiber_failed(f)) {
    klee_assert((x == 3 || x == 5) && !done && wrote == x + 1);
    if (x == 5)
      __dsu_symex_excused_exit();
    return 0;
  }
  klee_assert(done && x != 3 && x != 5);
  return 0;
}
