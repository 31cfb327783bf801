#include <stdio.h>
#include <string.h>
#include <dsu.h>
void loop(void);
int handle(const char *line) {
  DSU_UPDATE_POINT();
  printf("got %.*s\n", (int)strcspn(line, "\n"), line);
  return 0;
}
int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  loop();
  return 0;
}
