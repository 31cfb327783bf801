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
 * Old code that touches the representation of a changed type or global
 * after the update stops the run with status 95 and an error naming the
 * function and the type (__dsu_merge_old_use); `dsu merge --force-at` (or
 * DSU_MERGE_FORCE=1, for every point) commits at the chosen visit even
 * where the patch is unsafe, to see it happen.
 *
 * Natively dsu_merge_choose reads DSU_MERGE_UPDATE_AT=K (update at the K-th
 * visit; unset or 0: never). It is a function of its own, never inlined, so
 * that an executor can make its answer symbolic.
 *
 * Four hooks let a tool that runs the merged program take part, each a
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
 *                                     before it).
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
extern const struct dsu_global_init __dsu_global_inits[] __attribute__((weak));

/* --- libdsu's interface to the program (include/dsu/dsu.h) */

/* Always set, so that every update point is seen (as in the test mode). */
volatile int __dsu_update_pending = 1;
__thread struct dsu_context __dsu_context
    __attribute__((tls_model("initial-exec")));

static long visits;            /* update-point visits so far */
static long requested_at;      /* the visit that requested the update, or 0 */
static int updated;            /* the update has committed */
static char committed_at[512]; /* FILE:LINE of the commit */

extern int __dsu_merge_choice(int point, long visit) __attribute__((weak));
extern void __dsu_merge_violation(const char *message) __attribute__((weak));
extern void __dsu_merge_unmodelled(const char *message) __attribute__((weak));
/* The update has committed: requested at visit `visit`, committed at
 * `where` (FILE:LINE). `dsu verify`'s harness uses it to tell the requests
 * answered before the update from those after it; null otherwise. */
extern void __dsu_merge_committed(long visit, const char *where)
    __attribute__((weak));

/* Ends the run where the model of the runtime stops (status 96). */
static void unmodelled(const char *message) {
  fprintf(stderr, "dsu: merge: %s\n", message);
  if (__dsu_merge_unmodelled)
    __dsu_merge_unmodelled(message);
  _exit(96);
}

__attribute__((noinline)) int dsu_merge_choose(int point, long visit) {
  static long at = -1;
  if (__dsu_merge_choice)
    return __dsu_merge_choice(point, visit) != 0;
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
  if (!*__dsu_changed_names)
    return 1;
  if (match && !match->safe_contexts)
    return 1;
  if (!*__dsu_base_sites)
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
void __dsu_track_realloc(void *old, void *p, size_t size, const char *tag) {
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
    track(p, size, t, 0);
}

/* ------------------------------------------------ state transformation */

extern const struct dsu_type_xform __dsu_type_xforms[] __attribute__((weak));
extern const struct dsu_pointer_field __dsu_pointer_fields[]
    __attribute__((weak));
extern const struct dsu_global_pointer __dsu_global_pointers[]
    __attribute__((weak));
extern const struct dsu_live_range __dsu_live_ranges[] __attribute__((weak));

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

/* An object's tag a is b, or b plus the '+' of an object with data after
 * it (as the runtime's tag_is). */
static int same_tag(const char *a, const char *b) {
  if (a == b)
    return 1;
  if (!a || !b)
    return 0;
  size_t n = strlen(b);
  return strncmp(a, b, n) == 0 && (a[n] == 0 || (a[n] == '+' && a[n + 1] == 0));
}

static int has_data_after(const char *tag) {
  size_t n = tag ? strlen(tag) : 0;
  return n && tag[n - 1] == '+';
}

static const struct dsu_type_xform *type_of_tag(const char *tag) {
  const struct dsu_type_xform *found = NULL;
  for (const struct dsu_type_xform *t = __dsu_type_xforms; t && t->old_tag; t++)
    if (same_tag(tag, t->old_tag))
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
    size_t k = off / b->old_elem, in = off % b->old_elem;
    char *elem = b->new_start + k * b->new_elem;
    if (in == 0) {
      *to = elem;
      return MOVED;
    }
    for (const struct dsu_field_move *f = b->moves; f && f->size; f++)
      if (in >= f->old_offset && in - f->old_offset < f->size) {
        *to = elem + f->new_offset + (in - f->old_offset);
        return MOVED;
      }
    return UNMAPPABLE;
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
    size_t k = off / b->new_elem, in = off % b->new_elem;
    char *elem = b->old_start + k * b->old_elem;
    if (in == 0)
      return elem;
    for (const struct dsu_field_move *f = b->moves; f && f->size; f++)
      if (in >= f->new_offset && in - f->new_offset < f->size)
        return elem + f->old_offset + (in - f->new_offset);
    return (void *)new_object;
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
  for (const struct dsu_global_pointer *g = __dsu_global_pointers; g && g->addr;
       g++)
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

/* The bytes of the pointer array at base in use (DSU_LIVE_COUNT). */
static size_t live_bytes(const char *base, size_t size) {
  for (const struct dsu_live_range *r = __dsu_live_ranges; r && r->array; r++) {
    if (*r->array != (const void *)base)
      continue;
    uint64_t n;
    switch (r->count_size) {
    case 1:
      n = *(const uint8_t *)r->count;
      break;
    case 2:
      n = *(const uint16_t *)r->count;
      break;
    case 4:
      n = *(const uint32_t *)r->count;
      break;
    default:
      n = *(const uint64_t *)r->count;
      break;
    }
    if (n < size / sizeof(void *))
      return (size_t)n * sizeof(void *);
  }
  return size;
}

/* Checks every place the patch lists in the object at base (tag, size,
 * element size). */
static int check_object(char *base, size_t size, const char *tag, size_t elem) {
  for (const struct dsu_pointer_field *f = __dsu_pointer_fields; f && f->tag;
       f++) {
    if (!same_tag(tag, f->tag))
      continue;
    if (f->offset == (size_t)-2) {
      for (size_t off = 0; off + sizeof(void *) <= size;
           off += sizeof(void *)) {
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
      size_t in_use = live_bytes(base, size);
      for (size_t off = 0; off + sizeof(void *) <= in_use;
           off += sizeof(void *))
        if (check_slot(base + off, f->where, f->inner) != 0)
          return -1;
    } else {
      /* An object that does not move (elem 0) is an array of its type (the
       * table gives its size) or one object with data after it. */
      size_t step = elem ? elem
                    : has_data_after(tag) || !f->elem || f->elem > size
                        ? size
                        : f->elem;
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
  int any_type = __dsu_type_xforms && __dsu_type_xforms[0].old_tag;
  /* 0. Globals whose initialiser changed. */
  for (const struct dsu_global_init *gi = __dsu_global_inits; gi && gi->name;
       gi++)
    ninits++;
  if (ninits && !(fresh_inits = calloc(ninits, 1))) {
    snprintf(failure, sizeof failure, "out of memory");
    return -1;
  }
  for (size_t i = 0; i < ninits; i++)
    fresh_inits[i] = (unsigned char)dsu_init_unchanged(&__dsu_global_inits[i]);
  /* 1. Objects of changed types: new objects, every address known before any
   * transformer runs. */
  size_t elements = 0;
  for (size_t i = 0; i < nobjects; i++) {
    struct tracked *e = &objects[i];
    const struct dsu_type_xform *t = type_of_tag(e->tag);
    if (!t)
      continue;
    if (has_data_after(e->tag)) {
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
  for (const struct dsu_global_xform *g = __dsu_global_xforms; g && g->name;
       g++) {
    nglobals++;
    if (!g->old_addr || !g->new_addr)
      continue; /* a state transformer of the user's: no storage moves */
    const struct dsu_type_xform *t = NULL;
    if (g->elem_type > 0 && __dsu_type_xforms) {
      t = &__dsu_type_xforms[g->elem_type - 1];
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
  for (const struct dsu_global_xform *g = __dsu_global_xforms; g && g->name;
       g++) {
    int keep_new = 0; /* never changed: its new storage keeps the new value */
    for (size_t i = 0; g->old_addr && i < ninits; i++)
      keep_new |= fresh_inits[i] && !__dsu_global_inits[i].new_init &&
                  __dsu_global_inits[i].addr == g->old_addr;
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
    for (const struct dsu_global_pointer *g = __dsu_global_pointers;
         g && g->addr; g++)
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
    if (fresh_inits[i] && __dsu_global_inits[i].new_init)
      memcpy(__dsu_global_inits[i].addr, __dsu_global_inits[i].new_init,
             __dsu_global_inits[i].size);
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
  if (transforming && &__dsu_hooks && __dsu_hooks.rollback)
    __dsu_hooks.rollback();
  fprintf(stderr, "dsu: merge: the update at %s was rolled back: %s\n", where,
          failure);
  _exit(97);
}

static void commit(const char *file, int line) {
  char where[512];
  snprintf(where, sizeof where, "%s:%d", file ? file : "?", line);
  /* As the runtime: state transfer (and the commit hook) when the patch
   * exports transformer tables, even empty ones. */
  int state = __dsu_type_xforms || __dsu_global_xforms || __dsu_global_inits;
  /* As the runtime: the new code is in place while the transformers run
   * (they may call it), and the old code back if they fail. */
  uint32_t n = __dsu_patch_info.nrebind;
  void **saved = state && n ? malloc(n * sizeof *saved) : NULL;
  for (uint32_t i = 0; saved && i < n; i++) {
    saved[i] = *__dsu_patch_info.rebind[i].slot;
    *__dsu_patch_info.rebind[i].slot = __dsu_patch_info.rebind[i].body;
  }
  if (state && n && !saved) {
    snprintf(failure, sizeof failure, "out of memory");
    rollback(where);
  }
  if (state && transform_state() != 0) {
    for (uint32_t i = 0; saved && i < n; i++)
      *__dsu_patch_info.rebind[i].slot = saved[i];
    rollback(where);
  }
  free(saved);
  if (!state)
    for (uint32_t i = 0; i < n; i++)
      *__dsu_patch_info.rebind[i].slot = __dsu_patch_info.rebind[i].body;
  if (state && &__dsu_hooks && __dsu_hooks.commit)
    __dsu_hooks.commit();
  if (state)
    transform_finish();
  updated = 1;
  snprintf(committed_at, sizeof committed_at, "%s", where);
  fprintf(stderr, "dsu: merge: updated at update point %ld (%s)\n",
          requested_at, where);
  if (__dsu_merge_committed)
    __dsu_merge_committed(requested_at, committed_at);
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
void __dsu_merge_old_use(const char *function, const char *what) {
  if (!updated)
    return;
  char message[1024];
  snprintf(message, sizeof message,
           "after the update at %s, old code of function '%s' uses %s, which "
           "the update changed",
           committed_at, function, what);
  fprintf(stderr, "dsu: merge: error: %s\n", message);
  fflush(stdout);
  if (__dsu_merge_violation)
    __dsu_merge_violation(message);
  _exit(95);
}

void __dsu_update_point(const char *file, int line) {
  long n = ++visits;
  if (updated)
    return;
  const char *base = file ? strrchr(file, '/') : NULL;
  base = base ? base + 1 : (file ? file : "?");
  if (!requested_at && dsu_merge_choose(merge_point_index(base, line), n))
    requested_at = n;
  if (!requested_at || (!point_ok(base, line) && !forced(base, line)))
    return;
  commit(file, line);
}

int dsu_update_fd(void) { return -1; }

const char *dsu_current_version(void) {
  return updated ? __dsu_patch_info.target_version
                 : __dsu_patch_info.base_version;
}

int dsu_update_count(void) { return updated; }

/* Threads: created as usual; quiescence is not modelled. */
int __dsu_pthread_create(pthread_t *thread, const pthread_attr_t *attr,
                         void *(*fn)(void *), void *arg) {
  return pthread_create(thread, attr, fn, arg);
}
void __dsu_block_enter(const char *call) { (void)call; }
void __dsu_block_leave(void) {}
