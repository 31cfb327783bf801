// The shape of a merged program (two versions, a nondeterministic update
// flag): a counter server reads requests from stdin and writes replies.
// Version 2 adds "DEC" and keeps every version-1 answer; the client-side
// check is backward compatibility: for requests version 1 understood, the
// merged run answers exactly what version 1 alone answers, whether and
// wherever the update happened.
// ARGS: --sym-stdin 8 --max-time 120
// VERDICT: holds
#include <klee/klee.h>
#include <stdio.h>
#include <string.h>

struct state {
  int count;
};

static int handle_v1(struct state *s, const char *req, char *reply) {
  if (strncmp(req, "INC", 3) == 0) {
    s->count++;
    return sprintf(reply, "%d\n", s->count);
  }
  if (strncmp(req, "GET", 3) == 0)
    return sprintf(reply, "%d\n", s->count);
  return sprintf(reply, "ERR\n");
}

static int handle_v2(struct state *s, const char *req, char *reply) {
  if (strncmp(req, "DEC", 3) == 0) {
    s->count--;
    return sprintf(reply, "%d\n", s->count);
  }
  return handle_v1(s, req, reply);
}

static int known_to_v1(const char *req) {
  return strncmp(req, "INC", 3) == 0 || strncmp(req, "GET", 3) == 0;
}

int main(void) {
  char reqs[2][4];
  int i;
  /* Two requests of four bytes each, from the symbolic stdin. */
  for (i = 0; i < 2; ++i)
    if (fread(reqs[i], 1, 4, stdin) != 4)
      return 0;
  int update_at = klee_range(0, 3, "update_at"); /* before req 0, 1, never */
  struct state merged = {0}, old = {0};
  for (i = 0; i < 2; ++i) {
    char r1[16], r2[16];
    reqs[i][3] = 0;
    int n2 = i >= update_at ? handle_v2(&merged, reqs[i], r2)
                            : handle_v1(&merged, reqs[i], r2);
    int n1 = handle_v1(&old, reqs[i], r1);
    if (!known_to_v1(reqs[i]))
      return 0; /* the spec only speaks about requests v1 understood */
    klee_assert(n1 == n2 && memcmp(r1, r2, n1) == 0);
    fputs(r2, stdout);
  }
  return 0;
}
