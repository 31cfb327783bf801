/* Commands in a const table of function pointers, in a static initialiser.
 * v2 adds a command (the const table is replaced), changes one handler and
 * removes another; the variadic logger changes too. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dsu.h>

struct cmd {
  const char *name;
  long (*fn)(long, long);
};

static long do_add(long a, long b) { return a + b; }
static long do_mul(long a, long b) { return a * b * 10; }
static long do_sub(long a, long b) { return a - b; }

static const struct cmd cmds[] = {
    {"add", do_add}, {"mul", do_mul}, {"sub", do_sub}};

static unsigned long served;

static void reply(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("v2: ");
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
}

static void handle(const char *line) {
  char name[16];
  long a, b;
  served++;
  if (sscanf(line, "%15s %ld %ld", name, &a, &b) != 3) {
    reply("? (%lu)", served);
    return;
  }
  for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
    if (strcmp(cmds[i].name, name) == 0) {
      reply("%s=%ld (%lu)", name, cmds[i].fn(a, b), served);
      return;
    }
  reply("unknown %s (%lu)", name, served);
}

int main(void) {
  char line[128];
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (fgets(line, sizeof line, stdin)) {
    DSU_UPDATE_POINT();
    handle(line);
  }
  return 0;
}
