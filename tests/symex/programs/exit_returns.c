// Options::ExitReturnsFrom (dsu verify's harness runs several programs'
// mains one after the other): with the prefix "__sub.", exit(7) inside
// __sub.main returns 7 to its caller, which reaches the assertion (the unit
// test SymexEngine.ExitReturnsToTheHarness expects that error); without
// it, as here, exit ends the path.
// VERDICT: holds
#include <assert.h>
#include <stdlib.h>

static void leave(int code) { exit(code); }
int sub_main(void) __asm__("__sub.main");
int sub_main(void) {
  leave(7);
  return 0;
}

int main(void) {
  int r = sub_main();
  assert(r != 7 && "exit returned to the harness");
  return 0;
}
