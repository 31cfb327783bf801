/* A post-update spec for tests/verify/programs/crashfix that reads the old
 * version's replies: after the update, h is answered as the old version
 * alone answers it. Where the old version alone died on an earlier r (no m
 * before it), it never answered that h: there is no old reply to read, and
 * such a path cannot be judged by this spec (it is left unjudged and
 * named), never judged against the empty output of a run that ended
 * (tests/verify's crashfix-spec-old-replies entry). */
#include <dsu/spec.h>
#include <string.h>

void dsu_spec(void) {
  for (int i = 0; i < dsu_spec_requests(); i++) {
    int n, m, o;
    const char *r = dsu_spec_request(i, &n);
    if (n < 2 || r[0] != 'h' || !dsu_spec_after_update(i))
      continue;
    const char *got = dsu_spec_reply(i, &m);
    const char *want = dsu_spec_old_reply(i, &o);
    dsu_spec_assert(m == o && memcmp(got, want, (size_t)m) == 0,
                    "after the update, h is answered as by the old version");
  }
}
