/* A harness that runs real redis 2.0.x request code under dsu symex with no
 * network: the server is initialised like initServer() minus its sockets,
 * signals and timers; a client is made like createClient() minus its
 * socket; request bytes are appended to the client's query buffer and the
 * real processInputBuffer() -> processCommand() -> command code runs; the
 * replies are read back from the client's reply list.
 *
 * redis.c keeps everything static, so this file includes it (its main is
 * renamed) and is compiled with redis's other sources; ae.c is compiled
 * with its select backend (ae_select_wrap.c). The run script
 * (tests/symex/redis/redis.sh) passes -I to the unpacked sources.
 *
 * Checks, chosen with -D:
 *   REDIS_CHECK_HMGET   a stored string, integer, list and hash; then HMGET
 *                       with a symbolic key byte (the four stored keys and
 *                       every other) and 0-2 symbolic field bytes; the
 *                       reply must be what the protocol says.
 *   REDIS_CHECK_REQUEST the stored keys of REDIS_CHECK_HMGET, then one
 *                       request from <klee/dsu_request.h>'s grammar (8
 *                       commands, 1-2 arguments of 1 byte from the keys,
 *                       the hash's field and a digit); some reply must come
 *                       and the client must be ready for the next request.
 *   REDIS_CHECK_SETGET  SET k v then GET k, with k 1-REDIS_KEY_MAX (4) and
 *                       v 1-REDIS_VALUE_MAX (8) symbolic bytes (any byte:
 *                       digits too, so integer encoding is explored); GET
 *                       must return v. ctest runs 2 and 4 (redis.sh).
 */
#define main redis_main
#include "redis.c"
#undef main

#include <klee/dsu_request.h>
#include <klee/klee.h>

#include "redis_server.h"

/* Runs one concrete command and checks its reply. */
static void command(redisClient *c, int argc, const char **argv,
                    const char *want) {
  struct request r;
  char out[256];
  size_t n;
  int i;
  requestStart(&r, argc);
  for (i = 0; i < argc; i++)
    requestArg(&r, argv[i], strlen(argv[i]));
  feed(c, &r);
  n = replies(c, out, sizeof out);
  klee_assert(sameBytes(out, n, want, strlen(want)));
}

/* A number of bytes in [LO, HI] chosen symbolically, returned concrete: one
 * path per length (each with its own request layout). */
static size_t symbolicLength(size_t lo, size_t hi, const char *name) {
  int n = klee_range((int)lo, (int)hi + 1, name);
  size_t k;
  for (k = lo; k < hi; k++)
    if (n == (int)k)
      return k;
  return hi;
}

#ifdef REDIS_CHECK_HMGET
int main(void) {
  const char *setS[] = {"SET", "s", "hello"};
  const char *setN[] = {"SET", "n", "123"};
  const char *pushL[] = {"RPUSH", "l", "x"};
  const char *hsetH[] = {"HSET", "h", "f", "v"};
  struct request r;
  char key, fields[2], out[512];
  size_t nfields, n, i;
  redisClient *c;

  harnessInitServer();
  c = harnessClient(7);
  /* Stored: a string, an integer-encoded string, a list, a hash. */
  command(c, 3, setS, "+OK\r\n");
  command(c, 3, setN, "+OK\r\n");
  command(c, 3, pushL, ":1\r\n");
  command(c, 4, hsetH, ":1\r\n");

#ifndef REDIS_KEY_CHOICE
  /* Any byte: each stored key and every key that is not stored; the bucket
   * index and the entry pointers in redis's hash table become symbolic. */
  klee_make_symbolic(&key, 1, "key");
#else
  /* -DREDIS_KEY_CHOICE: one of the stored keys or one that is not stored,
   * a symbolic choice the harness turns into one path per key (about 4x
   * faster; bench/RESULTS.md). */
  key = "snlhz"[symbolicLength(0, 4, "key")];
#endif
  klee_make_symbolic(fields, sizeof fields, "fields");
  nfields = symbolicLength(0, 2, "nfields");
  requestStart(&r, (int)(2 + nfields));
  requestArg(&r, "HMGET", 5);
  requestArg(&r, &key, 1);
  for (i = 0; i < nfields; i++)
    requestArg(&r, &fields[i], 1);
  feed(c, &r);
  n = replies(c, out, sizeof out);

  /* What the protocol says HMGET replies. */
  {
    struct request w; /* only its buffer is used */
    w.len = 0;
    if (nfields == 0) {
      putString(&w, "-ERR wrong number of arguments for 'hmget' command\r\n");
    } else if (key == 's' || key == 'n' || key == 'l') {
      putString(
          &w,
          "-ERR Operation against a key holding the wrong kind of value\r\n");
    } else {
      putNumber(&w, '*', (long)nfields);
      for (i = 0; i < nfields; i++) {
        if (key == 'h' && fields[i] == 'f')
          put(&w, "$1\r\nv\r\n", 7);
        else
          put(&w, "$-1\r\n", 5);
      }
    }
    klee_assert(sameBytes(out, n, w.buf, w.len));
  }
  /* The client is ready for the next request. */
  klee_assert(c->argc == 0 && c->bulklen == -1 && c->multibulk == 0);
  klee_assert(sdslen(c->querybuf) == 0);
  return 0;
}
#endif

#ifdef REDIS_CHECK_SETGET
#ifndef REDIS_KEY_MAX
#define REDIS_KEY_MAX 4
#endif
#ifndef REDIS_VALUE_MAX
#define REDIS_VALUE_MAX 8
#endif
int main(void) {
  struct request r;
  char key[REDIS_KEY_MAX], val[REDIS_VALUE_MAX], out[64];
  size_t klen, vlen, n;
  redisClient *c;

  harnessInitServer();
  c = harnessClient(7);
  klee_make_symbolic(key, sizeof key, "key");
  klee_make_symbolic(val, sizeof val, "value");
  klen = symbolicLength(1, REDIS_KEY_MAX, "klen");
  vlen = symbolicLength(1, REDIS_VALUE_MAX, "vlen");

  requestStart(&r, 3);
  requestArg(&r, "SET", 3);
  requestArg(&r, key, klen);
  requestArg(&r, val, vlen);
  feed(c, &r);
  n = replies(c, out, sizeof out);
  klee_assert(sameBytes(out, n, "+OK\r\n", 5));

  requestStart(&r, 2);
  requestArg(&r, "GET", 3);
  requestArg(&r, key, klen);
  feed(c, &r);
  n = replies(c, out, sizeof out);
  {
    struct request w;
    w.len = 0;
    putNumber(&w, '$', (long)vlen);
    put(&w, val, vlen);
    put(&w, "\r\n", 2);
    klee_assert(sameBytes(out, n, w.buf, w.len));
  }
  return 0;
}
#endif

#ifdef REDIS_CHECK_REQUEST
int main(void) {
  static const char *const cmds[] = {"GET",    "SET",  "HGET", "HMGET",
                                     "EXISTS", "TYPE", "LLEN", "DEL"};
  const char *setS[] = {"SET", "s", "hello"};
  const char *setN[] = {"SET", "n", "123"};
  const char *pushL[] = {"RPUSH", "l", "x"};
  const char *hsetH[] = {"HSET", "h", "f", "v"};
  struct dsu_grammar g = {cmds, 8, "snlhzf1", 1, 2, 1, 1};
  struct request r;
  char out[512];
  size_t n;
  redisClient *c;

  harnessInitServer();
  c = harnessClient(7);
  command(c, 3, setS, "+OK\r\n");
  command(c, 3, setN, "+OK\r\n");
  command(c, 3, pushL, ":1\r\n");
  command(c, 4, hsetH, ":1\r\n");
  r.len = dsu_make_request(r.buf, sizeof r.buf, &g, DSU_REQUEST_MULTIBULK);
  feed(c, &r);
  n = replies(c, out, sizeof out);
  klee_assert(n > 0);
  klee_assert(c->argc == 0 && c->bulklen == -1 && c->multibulk == 0);
  return 0;
}
#endif
