// Function-pointer dispatch on a symbolic opcode: the "div" handler divides
// by the symbolic argument without checking it.
// VERDICT: error
// KIND: division-by-zero
#include <klee/klee.h>

typedef int (*handler)(int, int);
static int op_add(int a, int b) { return a + b; }
static int op_sub(int a, int b) { return a - b; }
static int op_div(int a, int b) { return a / b; }
static handler table[] = {op_add, op_sub, op_div};

int main(void) {
  unsigned op = klee_range(0, 3, "op");
  int arg = klee_int("arg");
  handler h = table[op];
  return h(100, arg) == 3;
}
