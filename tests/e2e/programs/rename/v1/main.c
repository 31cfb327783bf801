/* A list of records whose struct v2 renames (struct item -> struct
 * record) while turning the body from an array into a pointer. The rename
 * shows in the places that hold the type (the list head, the next field);
 * the update must transform every record, and needs the user's code for
 * the body. Commands on stdin: "a ID TEXT" adds, "p" prints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dsu.h>

struct item {
  int id;
  char body[16];
  struct item *next;
};

static struct item *items;

static void add(int id, const char *text) {
  struct item *it = malloc(sizeof(struct item));
  it->id = id;
  snprintf(it->body, sizeof it->body, "%s", text);
  it->next = items;
  items = it;
}

static void print(void) {
  for (struct item *it = items; it; it = it->next)
    printf("%d:%s ", it->id, it->body);
  printf("\n");
}

int main(void) {
  char line[64], text[32];
  int id;
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (;;) {
    DSU_UPDATE_POINT();
    if (!fgets(line, sizeof line, stdin))
      break;
    if (sscanf(line, "a %d %31s", &id, text) == 2)
      add(id, text);
    else if (line[0] == 'p')
      print();
  }
  return 0;
}
