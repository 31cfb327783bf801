/* A post-update spec for tests/verify/programs/tcpcount (over
 * --tcp-lines): after the update, the reply to p is the number of h
 * requests since the last reset, those answered before the update
 * included. A reset is whatever the updated program answered "reset" to:
 * the request in flight at the commit is on the old side yet answered by
 * new code, which knows r. */
#include <dsu/spec.h>
#include <stdio.h>
#include <string.h>

void dsu_spec(void) {
  int hits = 0;
  for (int i = 0; i < dsu_spec_requests(); i++) {
    int n, m;
    const char *r = dsu_spec_request(i, &n);
    const char *got = dsu_spec_reply(i, &m);
    if (n < 2)
      continue;
    if (r[0] == 'h')
      hits++;
    else if (m == 6 && memcmp(got, "reset\n", 6) == 0)
      hits = 0;
    else if (r[0] == 'p' && dsu_spec_after_update(i)) {
      char want[32];
      int k = snprintf(want, sizeof want, "%d\n", hits);
      dsu_spec_assert(m == k && memcmp(got, want, (size_t)k) == 0,
                      "after the update, p counts the h since the last reset");
    }
  }
}
