/* merge_runtime.c - the runtime inside a merged program (lib/Merge).
 *
 * `dsu merge` links this file, compiled to LLVM IR, with the old build's
 * code, the patch's code and tables, and the patch's state transformers.
 * It stands in for libdsu: it defines what the program's instrumented code
 * calls (update points, the context stack, heap tracking, thread brackets)
 * and commits the one update of the run the way runtime/dsu_runtime.c does
 * in the synchronous test mode of `dsu test` (DSU_TEST_UPDATE_AT=K):
 *
 *   - every visit of an update point is counted from 1;
 *   - at the visit where dsu_merge_choose(point, visit) says yes, the update
 *     is requested; it commits at that visit or, if the patch is unsafe
 *     there (the point's verdict and the calls on the context stack, as
 *     point_ok in dsu_runtime.c decides), at the first later visit where it
 *     is safe;
 *   - the commit runs the global transformers, stores each new body into its
 *     slot, runs the commit hook, and says so on stderr in the words of the
 *     runtime's test mode; a transformer that fails ends the run with exit
 *     status 97, as the test mode does.
 *
 * Natively dsu_merge_choose reads DSU_MERGE_UPDATE_AT=K (update at the K-th
 * visit; unset or 0: never). It is a function of its own, never inlined, so
 * that an executor can make its answer symbolic.
 *
 * Heap objects of changed types are not modelled: `dsu merge` refuses a
 * patch that has them, so the tracking calls here record nothing.
 *
 * Plain C, single-threaded programs (threads are created but not made
 * quiescent).
 */
#include <dsu/patch_format.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- what the merge puts beside this file (lib/Merge/Merge.cpp) */

/* The update points of the old version, in the order --explain numbers
 * them, ending with a NULL file. */
struct dsu_merge_point {
  const char *file;
  uint32_t line;
};
extern const struct dsu_merge_point __dsu_merge_points[];

/* The patch's tables (lib/Patch/PatchBuilder.cpp) and the transformers'
 * (generated C, lib/Patch/Transformers.cpp; absent without transformers). */
extern const struct dsu_patch_info __dsu_patch_info;
extern const struct dsu_point __dsu_points[];
extern const uint64_t __dsu_base_sites[];
extern const char *const __dsu_changed_names[];
extern const struct dsu_global_xform __dsu_global_xforms[]
    __attribute__((weak));
extern const struct dsu_hooks __dsu_hooks __attribute__((weak));

/* --- libdsu's interface to the program (include/dsu/dsu.h) */

/* Always set, so that every update point is seen (as in the test mode). */
volatile int __dsu_update_pending = 1;
__thread struct dsu_context __dsu_context
    __attribute__((tls_model("initial-exec")));

static long visits;       /* update-point visits so far */
static long requested_at; /* the visit that requested the update, or 0 */
static int updated;       /* the update has committed */

__attribute__((noinline)) int dsu_merge_choose(int point, long visit) {
  static long at = -1;
  (void)point;
  if (at < 0) {
    const char *e = getenv("DSU_MERGE_UPDATE_AT");
    at = e ? strtol(e, NULL, 10) : 0;
    if (at < 0)
      at = 0;
  }
  return at > 0 && visit == at;
}

static int merge_point_index(const char *base, int line) {
  for (int i = 0; __dsu_merge_points[i].file; i++)
    if ((int)__dsu_merge_points[i].line == line &&
        strcmp(__dsu_merge_points[i].file, base) == 0)
      return i;
  return -1;
}

static int in_ids(const uint64_t *ids, uint64_t id) {
  for (; ids && *ids; ids++)
    if (*ids == id)
      return 1;
  return 0;
}

/* point_ok of runtime/dsu_runtime.c for the first update of a process: no
 * earlier patch left frames running, so a site that is not one of the base
 * version's is a frame nothing records, and the update waits. */
static int point_ok(const char *file, long line) {
  const struct dsu_point *match = NULL;
  for (const struct dsu_point *p = __dsu_points; p && p->file; p++) {
    if ((long)p->line != line || strcmp(p->file, file) != 0)
      continue;
    if (p->reason && !p->safe_contexts)
      return 0;
    if (!match || p->reason)
      match = p;
  }
  if (!__dsu_changed_names || !*__dsu_changed_names)
    return 1;
  if (match && !match->safe_contexts)
    return 1;
  if (!__dsu_base_sites || !*__dsu_base_sites)
    return 1;
  uint64_t depth = __dsu_context.depth;
  if (depth > DSU_CONTEXT_SLOTS)
    return 0;
  for (uint64_t i = 0; i < depth; i++) {
    uint64_t site = __dsu_context.site[i];
    if (match && in_ids(match->safe_contexts, site))
      continue;
    return 0; /* a base frame through which the point is unsafe, or one
                 without a record */
  }
  return 1;
}

static int transforming;

void *dsu_relocated(const void *old) {
  if (transforming)
    for (const struct dsu_global_xform *g = __dsu_global_xforms; g && g->name;
         g++)
      if (g->old_addr && g->old_addr == old)
        return g->new_addr;
  return (void *)old;
}

void *dsu_original(const void *new_object) {
  if (transforming)
    for (const struct dsu_global_xform *g = __dsu_global_xforms; g && g->name;
         g++)
      if (g->new_addr && g->new_addr == new_object)
        return g->old_addr;
  return (void *)new_object;
}

static void commit(const char *file, int line) {
  char where[512];
  snprintf(where, sizeof where, "%s:%d", file ? file : "?", line);
  transforming = 1;
  for (const struct dsu_global_xform *g = __dsu_global_xforms; g && g->name;
       g++) {
    int r = g->fn ? g->fn() : 0;
    if (r != 0) {
      fprintf(stderr,
              "dsu: merge: the update at %s was rolled back: the "
              "transformer of %s failed (returned %d)\n",
              where, g->name, r);
      _exit(97);
    }
  }
  for (uint32_t i = 0; i < __dsu_patch_info.nrebind; i++)
    *__dsu_patch_info.rebind[i].slot = __dsu_patch_info.rebind[i].body;
  if (&__dsu_hooks && __dsu_hooks.commit)
    __dsu_hooks.commit();
  transforming = 0;
  updated = 1;
  fprintf(stderr, "dsu: merge: updated at update point %ld (%s)\n",
          requested_at, where);
}

void __dsu_update_point(const char *file, int line) {
  long n = ++visits;
  if (updated)
    return;
  const char *base = file ? strrchr(file, '/') : NULL;
  base = base ? base + 1 : (file ? file : "?");
  if (!requested_at && dsu_merge_choose(merge_point_index(base, line), n))
    requested_at = n;
  if (!requested_at || !point_ok(base, line))
    return;
  commit(file, line);
}

int dsu_update_fd(void) { return -1; }

const char *dsu_current_version(void) {
  return updated ? __dsu_patch_info.target_version
                 : __dsu_patch_info.base_version;
}

int dsu_update_count(void) { return updated; }

/* Heap tracking: nothing to record, since no changed type is modelled. */
void __dsu_track_alloc(void *p, size_t size, const char *tag) {
  (void)p, (void)size, (void)tag;
}
void __dsu_track_foreign(void *p, size_t size, const char *tag) {
  (void)p, (void)size, (void)tag;
}
void __dsu_track_free(void *p) { (void)p; }
void __dsu_track_realloc(void *old, void *p, size_t size, const char *tag) {
  (void)old, (void)p, (void)size, (void)tag;
}

/* Threads: created as usual; quiescence is not modelled. */
int __dsu_pthread_create(pthread_t *thread, const pthread_attr_t *attr,
                         void *(*fn)(void *), void *arg) {
  return pthread_create(thread, attr, fn, arg);
}
void __dsu_block_enter(const char *call) { (void)call; }
void __dsu_block_leave(void) {}
