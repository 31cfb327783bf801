/* A configuration table in the style of vsftpd's parseconf.c: setting names
 * and the variables they set, ending with a null entry, which the program
 * only reads. This version adds a setting in the middle of the table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dsu.h>

static int listen_port = 21;
static int max_clients = 100;
static int idle_timeout = 300;

struct setting {
  const char *name;
  int *value;
};

static struct setting settings[] = {
    {"listen_port", &listen_port},
    {"idle_timeout", &idle_timeout},
    {"max_clients", &max_clients},
    {0, 0},
};

static int set(const char *name, int value) {
  const struct setting *s = settings;
  while (s->name) {
    if (strcmp(s->name, name) == 0) {
      *s->value = value;
      return 0;
    }
    s++;
  }
  return -1;
}

static void get(const char *name) {
  const struct setting *s = settings;
  while (s->name) {
    if (strcmp(s->name, name) == 0) {
      printf("%s %d\n", name, *s->value);
      return;
    }
    s++;
  }
  printf("unknown setting %s\n", name);
}

int main(void) {
  char line[128], name[64];
  int value;
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (fgets(line, sizeof line, stdin)) {
    DSU_UPDATE_POINT();
    if (sscanf(line, "set %63s %d", name, &value) == 2)
      printf(set(name, value) ? "unknown setting %s\n" : "ok %s\n", name);
    else if (sscanf(line, "get %63s", name) == 1)
      get(name);
  }
  return 0;
}
