/* The parts of a redis 2.0.x server without a network that the symex
 * harness (redis_harness.c) and the verify harness
 * (tests/verify/redis/redis_stdin.c) share: the server initialised like
 * initServer() minus its sockets, signals and timers, a client made like
 * createClient() minus its socket, requests built in the multi-bulk
 * protocol and fed to the real processInputBuffer(), and the replies taken
 * off the client's reply list. Include it after redis.c (everything there is
 * static); it needs no klee header, so the verify harness also runs
 * natively.
 */
#ifndef DSU_TESTS_REDIS_SERVER_H
#define DSU_TESTS_REDIS_SERVER_H

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

#endif
