// Use after free: removing the head frees it, and the buggy caller keeps
// reading through the stale pointer when the key matches the head.
// VERDICT: error
// KIND: use-after-free
#include <klee/klee.h>
#include <stdlib.h>

struct node {
  int key;
  struct node *next;
};

static struct node *remove_key(struct node *head, int key) {
  if (head && head->key == key) {
    struct node *next = head->next;
    free(head);
    return next;
  }
  return head;
}

int main(void) {
  struct node *b = malloc(sizeof *b);
  struct node *a = malloc(sizeof *a);
  a->key = 1;
  a->next = b;
  b->key = 2;
  b->next = NULL;
  int key = klee_int("key");
  struct node *old = a;
  a = remove_key(a, key);
  int k = old->key; /* stale when key == 1 */
  free(b);
  return k == 7;
}
