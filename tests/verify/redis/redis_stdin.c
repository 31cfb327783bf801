/* Real redis 2.0.x request code behind standard input, for `dsu verify`
 * (tests/verify/redis/redis.sh builds it with dsu-cc from each release in
 * ../shared/realprogs, and `dsu replay` runs it natively).
 *
 * The server is set up as in the symex harness (redis_server.h: no sockets,
 * signals or timers) with four stored keys: s (a string), n (an integer
 * encoded string), l (a list) and h (a hash with field f). Each line of
 * standard input is one request of a small grammar, turned into the
 * multi-bulk protocol and fed to the real processInputBuffer():
 *
 *   g K       GET K
 *   s K [V]   SET K V        (V is v when the line has no third byte)
 *   h K [F]   HMGET K F      (F is f when the line has no third byte)
 *
 * where K, V and F are single bytes (the line's bytes after the command
 * byte, the newline excluded), so that two bytes a request already reach
 * every command on every stored key. A line with the command byte alone
 * makes a request without arguments, which redis answers with its own
 * error; any other command byte is answered "-ERR no such request", and
 * bytes past the third are ignored. Each byte is first made concrete by
 * enumeration (concrete() below; the identity natively): under dsu verify
 * the path forks once per value the byte can take, and redis's hashing,
 * dictionaries and encodings then run on concrete keys, values and
 * fields, at the speed of a concrete run, instead of building solver terms
 * from symbolic bytes for the same paths. The replies redis queues for the
 * client are written to standard output after each request, and the
 * program reaches its update point before it reads the next one, as
 * redis's event loop does between two reads.
 */
#define main redis_main
#include "redis.c"
#undef main

#include <dsu.h>

#include "redis_server.h"

#define LINE_MAX_BYTES 16

/* B, as a concrete value: one path per value it can take (see above), by
 * bisection, so that each path asks eight questions of the byte instead of
 * one per candidate value. */
static char concrete(char b) {
  unsigned char u = (unsigned char)b;
  int lo = 0, hi = 255;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (u <= mid)
      hi = mid;
    else
      lo = mid + 1;
  }
  return (char)lo;
}

int main(void) {
  const char *const setS[] = {"SET", "s", "hello"};
  const char *const setN[] = {"SET", "n", "123"};
  const char *const pushL[] = {"RPUSH", "l", "x"};
  const char *const hsetH[] = {"HSET", "h", "f", "v"};
  const char *const *stored[] = {setS, setN, pushL, hsetH};
  const int storedArgc[] = {3, 3, 3, 4};
  char line[LINE_MAX_BYTES], out[512];
  struct request r;
  redisClient *c;
  size_t n;
  int i;

  harnessInitServer();
  c = harnessClient(7);
  for (i = 0; i < 4; i++) {
    int a;
    requestStart(&r, storedArgc[i]);
    for (a = 0; a < storedArgc[i]; a++)
      requestArg(&r, stored[i][a], strlen(stored[i][a]));
    feed(c, &r);
    replies(c, out, sizeof out); /* the set-up's replies are not the client's */
  }

  for (;;) {
    size_t len, nargs, a;
    const char *name, *deflt;

    DSU_UPDATE_POINT();
    if (!fgets(line, sizeof line, stdin))
      break;
    len = strlen(line);
    if (len && line[len - 1] == '\n')
      len--;
    if (len == 0)
      continue;
    for (a = 0; a < len && a < 3; a++)
      line[a] = concrete(line[a]);
    switch (line[0]) {
    case 'g':
      name = "GET", deflt = NULL;
      break;
    case 's':
      name = "SET", deflt = "v";
      break;
    case 'h':
      name = "HMGET", deflt = "f";
      break;
    default:
      fputs("-ERR no such request\r\n", stdout);
      fflush(stdout);
      continue;
    }
    nargs = len == 1 ? 1 : deflt ? 3 : 2;
    requestStart(&r, (int)nargs);
    requestArg(&r, name, strlen(name));
    if (nargs > 1)
      requestArg(&r, &line[1], 1);
    if (nargs > 2)
      requestArg(&r, len > 2 ? &line[2] : deflt, 1);
    feed(c, &r);
    n = replies(c, out, sizeof out);
    fwrite(out, 1, n, stdout);
    fflush(stdout);
  }
  return 0;
}
