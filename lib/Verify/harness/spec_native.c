/* The native runtime of post-update specs (<dsu/spec.h>): what `dsu replay`
 * of a spec's case and `dsu spec-run` link the spec with, to run its
 * dsu_spec() on one concrete session instead of every symbolic one
 * (lib/Verify/SpecRun.cpp builds and runs it).
 *
 * The spec is compiled with -DDSU_SPEC_NATIVE, which makes spec.h's
 * dsu_spec_assert a macro passing its file and line, so that a failed
 * assertion is named by its place as well as its text.
 *
 *   spec SESSION RESULT
 *
 * SESSION is written by lib/Verify: a header line "N COMMITTED_BEFORE
 * OLD_CUT" (COMMITTED_BEFORE: the requests the updated process had begun to
 * read when the update committed, -1 if it did not; OLD_CUT: the first
 * request whose reply the old version alone did not finish, as it was
 * killed (-1: what it wrote before any request), N if it was not), then N
 * requests, then
 * N + 1 replies of the updated process and N + 1 of the old version alone
 * (the first of each: what it wrote before reading any request), each item
 * a line with its length followed by its bytes and a newline. The replies
 * are cut as dsu verify's harness cuts them (verify_harness.c): reply i is
 * what the process wrote from reading the first byte of request i to
 * reading the first byte of request i + 1.
 *
 * Exit status: 0 the spec held (RESULT is empty); 1 an assertion failed
 * (RESULT: "FILE:LINE" then the assertion's text); 2 the spec misused the
 * API (RESULT: what it did); 4 the spec read an old reply the old
 * version's failure cut short, and the session cannot be judged (RESULT:
 * "-" then which), as dsu verify leaves such a path unjudged; anything
 * else, the spec crashed.
 */
#include <dsu/spec.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct item {
  char *bytes;
  int len;
};

static int nreq, committed_before = -1, old_cut;
static struct item *requests, *replies, *old_replies;
static const char *result_path;

static void finish(int status, const char *place, const char *text) {
  FILE *f = fopen(result_path, "w");
  if (f) {
    fprintf(f, "%s\n%s", place, text);
    fclose(f);
  }
  exit(status);
}

static void misuse(const char *fn, int i) {
  char text[160];
  snprintf(text, sizeof text, "%s(%d): no such request (there are %d)", fn, i,
           nreq);
  finish(2, "-", text);
}

static int read_item(FILE *f, struct item *it) {
  if (fscanf(f, "%d", &it->len) != 1 || it->len < 0 || fgetc(f) != '\n')
    return 0;
  it->bytes = malloc((size_t)it->len + 1);
  if (!it->bytes || fread(it->bytes, 1, (size_t)it->len, f) != (size_t)it->len)
    return 0;
  it->bytes[it->len] = 0;
  return fgetc(f) == '\n';
}

int dsu_spec_requests(void) { return nreq; }
const char *dsu_spec_request(int i, int *len) {
  if (i < 0 || i >= nreq)
    misuse("dsu_spec_request", i);
  *len = requests[i].len;
  return requests[i].bytes;
}
const char *dsu_spec_reply(int i, int *len) {
  if (i < -1 || i >= nreq)
    misuse("dsu_spec_reply", i);
  *len = replies[i + 1].len;
  return replies[i + 1].bytes;
}
const char *dsu_spec_old_reply(int i, int *len) {
  if (i < -1 || i >= nreq)
    misuse("dsu_spec_old_reply", i);
  if (i >= old_cut) {
    char text[160];
    snprintf(text, sizeof text,
             "dsu_spec_old_reply(%d): the old version alone failed before "
             "finishing that reply",
             i);
    finish(4, "-", text);
  }
  *len = old_replies[i + 1].len;
  return old_replies[i + 1].bytes;
}
int dsu_spec_updated(void) { return committed_before >= 0; }
int dsu_spec_after_update(int i) {
  return committed_before >= 0 && i >= committed_before;
}

/* The function itself, for a spec that calls it through a pointer or
 * #undefs the macro: no place to name. */
#undef dsu_spec_assert
void dsu_spec_assert_at(int cond, const char *what, const char *file,
                        int line) {
  if (cond)
    return;
  char place[4096];
  snprintf(place, sizeof place, "%s:%d", file ? file : "?", line);
  finish(1, place, what ? what : "");
}
void dsu_spec_assert(int cond, const char *what) {
  dsu_spec_assert_at(cond, what, NULL, 0);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s SESSION RESULT\n", argv[0]);
    return 3;
  }
  result_path = argv[2];
  FILE *f = fopen(argv[1], "rb");
  if (!f || fscanf(f, "%d %d %d", &nreq, &committed_before, &old_cut) != 3 ||
      nreq < 0 || fgetc(f) != '\n') {
    fprintf(stderr, "%s: not a session\n", argv[1]);
    return 3;
  }
  requests = calloc((size_t)nreq + 1, sizeof *requests);
  replies = calloc((size_t)nreq + 1, sizeof *replies);
  old_replies = calloc((size_t)nreq + 1, sizeof *old_replies);
  int ok = requests && replies && old_replies;
  for (int i = 0; ok && i < nreq; i++)
    ok = read_item(f, &requests[i]);
  for (int i = 0; ok && i <= nreq; i++)
    ok = read_item(f, &replies[i]);
  for (int i = 0; ok && i <= nreq; i++)
    ok = read_item(f, &old_replies[i]);
  fclose(f);
  if (!ok) {
    fprintf(stderr, "%s: a truncated session\n", argv[1]);
    return 3;
  }
  dsu_spec();
  finish(0, "", "");
  return 0;
}
