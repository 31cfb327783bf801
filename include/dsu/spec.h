/* Post-update specs for `dsu verify --spec FILE.c` (docs/verification.md).
 *
 * A spec is C: one function, dsu_spec(), which dsu verify calls on every
 * path once the old version alone, the new version alone (for the
 * conformable form) and the updated program have answered the requests.
 * It reads the requests, the replies and when the update happened, and
 * states what must hold with dsu_spec_assert. The requests are symbolic
 * (every sequence of the input model); the spec runs symbolically like
 * program code, so it should branch on the bytes only as much as it needs.
 *
 *   #include <dsu/spec.h>
 *   #include <string.h>
 *   void dsu_spec(void) {
 *     // After the update, every reply to "p" shows the misses counted
 *     // before it, those before the update included.
 *     ...
 *   }
 *
 * The same file also runs natively on one concrete session: `dsu replay`
 * of a counterexample found with it, and `dsu spec-run`, compile it with
 * -DDSU_SPEC_NATIVE and lib/Verify's native runtime (spec_native.c).
 */
#ifndef DSU_SPEC_H
#define DSU_SPEC_H

#ifdef __cplusplus
extern "C" {
#endif

/* Defined by the spec. */
void dsu_spec(void);

/* The number of requests (--stdin-lines). */
int dsu_spec_requests(void);
/* Request i (0-based): its bytes, newline included, and their count. */
const char *dsu_spec_request(int i, int *len);
/* The updated program's reply to request i (what it wrote from reading the
 * first byte of request i to reading the first byte of the next); i = -1:
 * what it wrote before reading any. */
const char *dsu_spec_reply(int i, int *len);
/* The old version alone's reply to request i. */
const char *dsu_spec_old_reply(int i, int *len);
/* 1 if the update has committed on this path. */
int dsu_spec_updated(void);
/* 1 if request i was read after the update committed (it is on the new
 * side; the request in flight at the commit is on the old side). */
int dsu_spec_after_update(int i);
/* A counterexample if cond can be false; what names it in the report. */
void dsu_spec_assert(int cond, const char *what);

#ifdef DSU_SPEC_NATIVE
/* Natively, a failed assertion is named by its place too. */
void dsu_spec_assert_at(int cond, const char *what, const char *file, int line);
#define dsu_spec_assert(cond, what)                                            \
  dsu_spec_assert_at((cond), (what), __FILE__, __LINE__)
#endif

#ifdef __cplusplus
}
#endif

#endif
