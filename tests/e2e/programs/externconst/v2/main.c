/* Reads the limit defined in limits.c. Commands on stdin: "a" adds an item
 * if the limit allows, "p" prints. */
#include <stdio.h>
#include <dsu.h>

extern const int max_items;
static int items;

static void add(void) {
  if (items < max_items)
    items++;
}

int main(void) {
  char line[16];
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (;;) {
    DSU_UPDATE_POINT();
    if (!fgets(line, sizeof line, stdin))
      break;
    if (line[0] == 'a')
      add();
    else if (line[0] == 'p')
      printf("%d of %d\n", items, max_items);
  }
  return 0;
}
