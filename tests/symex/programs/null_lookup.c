// A lookup that returns NULL for unknown keys, dereferenced unchecked.
// VERDICT: error
// KIND: null-dereference
#include <klee/klee.h>
#include <string.h>

struct entry {
  const char *name;
  int value;
};
static struct entry entries[] = {{"alpha", 1}, {"beta", 2}};

static struct entry *find(const char *name) {
  for (unsigned i = 0; i < sizeof entries / sizeof entries[0]; ++i)
    if (strcmp(entries[i].name, name) == 0)
      return &entries[i];
  return 0;
}

int main(void) {
  char name[6];
  klee_make_symbolic(name, sizeof name, "name");
  name[5] = 0;
  return find(name)->value;
}
