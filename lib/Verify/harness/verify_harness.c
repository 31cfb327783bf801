/* The harness of `dsu verify` (lib/Verify/Verify.cpp explains the whole).
 *
 * lib/Verify links this file with up to three programs, each renamed under
 * a prefix of its own (__dsu_v_old., __dsu_v_merged., __dsu_v_new.) and
 * each with its own copy of the C library model, whose input and output
 * hooks are redirected to the functions below (with --tcp-lines, the hooks
 * of the socket model verify_net.c linked into each program: the requests
 * arrive on the client's connection and the replies are what the program
 * writes to it). main draws the requests
 * (DSU_V_LINES lines of 1 to DSU_V_LINE_MAX bytes, the last byte of each a
 * newline and no other), runs the old version alone, the merged program
 * (whose update timing the executor chooses) and, for the conformable form,
 * the new version alone, each on the same bytes from their first (in
 * lockstep: fibers that take turns request by request, each request drawn
 * when every run has reached it; see wait_for_input), records
 * what each writes to standard output cut into replies (the reply to
 * request i is what the run wrote from the moment it read the first byte
 * of request i to the moment it read the first byte of request i + 1), and
 * compares the merged program's replies with those the form requires.
 *
 * The generated prelude defines DSU_V_LINES, DSU_V_LINE_MAX, DSU_V_FORM
 * (0 backward-compatible, 1 conformable), DSU_V_HAVE_NEW, DSU_V_ALPHABET
 * (a string, "" for every byte but the newline), DSU_V_OLD_ERROR (the
 * --old-error pattern, "" for none), DSU_V_BASELINE (1: run the old
 * version alone and stop, to measure what verifying costs against it),
 * DSU_V_NFORMS and DSU_V_FORMS (--request-forms: how many, and the forms
 * as a C initialiser; 0 and nothing without; DSU_V_LINE_MAX is then the
 * longest form's length and its newline) and DSU_V_HAVE_SPEC (1: a --spec
 * file defines dsu_spec(), <dsu/spec.h>,
 * called on every judged path; DSU_V_FORM 2, post-update, is the spec
 * alone).
 */
#include <klee/klee.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

enum { OLD = 0, MERGED = 1, NEW = 2, RUNS = 3 };
#define OUT_MAX 4096

extern int dsu_v_old_main(int, char **) __asm__("__dsu_v_old.main");
extern int dsu_v_merged_main(int, char **) __asm__("__dsu_v_merged.main");
#if DSU_V_HAVE_NEW
extern int dsu_v_new_main(int, char **) __asm__("__dsu_v_new.main");
#endif
/* The executor stops the path there, as not explored (unknown). */
extern void __dsu_merge_unmodelled(const char *message);
/* The executor hands the text to lib/Verify (which path updated). */
extern void __dsu_symex_note(const char *text);
/* While on, an error ends the path without a verdict (counted): the old
 * version's own failures are not the update's, and it gives no reply to
 * compare with (a request it cannot serve is not one it understood). */
extern void __dsu_symex_excuse_errors(int on);
/* Under the conformable and post-update forms the old version alone may
 * fail after the update without making the path unjudgeable: its failure
 * ends only its fiber (__dsu_symex_excuse_errors(2)), and the path is ended
 * excused (__dsu_symex_excused_exit) only if some reply it owes is missing:
 * one on the old side, or one a spec reads (dsu_spec_old_reply). */
extern int __dsu_symex_fiber_failed(int id);
extern void __dsu_symex_excused_exit(void);
/* 1 if the n bytes at a and b differ, as one term (the executor's). */
extern int __dsu_symex_bytes_differ(const void *a, const void *b, size_t n);

/* PREFIX followed by N in decimal, into buf (of at least 32 bytes). The
 * harness names objects and notes this way rather than with snprintf: its
 * code runs on every path and every timing, interpreted like the
 * programs', and the library model's formatter costs hundreds of
 * instructions a call where this costs tens. */
static void name_number(char *buf, const char *prefix, long n) {
  char digits[24];
  int k = 0;
  do
    digits[k++] = (char)('0' + n % 10);
  while ((n /= 10) > 0 && k < (int)sizeof digits);
  while (*prefix)
    *buf++ = *prefix++;
  while (k > 0)
    *buf++ = digits[--k];
  *buf = 0;
}

static char in[DSU_V_LINES * DSU_V_LINE_MAX + 1];
static int in_len;
static int line_start[DSU_V_LINES + 1];
static int pos[RUNS], reading[RUNS], started[RUNS];
static char out[RUNS][OUT_MAX];
static int out_len[RUNS];
/* out_len[r] when run r read the first byte of request i. */
static int reply_at[RUNS][DSU_V_LINES + 1];
/* The requests the merged run had begun to read when the update committed
 * (-1: it did not): they and their replies belong to the old side. */
static int committed_before = -1;
static long commit_visit;
static char commit_where[256];
/* The request the old version alone failed in (-1: before reading any;
 * DSU_V_LINES: after the last), or -2: it did not fail. */
static int old_failed_in = -2;

/* The old version failed in a request that is on the old side of the
 * merged run (the update committed after the merged run began to read it,
 * or not at all): there is no old reply to judge that request by, and the
 * merged run's own failures there are the old code's. */
static int old_side_failed(void) {
  return old_failed_in > -2 &&
         !(committed_before >= 0 && committed_before <= old_failed_in);
}

/* Lockstep (main below): the runs are fibers of the executor that take
 * turns request by request, and each request is drawn only when every run
 * has reached it, so that what the runs do before a request forks (start-up,
 * the requests before it) is explored once for all the ways it forks.
 * drawn: the requests drawn so far; at_end: all drawn, the input ends. */
static int drawn, at_end;
static int fiber[RUNS], finished[RUNS];

/* Run r needs the input past what is drawn: back to main, which draws the
 * next request (or ends the input) before it resumes r. */
static void wait_for_input(int r) {
  while (pos[r] >= in_len && !at_end)
    __dsu_symex_fiber_switch(0);
}

/* Run r is about to read at pos[r]: waits for the input to be drawn, and
 * notes where r's output stood when it reads a request's first byte; 0 at
 * the end of the input. */
static int begin_read(int r) {
  reading[r] = 1;
  wait_for_input(r);
  if (pos[r] >= in_len)
    return 0;
  if (started[r] < DSU_V_LINES && pos[r] == line_start[started[r]]) {
    reply_at[r][started[r]] = out_len[r];
    started[r]++;
  }
  return 1;
}

static int next_byte(int r) {
  return begin_read(r) ? (unsigned char)in[pos[r]++] : -1;
}

/* Up to n bytes of run r's current request, to its end (newline
 * included), as next_byte would give them one by one; -1 at the end of the
 * input. */
static long read_bytes(int r, unsigned char *buf, size_t n) {
  if (!begin_read(r))
    return -1;
  /* pos[r] is in request started[r] - 1, which ends where the next one
   * starts (set when it was drawn). */
  size_t left = (size_t)(line_start[started[r]] - pos[r]);
  size_t k = n < left ? n : left;
  memcpy(buf, in + pos[r], k);
  pos[r] += (int)k;
  return (long)k;
}
long __dsu_verify_read_old(unsigned char *b, size_t n) {
  return read_bytes(OLD, b, n);
}
long __dsu_verify_read_merged(unsigned char *b, size_t n) {
  return read_bytes(MERGED, b, n);
}
long __dsu_verify_read_new(unsigned char *b, size_t n) {
  return read_bytes(NEW, b, n);
}

static void put(int r, int fd, const char *b, size_t n) {
  if (fd != 1 && fd <= 2)
    return;
  if (out_len[r] + n > OUT_MAX)
    __dsu_merge_unmodelled("dsu verify: a run wrote more than 4096 bytes");
  memcpy(out[r] + out_len[r], b, n);
  out_len[r] += (int)n;
}

int __dsu_verify_getc_old(void) { return next_byte(OLD); }
int __dsu_verify_getc_merged(void) { return next_byte(MERGED); }
int __dsu_verify_getc_new(void) { return next_byte(NEW); }
static int at_eof(int r) {
  if (!reading[r])
    return 0;
  wait_for_input(r);
  return pos[r] >= in_len;
}
int __dsu_verify_eof_old(void) { return at_eof(OLD); }
int __dsu_verify_eof_merged(void) { return at_eof(MERGED); }
int __dsu_verify_eof_new(void) { return at_eof(NEW); }
void __dsu_verify_output_old(int fd, const char *b, size_t n) {
  put(OLD, fd, b, n);
}
void __dsu_verify_output_merged(int fd, const char *b, size_t n) {
  put(MERGED, fd, b, n);
}
void __dsu_verify_output_new(int fd, const char *b, size_t n) {
  put(NEW, fd, b, n);
}
/* --tcp-lines: the programs' socket model (verify_net.c, linked into each)
 * takes the connection's bytes from next_byte and hands the replies here;
 * standard input is empty and standard output is not a reply. */
void __dsu_verify_reply_old(const char *b, size_t n) { put(OLD, 1, b, n); }
void __dsu_verify_reply_merged(const char *b, size_t n) {
  put(MERGED, 1, b, n);
}
void __dsu_verify_reply_new(const char *b, size_t n) { put(NEW, 1, b, n); }
int __dsu_verify_stdin_empty(void) { return -1; }
int __dsu_verify_stdin_at_end(void) { return 1; }
void __dsu_verify_not_a_reply(int fd, const char *b, size_t n) {}
/* The update timing of the versions run alone: never. */
int __dsu_verify_never(int point, long visit) { return 0; }
void __dsu_verify_committed(long visit, const char *where) {
  if (committed_before >= 0)
    return; /* one update per merged program here */
  committed_before = started[MERGED];
  if (old_failed_in > -2 && !old_side_failed())
    __dsu_symex_excuse_errors(0); /* from here the merged run is new code */
  commit_visit = visit;
  /* Up to its end, not strncpy's padding of the whole buffer: this runs at
   * every commit of every timing. */
  size_t k = 0;
  while (k + 1 < sizeof commit_where && where[k]) {
    commit_where[k] = where[k];
    k++;
  }
  commit_where[k] = 0;
}

/* Reply i of run r (i = -1: what it wrote before reading any request). */
static int reply_begin(int r, int i) {
  return i < 0 ? 0 : i < started[r] ? reply_at[r][i] : out_len[r];
}
static int reply_end(int r, int i) {
  return i + 1 < started[r] ? reply_at[r][i + 1] : out_len[r];
}

/* 1 if the replies differ (a symbolic value: no fork here). */
static int differ(int a, int b, int i) {
  int la = reply_end(a, i) - reply_begin(a, i);
  int lb = reply_end(b, i) - reply_begin(b, i);
  if (la != lb)
    return 1;
  return __dsu_symex_bytes_differ(out[a] + reply_begin(a, i),
                                  out[b] + reply_begin(b, i), (size_t)la);
}

/* --old-error: the matcher of Kernighan and Pike (c . ^ $ *), on the reply
 * bytes between t and e; it runs symbolically like program code. */
static int match_here(const char *re, const char *t, const char *e);
static int match_star(int c, const char *re, const char *t, const char *e) {
  do {
    if (match_here(re, t, e))
      return 1;
  } while (t < e && (*t++ == c || c == '.'));
  return 0;
}
static int match_here(const char *re, const char *t, const char *e) {
  if (re[0] == '\0')
    return 1;
  if (re[1] == '*')
    return match_star(re[0], re + 2, t, e);
  if (re[0] == '$' && re[1] == '\0')
    return t == e;
  if (t < e && (re[0] == '.' || re[0] == *t))
    return match_here(re + 1, t + 1, e);
  return 0;
}
static int old_error(int i) {
  static const char re[] = DSU_V_OLD_ERROR;
  if (!re[0])
    return 0;
  const char *t = out[OLD] + reply_begin(OLD, i),
             *e = out[OLD] + reply_end(OLD, i);
  if (re[0] == '^')
    return match_here(re + 1, t, e);
  do {
    if (match_here(re, t, e))
      return 1;
  } while (t++ < e);
  return 0;
}

static void report(const char *what);
static void resume(int r);

/* The old version alone is needed, past the commit, only by the
 * backward-compatible form (every reply is judged against it) and by a spec
 * that reads its replies (dsu_spec_old_reply). The other forms judge the
 * requests after the update against the new version's replies or by the
 * spec, so the harness stops resuming it once the merged run has committed
 * and it has answered every request on the old side (old_wanted): it is
 * then waiting for the first byte of the first request after the update,
 * so its reply to the request in flight at the commit is whole. Before, it
 * ran on every timing branch to the end, each time the same requests. Its
 * failures in those requests would not have been on the old side, so they
 * change no verdict. Where the rest of it is needed after all (a spec reads
 * an old reply, a report shows them), catch_up_old runs it to its end. */
static int old_wanted(int k) {
#if DSU_V_FORM == 0 || DSU_V_BASELINE
  (void)k;
  return 1;
#else
  /* Round k answers request k (k = DSU_V_LINES: the end of the input,
   * which may still add to the last reply). */
  return committed_before < 0 || k < committed_before ||
         committed_before == DSU_V_LINES;
#endif
}
static void catch_up_old(void) {
  if (at_end)
    resume(OLD);
}

/* 1 if the old version alone wrote its whole reply to request i (i = -1:
 * what it wrote before any request): it did not fail, or it failed after
 * reading the first byte of request i + 1, where that reply ends. A reply
 * of a run that failed while writing it, or before, is not the old
 * version's reply and judges nothing. */
static int old_reply_complete(int i) {
  return old_failed_in == -2 || i + 1 < started[OLD];
}

#if DSU_V_HAVE_SPEC
/* <dsu/spec.h>, for the --spec file's dsu_spec(). */
extern void dsu_spec(void);
int dsu_spec_requests(void) { return DSU_V_LINES; }
const char *dsu_spec_request(int i, int *len) {
  *len = line_start[i + 1] - line_start[i];
  return in + line_start[i];
}
const char *dsu_spec_reply(int i, int *len) {
  *len = reply_end(MERGED, i) - reply_begin(MERGED, i);
  return out[MERGED] + reply_begin(MERGED, i);
}
const char *dsu_spec_old_reply(int i, int *len) {
  catch_up_old();
  /* A spec that reads a reply the old version never completed cannot be
   * judged on this path: it ends unjudged, with the old version's failure
   * named, as where the failure is on the old side. A spec that does not
   * read it (one over the updated program's replies) is judged. */
  if (!old_reply_complete(i))
    __dsu_symex_excused_exit();
  *len = reply_end(OLD, i) - reply_begin(OLD, i);
  return out[OLD] + reply_begin(OLD, i);
}
int dsu_spec_updated(void) { return committed_before >= 0; }
int dsu_spec_after_update(int i) {
  return committed_before >= 0 && i >= committed_before;
}
void dsu_spec_assert(int cond, const char *what) {
  if (!cond) {
    report(what);
    klee_assert(0 && "dsu-verify: the spec's assertion failed");
  }
}
#endif

static void report_run(int r) {
  printf("run %d %d %d", r, out_len[r], started[r]);
  for (int i = 0; i < started[r]; i++)
    printf(" %d", reply_at[r][i]);
  printf("\n");
  fwrite(out[r], 1, (size_t)out_len[r], stdout);
  printf("\n");
}

/* The report lib/Verify reads back from the output trace (concretised
 * with the same model as the inputs); what: "-" for differing replies, or
 * the spec's assertion. */
static void report(const char *what) {
  int n = DSU_V_LINES;
  catch_up_old(); /* every old reply is shown */
  printf("dsu-verify-report %d %d %ld %s\n", n, committed_before, commit_visit,
         commit_where[0] ? commit_where : "-");
  printf("spec %s\n", what);
  printf("in %d", in_len);
  for (int i = 0; i < n; i++)
    printf(" %d", line_start[i]);
  printf("\n");
  fwrite(in, 1, (size_t)in_len, stdout);
  printf("\n");
  report_run(OLD);
  report_run(MERGED);
#if DSU_V_HAVE_NEW
  report_run(NEW);
#endif
  /* The old version's replies from this one on (-1: what it wrote before
   * any request) are not complete, as it failed; n: every one is. */
  int cut = -1;
  while (cut < n && old_reply_complete(cut))
    cut++;
  printf("old-cut %d\n", cut);
}

/* A byte of a request: from the alphabet, or any but the newline. */
static void assume_request_byte(char c) {
  static const char alphabet[] = DSU_V_ALPHABET;
  if (alphabet[0]) {
    int ok = 0;
    for (int k = 0; alphabet[k]; k++)
      ok |= c == alphabet[k];
    klee_assume(ok);
  } else
    klee_assume(c != '\n');
}

/* Draws request i at the end of the input: its length (one path each) and
 * its bytes (symbolic). */
static void draw_request(int i) {
  char name[32];
  int p = in_len;
  line_start[i] = p;
#if DSU_V_NFORMS
  /* --request-forms: the request is one of the forms (one path each), its
   * '?' bytes symbolic (the object "request i" holds them in order), the
   * others the form's own. */
  static const char *const forms[DSU_V_NFORMS] = DSU_V_FORMS;
  name_number(name, "form ", i + 1);
  int sym = klee_range(0, DSU_V_NFORMS, name);
  int f = 0;
  while (f < DSU_V_NFORMS - 1 && sym != f)
    f++;
  const char *form = forms[f];
  int len = (int)strlen(form), holes = 0;
  char bytes[DSU_V_LINE_MAX];
  for (int j = 0; j < len; j++)
    holes += form[j] == '?';
  if (holes) {
    name_number(name, "request ", i + 1);
    klee_make_symbolic(bytes, (size_t)holes, name);
  }
  for (int j = 0, k = 0; j < len; j++) {
    if (form[j] == '?') {
      assume_request_byte(bytes[k]);
      in[p + j] = bytes[k++];
    } else
      in[p + j] = form[j];
  }
  in[p + len] = '\n';
  p += len + 1;
#else
  name_number(name, "length ", i + 1);
  int sym = klee_range(1, DSU_V_LINE_MAX + 1, name);
  /* One path per length: the layout of the input stays concrete. */
  int len = 1;
  while (len < DSU_V_LINE_MAX && sym != len)
    len++;
  if (len > 1) {
    name_number(name, "request ", i + 1);
    klee_make_symbolic(in + p, (size_t)(len - 1), name);
  }
  for (int j = 0; j < len - 1; j++)
    assume_request_byte(in[p + j]);
  in[p + len - 1] = '\n';
  p += len;
#endif
  in_len = p;
  line_start[i + 1] = p;
  drawn = i + 1;
}

static int main_argc;
static char **main_argv;
static void run_old(void) {
  dsu_v_old_main(main_argc, main_argv);
  finished[OLD] = 1;
}
static void run_merged(void) {
  dsu_v_merged_main(main_argc, main_argv);
  finished[MERGED] = 1;
}
#if DSU_V_HAVE_NEW
static void run_new(void) {
  dsu_v_new_main(main_argc, main_argv);
  finished[NEW] = 1;
}
#endif

/* Lets run r go on until it needs input not drawn yet, or ends. The old
 * version's own failures are not the update's: under the
 * backward-compatible form, which judges every request against the old
 * version's reply, they end the path unjudged (and are counted). Under the
 * conformable and post-update forms they end only its run: the replies
 * after the update are judged against the new version's or by the spec,
 * and the path ends unjudged only if the failure falls on the old side
 * (old_side_failed), where the merged run's own failures are excused as
 * well, or if the spec reads an old reply the failure cut short
 * (dsu_spec_old_reply). */
static void resume(int r) {
  if (finished[r])
    return;
  int excuse = r == OLD ? (DSU_V_FORM != 0 ? 2 : 1)
                        : (r == MERGED && old_side_failed() ? 2 : 0);
  if (excuse)
    __dsu_symex_excuse_errors(excuse);
  __dsu_symex_fiber_switch(fiber[r]);
  if (excuse)
    __dsu_symex_excuse_errors(0);
  if (excuse == 2 && __dsu_symex_fiber_failed(fiber[r])) {
    finished[r] = 1;
    if (r == MERGED)
      __dsu_symex_excused_exit();
    old_failed_in =
        at_end && pos[OLD] >= in_len ? DSU_V_LINES : started[OLD] - 1;
  }
}

int main(int argc, char **argv) {
  main_argc = argc;
  main_argv = argv;
  fiber[OLD] = __dsu_symex_fiber_new(run_old);
  fiber[MERGED] = __dsu_symex_fiber_new(run_merged);
#if DSU_V_HAVE_NEW
  fiber[NEW] = __dsu_symex_fiber_new(run_new);
#endif
  /* Round k: request k is drawn and each run answers it. The old version
   * first, then the new one (both depend only on the requests), then the
   * merged program, whose timings part at each update-point visit. With
   * --baseline the old version runs alone: what verifying costs is
   * measured against this (bench/RESULTS.md). */
  for (int k = 0; k <= DSU_V_LINES; k++) {
    if (k < DSU_V_LINES)
      draw_request(k);
    else
      at_end = 1;
    if (old_wanted(k))
      resume(OLD);
#if DSU_V_FORM == 0 && !DSU_V_BASELINE
    /* Backward-compatible: a sequence the old version rejects is not
     * judged, so the path ends as soon as the old version's reply to
     * request k (complete: it waits for request k + 1) is an error, before
     * the other runs answer it. Not with a pattern anchored at the reply's
     * end, which bytes written later could still move. */
    if (k < DSU_V_LINES && !strchr(DSU_V_OLD_ERROR, '$') && old_error(k))
      klee_silent_exit(0);
#endif
#if !DSU_V_BASELINE
#if DSU_V_HAVE_NEW
    resume(NEW);
#endif
    resume(MERGED);
#endif
  }
#if DSU_V_BASELINE
  return 0;
#endif

  /* A history is judged only if the old version accepted it: for the
   * backward-compatible form every request, for the conformable form those
   * answered before the update. */
  int n = DSU_V_LINES;
  if (old_side_failed())
    __dsu_symex_excused_exit();
  int before = committed_before < 0 ? n : committed_before;
  int judged = DSU_V_FORM == 0 ? n : before;
  for (int i = 0; i < judged; i++)
    if (old_error(i))
      klee_silent_exit(0);

  /* Conformable: the request in flight at the commit (read before it) is
   * on the old side, but the code that answers it may be either version's
   * (old code still on the stack, or new code where the update point sits
   * between reading a request and answering it): its reply must be the old
   * version's or the new version's. */
  int d = DSU_V_FORM != 2 && differ(OLD, MERGED, -1);
  for (int i = 0; i < n && DSU_V_FORM != 2; i++) {
    if (DSU_V_FORM == 1 && i >= before)
      d |= differ(NEW, MERGED, i);
    else if (DSU_V_FORM == 1 && i == before - 1 && committed_before > 0)
      d |= differ(OLD, MERGED, i) & differ(NEW, MERGED, i);
    else
      d |= differ(OLD, MERGED, i);
  }
  if (DSU_V_FORM != 2 && d) {
    report("-");
    klee_assert(0 && "dsu-verify: replies differ");
  }
#if DSU_V_HAVE_SPEC
  dsu_spec();
#endif
  if (committed_before >= 0) {
    char note[64];
    name_number(note, "dsu-verify-updated ", commit_visit);
    __dsu_symex_note(note);
  } else
    __dsu_symex_note("dsu-verify-not-updated");
  return 0;
}
