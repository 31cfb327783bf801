/* kvparse.c - the key-value server's request parser under a symbolic
 * request: examples/kvserver/v1's commands.c and store.c, with the
 * connection layer (server.c) replaced by replies to stdout.
 *
 *   dsu symex bench/symex/kvparse.c examples/kvserver/v1/{commands,store,stats,util}.c \
 *     -- -I examples/kvserver/v1 -I include/dsu -DKVPARSE_LEN=6
 */
#include "commands.h"
#include "server.h"
#include "store.h"

#include <klee/klee.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#ifndef KVPARSE_LEN
#define KVPARSE_LEN 6
#endif

void conn_reply(struct conn *c, const char *line) {
  (void)c;
  printf("%s\n", line);
}

void conn_printf(struct conn *c, const char *fmt, ...) {
  va_list ap;
  (void)c;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
}

void conn_close_after_reply(struct conn *c) { c->closing = 1; }

int main(void) {
  char line[KVPARSE_LEN + 1];
  struct conn c;
  store_init(16);
  store_set("k", "v", 1);
  klee_make_symbolic(line, KVPARSE_LEN, "request");
  line[KVPARSE_LEN] = 0;
  memset(&c, 0, sizeof c);
  command_dispatch(&c, line, KVPARSE_LEN);
  return 0;
}
