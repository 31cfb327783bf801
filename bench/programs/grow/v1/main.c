/* Benchmark program for bench/transform.sh: builds a linked list of N small
 * heap objects, then serves lines: "sum" prints the sum of the values. v2
 * adds a field to the node, so an update transforms every node. */
#include <stdio.h>
#include <stdlib.h>
#include <dsu.h>

struct node {
  int value;
  struct node *next;
};

static struct node *head;

static void build(long n) {
  for (long i = 0; i < n; i++) {
    struct node *x = malloc(sizeof *x);
    x->value = (int)(i % 1000);
    x->next = head;
    head = x;
  }
}

static void handle(const char *line) {
  long sum = 0, count = 0;
  for (struct node *x = head; x; x = x->next) {
    sum += x->value;
    count++;
  }
  printf("%s %ld %ld\n", line[0] == 's' ? "sum" : "?", count, sum);
}

int main(int argc, char **argv) {
  char line[64];
  setvbuf(stdout, NULL, _IOLBF, 0);
  build(argc > 1 ? atol(argv[1]) : 1000);
  while (fgets(line, sizeof line, stdin)) {
    DSU_UPDATE_POINT();
    handle(line);
  }
  return 0;
}
