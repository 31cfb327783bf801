/* Objects an update moved, used as the program uses its own afterwards: an
 * update moves many objects of a type at once (into one slab of the
 * runtime's), and the program then frees some with free(), moves others with
 * realloc(), allocates more, and a second update
 * moves them all again. Every value must survive and every free must be
 * accepted (tests/e2e/slabs.sh). Commands: b (build 2000 items), s (sum), f
 * (free every third, reallocate every other), a (add 500), x (free all). */
#include <dsu.h>
#include <stdio.h>
#include <stdlib.h>

struct item {
  int key;
  struct item *next;
};

static struct item *head;
static long next_key = 1;

static void add(long n) {
  for (long i = 0; i < n; i++) {
    struct item *x = malloc(sizeof *x);
    x->key = (int)next_key++;
    x->next = head;
    head = x;
  }
}

static void sum(void) {
  long count = 0, total = 0;
  for (struct item *x = head; x; x = x->next) {
    count++;
    total += x->key;
  }
  printf("v1 items %ld sum %ld\n", count, total);
}

static void thin(void) {
  long k = 0, freed = 0, moved = 0;
  struct item **link = &head;
  while (*link) {
    struct item *x = *link;
    if (k++ % 3 == 0) {
      *link = x->next;
      free(x);
      freed++;
      continue;
    }
    if (k % 2 == 0) {
      x = realloc(x, sizeof *x);
      *link = x;
      moved++;
    }
    link = &x->next;
  }
  printf("freed %ld reallocated %ld\n", freed, moved);
}

static void clear(void) {
  long n = 0;
  while (head) {
    struct item *x = head;
    head = x->next;
    free(x);
    n++;
  }
  printf("freed all %ld\n", n);
}

int main(void) {
  char line[64];
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (fgets(line, sizeof line, stdin)) {
    DSU_UPDATE_POINT();
    switch (line[0]) {
    case 'b':
      add(2000);
      break;
    case 'a':
      add(500);
      break;
    case 's':
      sum();
      break;
    case 'f':
      thin();
      break;
    case 'x':
      clear();
      break;
    }
  }
  return 0;
}
