/* A post-update spec for tests/verify/programs/counter: after the update,
 * the reply to p shows every h and m request before it, those answered
 * before the update included (state created before the update survives). */
#include <dsu/spec.h>
#include <stdio.h>
#include <string.h>

void dsu_spec(void) {
  int hits = 0, misses = 0;
  for (int i = 0; i < dsu_spec_requests(); i++) {
    int n, m;
    const char *r = dsu_spec_request(i, &n);
    if (n < 2)
      continue;
    if (r[0] == 'h')
      hits++;
    else if (r[0] == 'm')
      misses++;
    else if (r[0] == 'p' && dsu_spec_after_update(i)) {
      char want[32];
      int k = snprintf(want, sizeof want, "%d/%d\n", hits, misses);
      const char *got = dsu_spec_reply(i, &m);
      dsu_spec_assert(m == k && memcmp(got, want, (size_t)k) == 0,
                      "after the update, p counts every h and m before it");
    }
  }
}
