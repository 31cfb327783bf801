// Redis's shared-integer table: 10,000 pointers filled at start-up, indexed
// by a number parsed from a request. A symbolic index into such a table
// used to build a 80,000-deep chain of array stores that crashed inside
// libz3; reads at symbolic offsets now build balanced terms, and Z3 runs on
// a thread with a large stack.
// VERDICT: holds
#include <assert.h>
#include <klee/klee.h>

#define N 10000
struct obj {
  int value;
};
static struct obj objs[N];
static struct obj *shared[N];
static const int squares[N] = {0, 1, 4, 9, 16, 25, 36, 49, 64, 81};

int main(void) {
  for (int i = 0; i < N; ++i) {
    objs[i].value = i;
    shared[i] = &objs[i];
  }
  char digit;
  klee_make_symbolic(&digit, 1, "digit");
  klee_assume(digit >= '0' && digit <= '9');
  int v = digit - '0';
  struct obj *o = shared[v];
  assert(o->value == v);
  unsigned k = klee_range(0, N, "k");
  if (squares[k] == 49)
    assert(k == 7);
  return 0;
}
