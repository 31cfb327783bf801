/* In an archive: the loop that calls the program's handler, whose body
   holds the update point. Compiled alone, loop() seems never to be active
   at an update point; the whole program says it is. */
#include <stdio.h>
int handle(const char *line);
void loop(void) {
  char line[64];
  while (fgets(line, sizeof line, stdin))
    if (handle(line))
      break;
}
