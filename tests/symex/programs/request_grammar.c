// A request handler fed by the request grammar of <klee/dsu_request.h>:
// commands from a list, 1-2 arguments of 1-2 bytes from "ab12". DEL with an
// argument ending in '2' writes one past the end of its slot table.
// VERDICT: error
// KIND: out-of-bounds
// STATUS: 1
#include <klee/dsu_request.h>
#include <string.h>

static int slots[2];
static char store[4][2];

static int handle(const char *req, size_t n) {
  const char *sp = memchr(req, ' ', n);
  size_t clen = sp ? (size_t)(sp - req) : n - 2;
  const char *arg = sp ? sp + 1 : req + n;
  const char *end = req + n - 2; // before \r\n
  const char *next = memchr(arg, ' ', (size_t)(end - arg));
  size_t alen = (size_t)((next ? next : end) - arg);
  if (clen == 3 && memcmp(req, "GET", 3) == 0)
    return store[(arg[0] - 'a') & 3][0];
  if (clen == 3 && memcmp(req, "SET", 3) == 0) {
    store[(arg[0] - 'a') & 3][0] = next ? next[1] : 0;
    return 0;
  }
  if (clen == 3 && memcmp(req, "DEL", 3) == 0) {
    int i = arg[alen - 1] - '0';
    if (i >= 0 && i <= 2)
      slots[i] = 0; // off by one: slots has 2 entries
    return 1;
  }
  return -1;
}

int main(void) {
  static const char *const cmds[] = {"GET", "SET", "DEL"};
  struct dsu_grammar g = {cmds, 3, "ab12", 1, 2, 1, 2};
  char req[64];
  size_t n = dsu_make_request(req, sizeof req, &g, DSU_REQUEST_INLINE);
  return handle(req, n) < -1;
}
