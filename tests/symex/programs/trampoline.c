// Calls through trampolines as dsu-cc writes them (lib/Transform/Slots.cpp):
// module-level assembly `S: jmpq *SLOT(%rip)`, and a C name aliased to S
// with `.set`. A direct call, a call through a function pointer to the
// alias, and a variadic signature; after the slot is rebound (as an update
// does), every call reaches the new body: the second check fails when x
// is 3, where the slot now holds a body that multiplies by ten.
// VERDICT: error
// KIND: assertion
#include <assert.h>
#include <klee/klee.h>
#include <stdarg.h>

static int sum_v1(int n, ...) {
  va_list ap;
  int s = 0;
  va_start(ap, n);
  for (int i = 0; i < n; i++)
    s += va_arg(ap, int);
  va_end(ap);
  return s;
}

static int sum_v2(int n, ...) {
  va_list ap;
  int s = 0;
  va_start(ap, n);
  for (int i = 0; i < n; i++)
    s += va_arg(ap, int);
  va_end(ap);
  return 10 * s;
}

void *slot_sum = (void *)sum_v1;

__asm__("\t.text\n"
        "\t.globl sum\n"
        "\t.type sum,@function\n"
        "\t.p2align 4\n"
        "sum:\n"
        "\tjmpq *slot_sum(%rip)\n"
        "\t.size sum, .-sum\n"
        "\t.globl total\n"
        "\t.type total,@function\n"
        "\t.set total, sum\n");
int sum(int n, ...);
int total(int n, ...);

int main(void) {
  int (*fp)(int, ...) = total;
  int x = klee_range(0, 4, "x");
  assert(sum(2, x, 1) == x + 1);
  if (x == 3)
    slot_sum = (void *)sum_v2;
  assert(fp(2, x, 1) == x + 1);
  return 0;
}
