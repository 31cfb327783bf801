/* Initialised globals that the program may write (commands below do), whose
 * initialisers change in the next version: a setting (retries) that is never
 * set before the update takes its new default; one that is set (timeout)
 * keeps its value; a message table of string pointers that is never edited
 * takes its new lines; the settings table, which the program may rename
 * entries of and which gains an entry in the middle, takes its new entries
 * when untouched. */
#include <dsu.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int retries = 3;
static int timeout = 30;

struct setting {
  const char *name;
  int *value;
};

static struct setting settings[] = {
    {"retries", &retries},
    {"timeout", &timeout},
    {0, 0},
};

static const char *motd[3] = {"welcome", "to version 1", 0};

static struct setting *find(const char *name) {
  for (struct setting *s = settings; s->name; s++)
    if (strcmp(s->name, name) == 0)
      return s;
  return 0;
}

int main(void) {
  char line[128], name[64], text[64];
  int value;
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (fgets(line, sizeof line, stdin)) {
    DSU_UPDATE_POINT();
    struct setting *s;
    if (sscanf(line, "set %63s %d", name, &value) == 2 && (s = find(name))) {
      *s->value = value;
      printf("ok %s\n", name);
    } else if (sscanf(line, "rename %63s %63s", name, text) == 2 &&
               (s = find(name))) {
      s->name = strdup(text);
      printf("ok %s\n", text);
    } else if (sscanf(line, "motd %d %63s", &value, text) == 2 && value >= 0 &&
               value < 2) {
      motd[value] = strdup(text);
      printf("ok motd\n");
    } else if (strcmp(line, "motd\n") == 0) {
      for (int i = 0; motd[i]; i++)
        printf("motd %s\n", motd[i]);
    } else if (sscanf(line, "get %63s", name) == 1) {
      if ((s = find(name)))
        printf("%s %d\n", name, *s->value);
      else
        printf("unknown setting %s\n", name);
    }
  }
  return 0;
}
