// table_number.c, but the object reached through the table is copied with
// memcpy (with a symbolic source, the libc model's byte loop: one-byte
// loads through the family pointer) and the count is dropped through the
// table's own pointer.
//
// A number of up to four symbolic digits indexes a 10,000-entry table of
// pointers to objects allocated one after another, as redis does with its
// shared integers (a stored value below 10,000 becomes
// shared.integers[value]): every index is possible, far over the bound of 8
// targets of one symbolic pointer. The engine reads the table as a strided
// run (the pointer is first + index * stride) and follows the pointer into
// the family of objects, reading and writing each field through one term
// over the index; an object then read through a concrete pointer sees the
// write.
// VERDICT: holds
// STATUS: 0
#include <klee/klee.h>
#include <stdlib.h>
#include <string.h>

struct obj {
  int refcount;
  int type;
  long value;
};
static struct obj *table[10000];
static struct obj *slot; // a dict entry keeping the pointer

static int number(const char *d, int len) {
  int n = 0;
  for (int i = 0; i < len; i++) {
    if (d[i] < '0' || d[i] > '9')
      return -1;
    n = n * 10 + (d[i] - '0');
  }
  return n;
}

int main(void) {
  char d[4];
  int len;
  for (int i = 0; i < 10000; i++) {
    table[i] = malloc(sizeof(struct obj));
    table[i]->refcount = 1;
    table[i]->type = 3;
    table[i]->value = i;
  }
  klee_make_symbolic(d, sizeof d, "digits");
  klee_make_symbolic(&len, sizeof len, "len");
  klee_assume(len >= 1 && len <= 4);
  int n = number(d, len);
  if (n < 0)
    return 0;
  slot = table[n];
  slot->refcount++;
  struct obj copy;
  memcpy(&copy, slot, sizeof copy);
  struct obj *o = &copy;
  klee_assert(o->type == 3);
  klee_assert(o->value == n);
  klee_assert(o->refcount == 2);
  if (n == 1234)
    klee_assert(table[1234]->refcount == 2);
  else
    klee_assert(table[1234]->refcount == 1);
  slot->refcount--;
  klee_assert(slot->refcount == 1);
  return 0;
}
