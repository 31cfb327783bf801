/* Reads commands from stdin: "set KEY VALUE", "get KEY", "quit". */
#include <stdio.h>
#include <dsu.h>

void store_set(const char *k, int v);
void store_get(const char *k);

int main(void) {
  char line[128], key[32];
  int value;
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (;;) {
    DSU_UPDATE_POINT();
    if (!fgets(line, sizeof line, stdin))
      break;
    if (sscanf(line, "set %31s %d", key, &value) == 2)
      store_set(key, value);
    else if (sscanf(line, "get %31s", key) == 1)
      store_get(key);
    else if (line[0] == 'q')
      break;
  }
  return 0;
}
