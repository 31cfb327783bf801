/* merge_runtime.c - the runtime inside a merged program (lib/Merge).
 *
 * `dsu merge` links this file, compiled to LLVM IR, with the old build's
 * code, the patch's code and tables, and the patch's state transformers.
 * It stands in for libdsu: it defines what the program's instrumented code
 * calls (update points, the context stack, heap tracking, thread brackets)
 * and commits the one update of the run the way runtime/dsu_runtime.c does
 * in the synchronous test mode of `dsu test` (DSU_TEST_UPDATE_AT=K), or
 * the two updates of a chain v1 -> v2 -> v3 the way that mode does them
 * (DSU_TEST_UPDATE_AT=K1,K2):
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
 *     status 97, as the test mode does;
 *   - in a chain, once the first update has committed, dsu_merge_choose is
 *     asked again at every later visit, for the second; that one is checked
 *     as the runtime checks a second patch: the frames the first patch left
 *     running (its __dsu_residuals) must use nothing the second changes.
 *
 * Old code that touches the representation of a changed type or global
 * after the update stops the run with status 95 and an error naming the
 * function and the type (__dsu_merge_old_use); `dsu merge --force-at` (or
 * DSU_MERGE_FORCE=1, for every point) commits at the chosen visit even
 * where the patch is unsafe, to see it happen.
 *
 * Natively dsu_merge_choose reads DSU_MERGE_UPDATE_AT=K (update at the K-th
 * visit; unset or 0: never), or K1,K2 for a chain (the second update at the
 * K2-th visit, if the first has committed by then). It is a function of its
 * own, never inlined, so that an executor can make its answer symbolic.
 *
 * Five hooks let a tool that runs the merged program take part, each a
 * weak declaration (null natively, where the behaviour above holds):
 *   __dsu_merge_choice(point, visit)  the answer of dsu_merge_choose: `dsu
 *                                     symex` makes it a symbolic choice (so
 *                                     one run explores every timing), `dsu
 *                                     replay` hands out the recorded one;
 *   __dsu_merge_violation(message)    the safety check failed: an error the
 *                                     tool reports (symex) or aborts on
 *                                     (replay), before the exit with 95;
 *   __dsu_merge_unmodelled(message)   what the model leaves out was met (the
 *                                     exit with 96): symex stops the path as
 *                                     not explored, never as a success.
 *   __dsu_merge_committed(visit, where) the update committed (`dsu verify`'s
 *                                     harness counts the requests read
 *                                     before it);
 *   __dsu_merge_skip_null(base, off, end) where the commit's scan of
 *                                     pointer slots goes next: symex skips
 *                                     the slots it knows to be null.
 *
 * Heap objects of changed types are transformed by a model of the
 * runtime's state transfer (runtime/dsu_heap.c), written again here, small
 * and plain, from the same tracking information: the allocation sites
 * dsu-cc instrumented record each typed object (address, size, tag); at the
 * commit every object whose tag is a changed type's old tag gets a new
 * object filled element by element by the type's transformer, globals of
 * changed types get their new storage filled, every place the patch lists
 * as possibly holding a pointer to a relocated object (typed fields of
 * tracked objects, global pointers, arrays of pointers, untyped arrays) is
 * checked and redirected, with pointers into the middle of an object
 * following the field they point into; a place that cannot be accounted
 * for rolls the update back with the reason, as the runtime does. What the
 * model leaves out (objects of allocators the program frees itself, which
 * the runtime rewrites in place) ends the run with status 96 and a message
 * saying so, never with an execution the runtime cannot have.
 *
 * Plain C, single-threaded programs: a program that creates a thread stops
 * there (status 96), as an update would need the other threads made
 * quiescent, which this model does not do.
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
 * (generated C, lib/Patch/Transformers.cpp; absent without transformers).
 * The second update of a chain has the same tables under NAME.u2 (weak:
 * null when the merged program holds one update). */
extern const struct dsu_patch_info u1_info __asm__("__dsu_patch_info")
    __attribute__((weak));
extern const struct dsu_point u1_points[] __asm__("__dsu_points")
    __attribute__((weak));
extern const uint64_t u1_base_sites[] __asm__("__dsu_base_sites")
    __attribute__((weak));
extern const char *const u1_changed_names[] __asm__("__dsu_changed_names")
    __attribute__((weak));
extern const struct dsu_residual u1_residuals[] __asm__("__dsu_residuals")
    __attribute__((weak));
extern const struct dsu_global_xform u1_globals[] __asm__("__dsu_global_xforms")
    __attribute__((weak));
extern const struct dsu_hooks u1_hooks __asm__("__dsu_hooks")
    __attribute__((weak));
extern const struct dsu_global_init u1_inits[] __asm__("__dsu_global_inits")
    __attribute__((weak));
extern const struct dsu_type_xform u1_types[] __asm__("__dsu_type_xforms")
    __attribute__((weak));
extern const struct dsu_pointer_field
    u1_fields[] __asm__("__dsu_pointer_fields") __attribute__((weak));
extern const struct dsu_global_pointer
    u1_gptrs[] __asm__("__dsu_global_pointers") __attribute__((weak));
extern const struct dsu_live_range u1_live[] __asm__("__dsu_live_ranges")
    __attribute__((weak));
extern const struct dsu_patch_info u2_info __asm__("__dsu_patch_info.u2")
    __attribute__((weak));
extern const struct dsu_point u2_points[] __asm__("__dsu_points.u2")
    __attribute__((weak));
extern const uint64_t u2_base_sites[] __asm__("__dsu_base_sites.u2")
    __attribute__((weak));
extern const char *const u2_changed_names[] __asm__("__dsu_changed_names.u2")
    __attribute__((weak));
extern const struct dsu_residual u2_residuals[] __asm__("__dsu_residuals.u2")
    __attribute__((weak));
extern const struct dsu_global_xform
    u2_globals[] __asm__("__dsu_global_xforms.u2") __attribute__((weak));
extern const struct dsu_hooks u2_hooks __asm__("__dsu_hooks.u2")
    __attribute__((weak));
extern const struct dsu_global_init u2_inits[] __asm__("__dsu_global_inits.u2")
    __attribute__((weak));
extern const struct dsu_type_xform u2_types[] __asm__("__dsu_type_xforms.u2")
    __attribute__((weak));
extern const struct dsu_pointer_field
    u2_fields[] __asm__("__dsu_pointer_fields.u2") __attribute__((weak));
extern const struct dsu_global_pointer
    u2_gptrs[] __asm__("__dsu_global_pointers.u2") __attribute__((weak));
extern const struct dsu_live_range u2_live[] __asm__("__dsu_live_ranges.u2")
    __attribute__((weak));

/* One update's tables. */
struct update {
  const struct dsu_patch_info *info;
  const struct dsu_point *points;
  const uint64_t *base_sites;
  const char *const *changed_names;
  const struct dsu_residual *residuals;
  const struct dsu_global_xform *globals;
  const struct dsu_hooks *hooks;
  const struct dsu_global_init *inits;
  const struct dsu_type_xform *types;
  const struct dsu_pointer_field *fields;
  const struct dsu_global_pointer *gptrs;
  const struct dsu_live_range *live;
};
static const struct update updates[2] = {
    {&u1_info, u1_points, u1_base_sites, u1_changed_names, u1_residuals,
     u1_globals, &u1_hooks, u1_inits, u1_types, u1_fields, u1_gptrs, u1_live},
    {&u2_info, u2_points, u2_base_sites, u2_changed_names, u2_residuals,
     u2_globals, &u2_hooks, u2_inits, u2_types, u2_fields, u2_gptrs, u2_live},
};

/* --- libdsu's interface to the program (include/dsu/dsu.h) */

/* Always set, so that every update point is seen (as in the test mode). */
volatile int __dsu_update_pending = 1;
__thread struct dsu_context __dsu_context
    __attribute__((tls_model("initial-exec")));

static long visits;       /* update-point visits so far */
static long requested_at; /* the visit that requested the next update, or 0 */
static int updated;       /* how many updates have committed */
static char committed_at[2][512]; /* FILE:LINE of each commit */

/* The update requested or committing: the first, then in a chain the
 * second. */
static const struct update *next_update(void) { return &updates[updated]; }
/* How many updates the merge put in (lib/Merge): 1, or 2 for a chain. Said
 * by the merge, not inferred from the weak tables, so that a tool running
 * the module need not make undefined weak objects null (dsu symex once made
 * them empty objects). */
extern const int __dsu_merge_updates;
static int updates_in_program(void) { return __dsu_merge_updates; }

extern int __dsu_merge_choice(int point, long visit) __attribute__((weak));
extern void __dsu_merge_violation(const char *message) __attribute__((weak));
extern void __dsu_merge_unmodelled(const char *message) __attribute__((weak));
/* The update has committed: requested at visit `visit`, committed at
 * `where` (FILE:LINE). `dsu verify`'s harness uses it to tell the requests
 * answered before the update from those after it; null otherwise. */
extern void __dsu_merge_committed(long visit, const char *where)
    __attribute__((weak));

/* The offset of the first pointer-sized slot of base, from off on in steps
 * of a pointer and below end, that is not known to be null (end or past it
 * if none). `dsu symex` answers it natively from its memory, so that the
 * scans of a commit do not interpret a loop over every slot of a mostly
 * empty hash table; natively it is null and the loops below test each
 * slot themselves. */
extern size_t __dsu_merge_skip_null(const char *base, size_t off, size_t end)
    __attribute__((weak));
static size_t skip_null(const char *base, size_t off, size_t end) {
  return __dsu_merge_skip_null ? __dsu_merge_skip_null(base, off, end) : off;
}

/* Ends the run where the model of the runtime stops (status 96). */
static void unmodelled(const char *message) {
  fprintf(stderr, "dsu: merge: %s\n", message);
  if (__dsu_merge_unmodelled)
    __dsu_merge_unmodelled(message);
  _exit(96);
}

__attribute__((noinline)) int dsu_merge_choose(int point, long visit) {
  static long at[2] = {-1, 0};
  if (__dsu_merge_choice)
    return __dsu_merge_choice(point, visit) != 0;
  if (at[0] < 0) {
    /* K, or K1,K2 for a chain (read as the runtime's test mode reads
     * DSU_TEST_UPDATE_AT: a K2 not after K1 is no second update). */
    const char *e = getenv("DSU_MERGE_UPDATE_AT");
    char *end = NULL;
    at[0] = e ? strtol(e, &end, 10) : 0;
    if (at[0] < 0)
      at[0] = 0;
    if (at[0] > 0 && end && *end == ',')
      at[1] = strtol(end + 1, NULL, 10);
    if (at[1] <= at[0])
      at[1] = 0;
  }
  return visit > 0 && (visit == at[0] || visit == at[1]);
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

/* residual_ok of runtime/dsu_runtime.c: the frame of an earlier version at
 * SITE may stay while U commits if the first update recorded it and it
 * uses nothing U changes. */
static int residual_ok(const struct update *u, uint64_t site) {
  for (int t = updated - 1; t >= 0; t--)
    for (const struct dsu_residual *r = updates[t].residuals; r && r->site;
         r++) {
      if (r->site != site)
        continue;
      for (const char *const *use = r->uses; use && *use; use++)
        for (const char *const *c = u->changed_names; c && *c; c++)
          if (strcmp(*use, *c) == 0)
            return 0;
      return 1;
    }
  return 0; /* a frame nothing records */
}

/* point_ok of runtime/dsu_runtime.c for the update U: a site that is not
 * one of the base version's must be a frame an earlier update left
 * running that uses nothing U changes, else the update waits. */
static int point_ok(const struct update *u, const char *file, long line) {
  const struct dsu_point *match = NULL;
  for (const struct dsu_point *p = u->points; p && p->file; p++) {
    if ((long)p->line != line || strcmp(p->file, file) != 0)
      continue;
    if (p->reason && !p->safe_contexts)
      return 0;
    if (!match || p->reason)
      match = p;
  }
  if (!u->changed_names || !*u->changed_names)
    return 1;
  if (match && !match->safe_contexts)
    return 1;
  if (!u->base_sites || !*u->base_sites)
    return 1;
  uint64_t depth = __dsu_context.depth;
  if (depth > DSU_CONTEXT_SLOTS)
    return 0;
  for (uint64_t i = 0; i < depth; i++) {
    uint64_t site = __dsu_context.site[i];
    if (match && in_ids(match->safe_contexts, site))
      continue;
    if (in_ids(u->base_sites, site))
      return 0; /* a base frame through which the point is unsafe */
    if (!residual_ok(u, site))
      return 0;
  }
  return 1;
}

/* ------------------------------------------------- heap tracking */

struct tracked {
  char *addr;
  size_t size;
  const char *tag;
  int foreign;
};
static struct tracked *objects;
static size_t nobjects, cap_objects;

static struct tracked *find_object(const void *p) {
  for (size_t i = nobjects; i-- > 0;)
    if (objects[i].addr == p)
      return &objects[i];
  return NULL;
}

static void track(void *p, size_t size, const char *tag, int foreign) {
  if (!p)
    return;
  struct tracked *e = find_object(p);
  if (!e) {
    if (nobjects == cap_objects) {
      size_t cap = cap_objects ? 2 * cap_objects : 64;
      struct tracked *grown = realloc(objects, cap * sizeof *objects);
      if (!grown) {
        unmodelled("out of memory tracking objects");
      }
      objects = grown;
      cap_objects = cap;
    }
    e = &objects[nobjects++];
  }
  e->addr = p;
  e->size = size;
  e->tag = tag;
  e->foreign = foreign;
}

static void untrack(const void *p) {
  struct tracked *e = p ? find_object(p) : NULL;
  if (e)
    *e = objects[--nobjects];
}

void __dsu_track_alloc(void *p, size_t size, const char *tag) {
  track(p, size, tag, 0);
}
void __dsu_track_foreign(void *p, size_t size, const char *tag) {
  track(p, size, tag, 1);
}
void __dsu_track_free(void *p) { untrack(p); }
static void retrack(void *old, void *p, size_t size, const char *tag,
                    int foreign) {
  if (!p && size)
    return; /* failed: old is untouched */
  const char *t = tag;
  struct tracked *e = old ? find_object(old) : NULL;
  if (e) {
    if (!t)
      t = e->tag;
    untrack(old);
  }
  if (p && t)
    track(p, size, t, foreign);
}
void __dsu_track_realloc(void *old, void *p, size_t size, const char *tag) {
  retrack(old, p, size, tag, 0);
}
/* A realloc-like allocator named with its deallocator released old itself
 * (dsu_heap.c). */
void __dsu_track_foreign_realloc(void *old, void *p, size_t size,
                                 const char *tag) {
  retrack(old, p, size, tag, 1);
}

/* ------------------------------------------------ state transformation */

/* The update whose state is being transferred. */
static const struct update *xu;

/* A stretch of old memory that moves: an object (or array of elements) of a
 * changed type, or a global of a changed type. */
struct block {
  char *old_start;
  size_t old_len, old_elem;
  char *new_start;
  size_t new_elem;
  const struct dsu_field_move *moves;
  const struct dsu_type_xform *type; /* NULL for a global's own block */
  struct tracked *object;            /* the tracked object, if any */
};
static struct block *blocks;
static size_t nblocks;
static int transforming;

static const struct dsu_type_xform *type_of_tag(const char *tag) {
  const struct dsu_type_xform *found = NULL;
  for (const struct dsu_type_xform *t = xu->types; t && t->old_tag; t++)
    if (dsu_tag_is(tag, t->old_tag))
      found = t;
  return found;
}

enum { NOT_MOVED, MOVED, UNMAPPABLE };

/* Where the old address v goes (see relocate() in runtime/dsu_heap.c). A
 * new element's address maps to itself: a transformer may store one. */
static int relocate(const char *v, char **to) {
  for (size_t i = 0; i < nblocks; i++) {
    const struct block *b = &blocks[i];
    size_t n = b->old_len / b->old_elem;
    if (v >= b->new_start && v < b->new_start + n * b->new_elem &&
        (size_t)(v - b->new_start) % b->new_elem == 0) {
      *to = (char *)v; /* the start of a new element */
      return MOVED;
    }
    if (v < b->old_start || v >= b->old_start + b->old_len)
      continue;
    size_t off = (size_t)(v - b->old_start);
    size_t k = off / b->old_elem, in = off % b->old_elem, at;
    if (!dsu_new_offset(b->moves, in, 0, 0, &at))
      return UNMAPPABLE;
    *to = b->new_start + k * b->new_elem + at;
    return MOVED;
  }
  return NOT_MOVED;
}

void *dsu_relocated(const void *old) {
  char *to;
  if (transforming && relocate(old, &to) == MOVED)
    return to;
  return (void *)old;
}

void *dsu_original(const void *new_object) {
  const char *v = new_object;
  for (size_t i = 0; transforming && i < nblocks; i++) {
    const struct block *b = &blocks[i];
    size_t n = b->old_len / b->old_elem;
    if (v < b->new_start || v >= b->new_start + n * b->new_elem)
      continue;
    size_t off = (size_t)(v - b->new_start);
    size_t k = off / b->new_elem, in = off % b->new_elem, at;
    if (!dsu_old_offset(b->moves, in, 0, 0, &at))
      return (void *)new_object;
    return b->old_start + k * b->old_elem + at;
  }
  return (void *)new_object;
}

static char failure[1024];

static void add_block(char *old_start, size_t old_len, size_t old_elem,
                      char *new_start, size_t new_elem,
                      const struct dsu_field_move *moves,
                      const struct dsu_type_xform *type,
                      struct tracked *object) {
  if (!old_len)
    return;
  struct block *grown = realloc(blocks, (nblocks + 1) * sizeof *blocks);
  if (!grown) {
    unmodelled("out of memory transforming");
  }
  blocks = grown;
  blocks[nblocks++] = (struct block){old_start,
                                     old_len,
                                     old_elem ? old_elem : old_len,
                                     new_start,
                                     new_elem ? new_elem : old_len,
                                     moves,
                                     type,
                                     object};
}

struct fixup {
  void **where;
  void *value;
};
static struct fixup *fixups;
static size_t nfixups;

/* Whether v points into memory whose pointers are read: a tracked object
 * or a global pointer slot (as runtime/dsu_heap.c's holds_pointers). */
static int holds_pointers(const char *v) {
  for (const struct dsu_global_pointer *g = xu->gptrs; g && g->addr; g++)
    if (dsu_global_pointer_slot(g, (uintptr_t)v))
      return 1;
  for (size_t i = 0; i < nobjects; i++)
    if (v >= objects[i].addr && v < objects[i].addr + objects[i].size)
      return 1;
  return 0;
}

/* Checks the pointer slot at `slot`; records its redirection. 0 or -1. */
static int check_slot(void *slot, const char *where, int inner) {
  char *v = *(char **)slot, *to = NULL;
  if (!v)
    return 0;
  int r = relocate(v, &to);
  if (r == NOT_MOVED && inner == 2 && !holds_pointers(v)) {
    snprintf(failure, sizeof failure,
             "%s holds %p, which points to pointers to a type this patch "
             "changes in memory dsu did not see allocated (no typed site, no "
             "global): those pointers cannot be redirected",
             where, (void *)v);
    return -1;
  }
  if (r == NOT_MOVED && inner)
    return 0;
  if (r != MOVED) {
    snprintf(failure, sizeof failure,
             r == UNMAPPABLE
                 ? "%s holds %p, which points into a relocated object at a "
                   "place its new layout does not keep: the update cannot "
                   "account for it"
                 : "%s holds %p, which is not an object dsu knows (allocated "
                   "at a typed site or a global) of a type this patch "
                   "changes: the update cannot account for it",
             where, (void *)v);
    return -1;
  }
  struct fixup *grown = realloc(fixups, (nfixups + 1) * sizeof *fixups);
  if (!grown) {
    unmodelled("out of memory transforming");
  }
  fixups = grown;
  fixups[nfixups++] = (struct fixup){(void **)slot, to};
  return 0;
}

/* Checks every place the patch lists in the object at base (tag, size,
 * element size). */
static int check_object(char *base, size_t size, const char *tag, size_t elem) {
  for (const struct dsu_pointer_field *f = xu->fields; f && f->tag; f++) {
    if (!dsu_tag_is(tag, f->tag))
      continue;
    if (f->offset == (size_t)-2) {
      for (size_t off = skip_null(base, 0, size); off + sizeof(void *) <= size;
           off = skip_null(base, off + sizeof(void *), size)) {
        char *v = *(char **)(base + off), *to;
        if (v && relocate(v, &to) != NOT_MOVED) {
          snprintf(failure, sizeof failure,
                   "%s holds %p, a pointer into a relocated object, but its "
                   "slots are untyped: the update cannot account for it "
                   "(give the array a pointer type)",
                   f->where, (void *)v);
          return -1;
        }
      }
    } else if (f->offset == (size_t)-1) {
      size_t in_use = dsu_live_bytes(xu->live, base, size);
      /* The null slots (most of a hash table's) skipped here rather than
       * in a call: this loop runs over every slot at every commit. */
      for (size_t off = skip_null(base, 0, in_use);
           off + sizeof(void *) <= in_use;
           off = skip_null(base, off + sizeof(void *), in_use))
        if (*(char **)(base + off) &&
            check_slot(base + off, f->where, f->inner) != 0)
          return -1;
    } else {
      /* An object that does not move (elem 0) is an array of its type (the
       * table gives its size) or one object with data after it. */
      size_t step =
          dsu_field_step(f, size, elem, !elem && dsu_tag_has_data_after(tag));
      size_t count = f->count ? f->count : 1;
      for (size_t at = 0; at + step <= size; at += step)
        if (f->offset + (count - 1) * f->stride + sizeof(void *) <= step)
          for (size_t k = 0; k < count; k++)
            if (check_slot(base + at + f->offset + k * f->stride, f->where,
                           f->inner) != 0)
              return -1;
    }
  }
  return 0;
}

/* The state transfer of the commit, up to the point where nothing can fail:
 * 0, or -1 with the reason in `failure` (nothing the program sees changed,
 * the new objects are freed). */
/* As the runtime (dsu_heap.c): which globals whose initialiser changed
 * still hold their old initialiser, read before anything rewrites them. */
static unsigned char *fresh_inits;
static size_t ninits;

static int transform_state(void) {
  int any_type = xu->types && xu->types[0].old_tag;
  ninits = 0;
  /* 0. Globals whose initialiser changed. */
  for (const struct dsu_global_init *gi = xu->inits; gi && gi->name; gi++)
    ninits++;
  if (ninits && !(fresh_inits = calloc(ninits, 1))) {
    snprintf(failure, sizeof failure, "out of memory");
    return -1;
  }
  for (size_t i = 0; i < ninits; i++)
    fresh_inits[i] = (unsigned char)dsu_init_unchanged(&xu->inits[i]);
  /* 1. Objects of changed types: new objects, every address known before any
   * transformer runs. */
  size_t elements = 0;
  for (size_t i = 0; i < nobjects; i++) {
    struct tracked *e = &objects[i];
    const struct dsu_type_xform *t = type_of_tag(e->tag);
    if (!t)
      continue;
    if (dsu_tag_has_data_after(e->tag)) {
      snprintf(failure, sizeof failure,
               "not modelled: a heap object of %s with data after it (moved "
               "with its data by the runtime)",
               t->old_tag);
      unmodelled(failure);
    }
    size_t n = t->old_size ? e->size / t->old_size : 0;
    if (n == 0 || n * t->old_size != e->size) {
      snprintf(failure, sizeof failure,
               "a heap object of %s at %p has %zu bytes, not a multiple of "
               "the type's %zu: it cannot be transformed",
               t->old_tag, (void *)e->addr, e->size, t->old_size);
      return -1;
    }
    if (e->foreign) {
      snprintf(failure, sizeof failure,
               "not modelled: a heap object of %s from an allocator the "
               "program frees itself (transformed in place by the runtime)",
               t->old_tag);
      unmodelled(failure);
    }
    char *obj = calloc(n, t->new_size);
    if (!obj) {
      snprintf(failure, sizeof failure, "out of memory transforming %s",
               t->old_tag);
      return -1;
    }
    add_block(e->addr, e->size, t->old_size, obj, t->new_size, t->moves, t, e);
    elements += n;
  }
  size_t nglobals = 0;
  for (const struct dsu_global_xform *g = xu->globals; g && g->name; g++) {
    nglobals++;
    if (!g->old_addr || !g->new_addr)
      continue; /* a state transformer of the user's: no storage moves */
    const struct dsu_type_xform *t = NULL;
    if (g->elem_type > 0 && xu->types) {
      t = &xu->types[g->elem_type - 1];
      if (!t->old_size || !t->new_size || g->old_size % t->old_size ||
          g->new_size % t->new_size ||
          g->old_size / t->old_size != g->new_size / t->new_size)
        t = NULL;
    }
    add_block(g->old_addr, g->old_size, t ? t->old_size : 0, g->new_addr,
              t ? t->new_size : 0, t ? t->moves : NULL, NULL, NULL);
  }
  transforming = 1;
  for (size_t i = 0; i < nblocks; i++) {
    struct block *b = &blocks[i];
    if (!b->type)
      continue;
    for (size_t k = 0; k < b->old_len / b->old_elem; k++) {
      int r = b->type->fn ? b->type->fn(b->new_start + k * b->new_elem,
                                        b->old_start + k * b->old_elem)
                          : 0;
      if (r != 0) {
        snprintf(failure, sizeof failure,
                 "the transformer of %s failed (returned %d)", b->type->new_tag,
                 r);
        return -1;
      }
    }
  }
  /* 2. Globals whose type changed, and the user's state transformers. */
  for (const struct dsu_global_xform *g = xu->globals; g && g->name; g++) {
    int keep_new = 0; /* never changed: its new storage keeps the new value */
    for (size_t i = 0; g->old_addr && i < ninits; i++)
      keep_new |= fresh_inits[i] && !xu->inits[i].new_init &&
                  xu->inits[i].addr == g->old_addr;
    if (keep_new)
      continue;
    int r = g->fn ? g->fn() : 0;
    if (r != 0) {
      snprintf(failure, sizeof failure,
               "the transformer of %s failed (returned %d)", g->name, r);
      return -1;
    }
  }
  /* 3. Every place that may hold a pointer to a relocated object. */
  if (elements || nglobals || any_type) {
    for (const struct dsu_global_pointer *g = xu->gptrs; g && g->addr; g++)
      for (size_t k = 0; k < (g->count ? g->count : 1); k++)
        if (check_slot((char *)g->addr + k * g->stride, g->where, g->inner) !=
            0)
          return -1;
    for (size_t i = 0; i < nobjects; i++) {
      struct tracked *e = &objects[i];
      char *base = e->addr;
      size_t size = e->size, elem = 0;
      const char *tag = e->tag;
      for (size_t j = 0; j < nblocks; j++)
        if (blocks[j].object == e) {
          base = blocks[j].new_start;
          size = (e->size / blocks[j].old_elem) * blocks[j].new_elem;
          tag = blocks[j].type->new_tag;
          elem = blocks[j].new_elem;
        }
      if (check_object(base, size, tag, elem) != 0)
        return -1;
    }
  }
  /* 4. Commit: the redirections, the globals the program never changed,
   * then the table. */
  for (size_t i = 0; i < nfixups; i++)
    *fixups[i].where = fixups[i].value;
  for (size_t i = 0; i < ninits; i++)
    if (fresh_inits[i] && xu->inits[i].new_init)
      memcpy(xu->inits[i].addr, xu->inits[i].new_init, xu->inits[i].size);
  for (size_t i = 0; i < nblocks; i++) {
    struct block *b = &blocks[i];
    if (!b->object)
      continue;
    b->object->addr = b->new_start;
    b->object->size = (b->old_len / b->old_elem) * b->new_elem;
    b->object->tag = b->type->new_tag;
  }
  return 0;
}

/* After the commit hook: the old objects go. */
static void transform_finish(void) {
  for (size_t i = 0; i < nblocks; i++)
    if (blocks[i].object)
      free(blocks[i].old_start);
  transforming = 0;
  free(blocks);
  blocks = NULL;
  nblocks = 0;
  free(fixups);
  fixups = NULL;
  nfixups = 0;
}

static void rollback(const char *where) {
  if (transforming && xu->hooks && xu->hooks->rollback)
    xu->hooks->rollback();
  fprintf(stderr, "dsu: merge: the update at %s was rolled back: %s\n", where,
          failure);
  _exit(97);
}

/* Appends s (or n in decimal) to the string being built at *p, up to end
 * (truncated as snprintf truncates). The commit's messages are built so
 * rather than with snprintf and fprintf: under dsu symex and dsu verify
 * this code is interpreted at every commit of every update timing, where
 * the C library model's formatter costs thousands of instructions a
 * message; the bytes are the same. */
static void append(char **p, char *end, const char *s) {
  while (*s && *p + 1 < end)
    *(*p)++ = *s++;
  **p = 0;
}
static void append_long(char **p, char *end, long n) {
  char digits[24];
  int k = 0;
  unsigned long u = n < 0 ? 0UL - (unsigned long)n : (unsigned long)n;
  if (n < 0)
    append(p, end, "-");
  do
    digits[k++] = (char)('0' + u % 10);
  while ((u /= 10) > 0);
  while (k > 0 && *p + 1 < end)
    *(*p)++ = digits[--k];
  **p = 0;
}

static void commit(const char *file, int line) {
  xu = next_update();
  const struct dsu_patch_info *info = xu->info;
  char where[512], *w = where;
  append(&w, where + sizeof where, file ? file : "?");
  append(&w, where + sizeof where, ":");
  append_long(&w, where + sizeof where, line);
  /* As the runtime: state transfer (and the commit hook) when the patch
   * exports transformer tables, even empty ones. */
  int state = xu->types || xu->globals || xu->inits;
  /* As the runtime: the new code is in place while the transformers run
   * (they may call it), and the old code back if they fail. */
  uint32_t n = info->nrebind;
  void **saved = state && n ? malloc(n * sizeof *saved) : NULL;
  for (uint32_t i = 0; saved && i < n; i++) {
    saved[i] = *info->rebind[i].slot;
    *info->rebind[i].slot = info->rebind[i].body;
  }
  if (state && n && !saved) {
    snprintf(failure, sizeof failure, "out of memory");
    rollback(where);
  }
  if (state && transform_state() != 0) {
    for (uint32_t i = 0; saved && i < n; i++)
      *info->rebind[i].slot = saved[i];
    rollback(where);
  }
  free(saved);
  if (!state)
    for (uint32_t i = 0; i < n; i++)
      *info->rebind[i].slot = info->rebind[i].body;
  if (state && xu->hooks && xu->hooks->commit)
    xu->hooks->commit();
  if (state)
    transform_finish();
  char *c = committed_at[updated];
  append(&c, committed_at[updated] + sizeof committed_at[updated], where);
  updated++;
  char message[600], *m = message, *end = message + sizeof message;
  append(&m, end, "dsu: merge: updated at update point ");
  append_long(&m, end, requested_at);
  append(&m, end, " (");
  append(&m, end, where);
  append(&m, end, ")\n");
  fputs(message, stderr);
  if (__dsu_merge_committed)
    __dsu_merge_committed(requested_at, where);
  requested_at = 0;
}

/* The update points where the update commits at the chosen visit even
 * where the patch is unsafe, as `dsu apply --force-at` does: those of `dsu
 * merge --force-at` ("all" or FILE:LINE,...; empty: none), or all of them
 * with DSU_MERGE_FORCE=1. The checks below then show what goes wrong. */
extern const char __dsu_merge_force_at[];

static int forced(const char *base, int line) {
  static int force = -1;
  if (force < 0) {
    const char *e = getenv("DSU_MERGE_FORCE");
    force = e && *e && strcmp(e, "0") != 0;
  }
  return force || dsu_forced_at(__dsu_merge_force_at, base, line);
}

/* The safety rules, checked: dsu merge puts a call here before every
 * instruction of old code that touches the representation of a type the
 * patch changes or a global whose type it changes. Old code runs after the
 * update only in frames that were active at it (and in functions the patch
 * removed or gave a new signature); touching a transformed type or global
 * there is the error the update's safety analysis exists to prevent. */
static void old_use(int update, const char *function, const char *what) {
  if (updated < update)
    return;
  char message[1024];
  snprintf(message, sizeof message,
           "after the update at %s, old code of function '%s' uses %s, which "
           "the update changed",
           committed_at[update - 1], function, what);
  fprintf(stderr, "dsu: merge: error: %s\n", message);
  fflush(stdout);
  if (__dsu_merge_violation)
    __dsu_merge_violation(message);
  _exit(95);
}

/* Old code of the first update, and in a chain the first version's code
 * and the second's for the second update (lib/Merge's instrumentOldUses). */
void __dsu_merge_old_use(const char *function, const char *what) {
  old_use(1, function, what);
}
void __dsu_merge_old_use2(const char *function, const char *what) {
  old_use(2, function, what);
}

void __dsu_update_point(const char *file, int line) {
  long n = ++visits;
  if (updated == updates_in_program())
    return;
  const char *base = file ? strrchr(file, '/') : NULL;
  base = base ? base + 1 : (file ? file : "?");
  int safe = -1; /* not known yet */
  if (!requested_at) {
    /* A tool that makes the choice (__dsu_merge_choice) is asked only at
     * visits where the update can commit at once: one requested at an
     * unsafe visit commits at the next safe one, the same execution as one
     * requested there, and exploring both would only repeat it. Natively
     * the choice is the runtime's DSU_TEST_UPDATE_AT=K, which may fall on
     * an unsafe visit and then waits for a safe one. */
    if (__dsu_merge_choice &&
        !(safe = point_ok(next_update(), base, line) || forced(base, line)))
      return;
    if (!dsu_merge_choose(merge_point_index(base, line), n))
      return;
    requested_at = n;
  }
  if (safe < 0)
    safe = point_ok(next_update(), base, line) || forced(base, line);
  if (safe)
    commit(file, line);
}

int dsu_update_fd(void) { return -1; }

const char *dsu_current_version(void) {
  return updated ? updates[updated - 1].info->target_version
                 : updates[0].info->base_version;
}

int dsu_update_count(void) { return updated; }

/* Threads: the runtime commits only when every other thread is at an
 * update point or parked in a safe blocking call (dsu_threads.c); this model
 * has one thread, and a second one would make executions the runtime
 * cannot have (an update while it runs old code), so the run stops where it
 * would be created, before it runs. */
int __dsu_pthread_create(pthread_t *thread, const pthread_attr_t *attr,
                         void *(*fn)(void *), void *arg) {
  (void)thread;
  (void)attr;
  (void)fn;
  (void)arg;
  unmodelled("not modelled: the program creates a thread (pthread_create): "
             "the merged program models single-threaded programs only (the "
             "runtime makes other threads quiescent before an update)");
  return -1;
}
void __dsu_block_enter(const char *call) { (void)call; }
void __dsu_block_leave(void) {}

/* Control migration (runtime/dsu_loops.c): the block of a migrated loop's
 * locals, by frame and new body. One update per execution, so there is no
 * earlier migration to refuse. */
struct merge_loop_block {
  struct merge_loop_block *next;
  const char *callee;
  void *key;
  _Alignas(16) unsigned char data[];
};
static struct merge_loop_block *merge_loops;

void *__dsu_loop_block(const char *site, const char *callee, void *key,
                       size_t size, int (*init)(void *block, void **old),
                       void **old) {
  for (struct merge_loop_block *b = merge_loops; b; b = b->next)
    if (b->key == key && strcmp(b->callee, callee) == 0)
      return b->data;
  struct merge_loop_block *b = calloc(1, sizeof *b + size);
  if (!b)
    abort();
  b->callee = callee;
  b->key = key;
  if (init(b->data, old) != 0)
    fprintf(stderr, "dsu: the local-state transformer of the loop %s failed\n",
            site);
  b->next = merge_loops;
  merge_loops = b;
  return b->data;
}

void __dsu_loop_block_end(void *key, const char *callee) {
  for (struct merge_loop_block **p = &merge_loops; *p; p = &(*p)->next)
    if ((*p)->key == key && strcmp((*p)->callee, callee) == 0) {
      struct merge_loop_block *b = *p;
      *p = b->next;
      free(b);
      return;
    }
}
