/* A table grown through a realloc wrapper that keeps a size header before
 * each block (redis's zrealloc), built with -fdsu-allocator=zrealloc:zfree,
 * and notes from the same wrapper family. When zrealloc moves the table,
 * the wrapper's own realloc frees the old block, and a later note may take
 * it: dsu must forget the old address, or an update that changes struct
 * slot transforms the note. This is v2: the slot's fields swapped. Commands on
 * stdin: "a K V" appends a slot and notes "addedK", "n TEXT" keeps a note, "p"
 * prints. */
#include <dsu.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *zrealloc(void *ptr, size_t size) {
  size_t *p = realloc(ptr ? (size_t *)ptr - 1 : NULL, size + sizeof(size_t));
  if (!p)
    return NULL;
  *p = size;
  return p + 1;
}

void zfree(void *ptr) {
  if (ptr)
    free((size_t *)ptr - 1);
}

struct slot {
  int value;
  int key;
};

static struct slot *slots;
static int nslots;
static char *notes[8];
static int nnotes;

static void append(int key, int value) {
  struct slot *grown = zrealloc(slots, (nslots + 1) * sizeof(struct slot));
  if (!grown)
    return;
  slots = grown;
  slots[nslots].key = key;
  slots[nslots].value = value;
  nslots++;
}

static void note(const char *text) {
  size_t n = strlen(text) + 1;
  char *copy = zrealloc(NULL, n);
  if (!copy || nnotes == 8)
    return;
  memcpy(copy, text, n);
  notes[nnotes++] = copy;
}

static void print(void) {
  for (int i = 0; i < nslots; i++)
    printf("%d=%d ", slots[i].key, slots[i].value);
  for (int i = 0; i < nnotes; i++)
    printf("[%s] ", notes[i]);
  printf("\n");
}

int main(void) {
  char line[64], text[32];
  int key, value;
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (;;) {
    DSU_UPDATE_POINT();
    if (!fgets(line, sizeof line, stdin))
      break;
    if (sscanf(line, "a %d %d", &key, &value) == 2) {
      append(key, value);
      snprintf(text, sizeof text, "added%d", key);
      note(text); /* the audit note: right after the table in memory */
    } else if (sscanf(line, "n %31s", text) == 1)
      note(text);
    else if (line[0] == 'p')
      print();
  }
  for (int i = 0; i < nnotes; i++)
    zfree(notes[i]);
  zfree(slots);
  return 0;
}
