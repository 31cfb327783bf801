// A linked list of symbolic length and contents: the sum of the list equals
// the sum computed while building it, for every length up to 4.
// VERDICT: holds
#include <klee/klee.h>
#include <stdlib.h>

struct node {
  int value;
  struct node *next;
};

static struct node *push(struct node *head, int v) {
  struct node *n = malloc(sizeof *n);
  n->value = v;
  n->next = head;
  return n;
}

int main(void) {
  int len = klee_range(0, 5, "len");
  unsigned char vals[4];
  klee_make_symbolic(vals, sizeof vals, "vals");
  struct node *head = NULL;
  int expect = 0;
  for (int i = 0; i < len; ++i) {
    head = push(head, vals[i]);
    expect += vals[i];
  }
  int sum = 0, count = 0;
  for (struct node *n = head; n; n = n->next) {
    sum += n->value;
    ++count;
  }
  klee_assert(sum == expect);
  klee_assert(count == len);
  while (head) {
    struct node *next = head->next;
    free(head);
    head = next;
  }
  return 0;
}
