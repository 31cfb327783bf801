/* A tiny key store: a static table and static helpers, the way servers keep
 * their state in one file. Built from v1/ and from v2/ with the same
 * command, the two versions must name this translation unit the same, or
 * the table's running contents would be dropped. */
#include <stdio.h>
#include <string.h>

#define SLOTS 16
static char keys[SLOTS][16];
static int values[SLOTS];
static int used;

static int find(const char *k) {
  for (int i = 0; i < used; i++)
    if (strcmp(keys[i], k) == 0)
      return i;
  return -1;
}

void store_set(const char *k, int v) {
  int i = find(k);
  if (i < 0 && used < SLOTS) {
    i = used++;
    snprintf(keys[i], sizeof keys[i], "%s", k);
  }
  if (i >= 0)
    values[i] = v;
}

void store_get(const char *k) {
  int i = find(k);
  if (i < 0)
    printf("%s: missing\n", k);
  else
    printf("%s = %d (v2)\n", k, values[i]);
}
