/* dsu_request.h - symbolic requests from a small grammar, for harnesses.
 *
 * A request is a command name from a list, then a number of arguments in a
 * range, each of a length in a range and made of bytes from an alphabet.
 * The name, the count and the lengths are symbolic choices that the harness
 * turns into one path each (so the request's layout is concrete on a path);
 * the argument bytes stay symbolic, restricted to the alphabet. Built only
 * on <klee/klee.h>, so it works under dsu symex, dsu replay and KLEE
 * (`dsu symex` and `dsu replay` put it on the include path).
 *
 *   static const char *const cmds[] = {"GET", "SET", "DEL"};
 *   struct dsu_grammar g = {cmds, 3, "ab1", 1, 2, 1, 3};
 *   char req[128];
 *   size_t n = dsu_make_request(req, sizeof req, &g, DSU_REQUEST_INLINE);
 */
#ifndef DSU_KLEE_DSU_REQUEST_H
#define DSU_KLEE_DSU_REQUEST_H

#include <klee/klee.h>
#include <stddef.h>

struct dsu_grammar {
  const char *const *commands; /* the command names */
  unsigned ncommands;
  const char *alphabet;        /* the bytes an argument may hold */
  unsigned min_args, max_args; /* how many arguments */
  unsigned min_len, max_len;   /* bytes per argument (max_len <= 64) */
};

enum {
  DSU_REQUEST_INLINE = 0,   /* CMD ARG ARG\r\n */
  DSU_REQUEST_MULTIBULK = 1 /* *N\r\n then $LEN\r\nBYTES\r\n each (RESP) */
};

/* A symbolic choice in [LO, HI], returned concrete: one path per value. */
static inline unsigned dsu_choose(unsigned lo, unsigned hi, const char *name) {
  int v = klee_range((int)lo, (int)hi + 1, name);
  unsigned k;
  for (k = lo; k < hi; k++)
    if ((unsigned)v == k)
      return k;
  return hi;
}

/* Keeps the paths where the byte C is one of ALPHABET's. */
static inline void dsu_assume_in(char c, const char *alphabet) {
  unsigned ok = 0;
  const char *a;
  for (a = alphabet; *a; a++)
    ok |= (unsigned)(c == *a);
  klee_assume(ok);
}

static inline void dsu_request_put(char *buf, size_t cap, size_t *n,
                                   const char *p, size_t len) {
  size_t i;
  for (i = 0; i < len && *n < cap; i++)
    buf[(*n)++] = p[i];
}

static inline void dsu_request_number(char *buf, size_t cap, size_t *n,
                                      char prefix, unsigned long v) {
  char tmp[24];
  int k = 0;
  dsu_request_put(buf, cap, n, &prefix, 1);
  do {
    tmp[k++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (k) {
    --k;
    dsu_request_put(buf, cap, n, &tmp[k], 1);
  }
  dsu_request_put(buf, cap, n, "\r\n", 2);
}

/* Writes one request drawn from G into BUF (at most CAP bytes) and returns
 * its length. The choices and bytes are named request.cmd, request.argc,
 * request.len and request.arg in test cases. */
static inline size_t dsu_make_request(char *buf, size_t cap,
                                      const struct dsu_grammar *g, int format) {
  char arg[64];
  size_t n = 0, clen = 0;
  unsigned cmd, argc, i, j, len;
  const char *c;
  cmd = dsu_choose(0, g->ncommands - 1, "request.cmd");
  c = g->commands[cmd];
  while (c[clen])
    clen++;
  argc = dsu_choose(g->min_args, g->max_args, "request.argc");
  if (format == DSU_REQUEST_MULTIBULK) {
    dsu_request_number(buf, cap, &n, '*', argc + 1);
    dsu_request_number(buf, cap, &n, '$', clen);
    dsu_request_put(buf, cap, &n, c, clen);
    dsu_request_put(buf, cap, &n, "\r\n", 2);
  } else {
    dsu_request_put(buf, cap, &n, c, clen);
  }
  for (i = 0; i < argc; i++) {
    len = dsu_choose(g->min_len, g->max_len > 64 ? 64 : g->max_len,
                     "request.len");
    if (len) {
      klee_make_symbolic(arg, len, "request.arg");
      for (j = 0; j < len; j++)
        dsu_assume_in(arg[j], g->alphabet);
    }
    if (format == DSU_REQUEST_MULTIBULK) {
      dsu_request_number(buf, cap, &n, '$', len);
      dsu_request_put(buf, cap, &n, arg, len);
      dsu_request_put(buf, cap, &n, "\r\n", 2);
    } else {
      dsu_request_put(buf, cap, &n, " ", 1);
      dsu_request_put(buf, cap, &n, arg, len);
    }
  }
  if (format != DSU_REQUEST_MULTIBULK)
    dsu_request_put(buf, cap, &n, "\r\n", 2);
  return n;
}

#endif /* DSU_KLEE_DSU_REQUEST_H */
