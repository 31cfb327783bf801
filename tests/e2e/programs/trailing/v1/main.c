/* Messages allocated with their text after them (a flexible array member),
 * and a cursor into the text of the last one: v2 adds a field before the
 * text, so each message moves with its text (which an older runtime took
 * for more messages and converted), and the cursor follows its byte. */
#include <dsu.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
struct msg {
  int id;
  int len;
  char data[];
};
static struct msg *msgs[8];
static int n;
static char *cursor;
static void handle(const char *line) {
  if (line[0] == 'p') {
    for (int i = 0; i < n; i++)
      printf("%d %d %s\n", msgs[i]->id, msgs[i]->len, msgs[i]->data);
    if (cursor)
      printf("cursor %s\n", cursor);
    return;
  }
  size_t len = 16; /* a multiple of sizeof(struct msg) */
  struct msg *m = malloc(sizeof(struct msg) + len);
  m->id = n;
  m->len = (int)strlen(line) - 1;
  snprintf(m->data, len, "%.*s", m->len, line);
  msgs[n++] = m;
  cursor = m->data + 1;
}
int main(void) {
  char line[64];
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (fgets(line, sizeof line, stdin)) {
    DSU_UPDATE_POINT();
    handle(line);
  }
  return 0;
}
