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
 *                       must return v. ctest runs 2 and 1 (redis.sh).
 */
#define main redis_main
#include "redis.c"
#undef main

#include <klee/dsu_request.h>
#include <klee/klee.h>

/* initServer() minus signals, sockets, /dev/null, the cron timer and the
 * listening socket's event; the event loop is ae.c's (select backend), so
 * addReply's aeCreateFileEvent on the client's descriptor works as in
 * redis. */
static void harnessInitServer(void) {
  int j;

  initServerConfig();
  server.mainthread = pthread_self();
  server.clients = listCreate();
  server.slaves = listCreate();
  server.monitors = listCreate();
  server.objfreelist = listCreate();
  createSharedObjects();
  server.el = aeCreateEventLoop();
  server.db = zmalloc(sizeof(redisDb) * server.dbnum);
  server.fd = -1;
  for (j = 0; j < server.dbnum; j++) {
    server.db[j].dict = dictCreate(&dbDictType, NULL);
    server.db[j].expires = dictCreate(&keyptrDictType, NULL);
    server.db[j].blockingkeys = dictCreate(&keylistDictType, NULL);
    server.db[j].id = j;
  }
  server.pubsub_channels = dictCreate(&keylistDictType, NULL);
  server.pubsub_patterns = listCreate();
  listSetFreeMethod(server.pubsub_patterns, freePubsubPattern);
  listSetMatchMethod(server.pubsub_patterns, listMatchPubsubPattern);
  server.cronloops = 0;
  server.bgsavechildpid = -1;
  server.bgrewritechildpid = -1;
  server.bgrewritebuf = sdsempty();
  server.aofbuf = sdsempty();
  server.lastsave = time(NULL);
  server.dirty = 0;
  server.stat_numcommands = 0;
  server.stat_numconnections = 0;
  server.stat_expiredkeys = 0;
  server.stat_starttime = time(NULL);
  server.unixtime = time(NULL);
}

/* createClient() minus the socket: FD is only a number for the event loop
 * (no I/O is done on it). */
static redisClient *harnessClient(int fd) {
  redisClient *c = zmalloc(sizeof(*c));

  selectDb(c, 0);
  c->fd = fd;
  c->querybuf = sdsempty();
  c->argc = 0;
  c->argv = NULL;
  c->bulklen = -1;
  c->multibulk = 0;
  c->mbargc = 0;
  c->mbargv = NULL;
  c->sentlen = 0;
  c->flags = 0;
  c->lastinteraction = time(NULL);
  c->authenticated = 0;
  c->replstate = REDIS_REPL_NONE;
  c->reply = listCreate();
  listSetFreeMethod(c->reply, decrRefCount);
  listSetDupMethod(c->reply, dupClientReplyValue);
  c->blockingkeys = NULL;
  c->blockingkeysnum = 0;
  c->io_keys = listCreate();
  listSetFreeMethod(c->io_keys, decrRefCount);
  c->pubsub_channels = dictCreate(&setDictType, NULL);
  c->pubsub_patterns = listCreate();
  listSetFreeMethod(c->pubsub_patterns, decrRefCount);
  listSetMatchMethod(c->pubsub_patterns, listMatchObjects);
  listAddNodeTail(server.clients, c);
  initClientMultiState(c);
  return c;
}

/* A request under construction: the multi-bulk protocol
 * (*ARGC\r\n then $LEN\r\nBYTES\r\n per argument). Lengths are concrete;
 * the argument bytes may be symbolic. */
struct request {
  char buf[256];
  size_t len;
};

static void put(struct request *r, const char *p, size_t n) {
  size_t i;
  for (i = 0; i < n && r->len < sizeof(r->buf); i++)
    r->buf[r->len++] = p[i];
}

static void putString(struct request *r, const char *s) {
  put(r, s, strlen(s));
}

static void putNumber(struct request *r, char prefix, long n) {
  char tmp[24];
  int k = 0;
  put(r, &prefix, 1);
  do {
    tmp[k++] = (char)('0' + n % 10);
    n /= 10;
  } while (n);
  while (k)
    put(r, &tmp[--k], 1);
  put(r, "\r\n", 2);
}

static void requestStart(struct request *r, int argc) {
  r->len = 0;
  putNumber(r, '*', argc);
}

static void requestArg(struct request *r, const char *p, size_t n) {
  putNumber(r, '$', (long)n);
  put(r, p, n);
  put(r, "\r\n", 2);
}

/* Feeds the request's bytes to the client as readQueryFromClient does. */
static void feed(redisClient *c, const struct request *r) {
  c->querybuf = sdscatlen(c->querybuf, r->buf, r->len);
  processInputBuffer(c);
}

/* Takes the replies off the client's reply list (what sendReplyToClient
 * would write) into OUT; returns their length. */
static size_t replies(redisClient *c, char *out, size_t cap) {
  size_t n = 0;
  while (listLength(c->reply)) {
    listNode *ln = listFirst(c->reply);
    robj *o = listNodeValue(ln);
    size_t l = sdslen(o->ptr), i;
    for (i = 0; i < l && n < cap; i++)
      out[n++] = ((char *)o->ptr)[i];
    listDelNode(c->reply, ln);
  }
  return n;
}

static int sameBytes(const char *a, size_t an, const char *b, size_t bn) {
  size_t i;
  if (an != bn)
    return 0;
  for (i = 0; i < an; i++)
    if (a[i] != b[i])
      return 0;
  return 1;
}

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
