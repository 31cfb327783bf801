/* A post-update spec for tests/verify/programs/crashfix: after the update,
 * r reports every h request before it, those answered before the update
 * included, and whether an m came before it ('m', else '-'). The old
 * version alone dies on an r with no m before it, so on most paths that
 * reach an r after the update there is no old reply; the spec reads none:
 * it judges the updated program's replies alone, and such paths are judged
 * (tests/verify's crashfix-spec-* entries). */
#include <dsu/spec.h>
#include <stdio.h>
#include <string.h>

void dsu_spec(void) {
  int hits = 0, missed = 0;
  for (int i = 0; i < dsu_spec_requests(); i++) {
    int n, m;
    const char *r = dsu_spec_request(i, &n);
    if (n < 2)
      continue;
    if (r[0] == 'h')
      hits++;
    else if (r[0] == 'm')
      missed = 1;
    else if (r[0] == 'r' && dsu_spec_after_update(i)) {
      char want[32];
      int k = snprintf(want, sizeof want, "%c %d\n", missed ? 'm' : '-', hits);
      const char *got = dsu_spec_reply(i, &m);
      dsu_spec_assert(m == k && memcmp(got, want, (size_t)k) == 0,
                      "after the update, r counts every h before it");
    }
  }
}
