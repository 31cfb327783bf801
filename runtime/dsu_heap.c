/* dsu_heap.c - typed heap tracking and state transformation.
 *
 * Tracking. dsu-cc instruments every call to malloc, calloc, realloc (and
 * allocator wrappers named with -fdsu-allocator) whose size names a type with
 * sizeof: after the call, __dsu_track_alloc records the object's address,
 * size and tag (type name and layout hash). Every free() and realloc() in
 * dsu-built code tells the table too. The table is an open-addressing hash
 * map from address to entry, guarded by one mutex; it costs a few dozen
 * nanoseconds per tracked allocation and a lookup per free.
 *
 * Transformation, at commit, for a patch that changes types:
 *
 *  1. every tracked object whose tag is the old tag of a changed type (arrays
 *     allocated with calloc(n, sizeof(T)) hold n elements) gets a new object
 *     of the new size, filled element by element by the type's transformer;
 *  2. every global whose type changed gets its new storage filled;
 *  3. every place that may hold a pointer to a relocated object (fields of
 *     tracked objects, globals, as listed by the patch) is read; a pointer to
 *     the start of an old element is redirected to the new one; a pointer
 *     into the middle of an old object cannot be accounted for, so the update
 *     is refused, naming the place;
 *  4. only if all of that succeeded: the redirections are written, the table
 *     is updated and the old objects are freed. Before that point the program
 *     cannot see anything: new objects are private, writes are recorded.
 *
 * A transformer that returns non-zero or crashes (SIGSEGV, SIGBUS, SIGFPE,
 * caught with sigsetjmp) aborts the update the same way: the new objects are
 * freed and the old version goes on.
 */
#include "dsu_internal.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DSU_EXPORT __attribute__((visibility("default")))

struct entry {
  uintptr_t addr; /* 0: empty, 1: deleted */
  size_t size;
  const char *tag;
};

static pthread_mutex_t heap_lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry *table;
static size_t capacity; /* power of two */
static size_t used;     /* live + deleted */
static size_t live;

static size_t slot_of(uintptr_t a) {
  uint64_t h = (uint64_t)a * 0x9e3779b97f4a7c15ull;
  return (size_t)(h >> 17) & (capacity - 1);
}

static int grow(void) {
  size_t old_cap = capacity;
  struct entry *old = table;
  size_t cap = old_cap ? old_cap * 2 : 1024;
  if (live * 4 < old_cap) /* mostly deleted entries: rehash in place size */
    cap = old_cap;
  struct entry *t = calloc(cap, sizeof *t);
  if (!t)
    return -1;
  table = t;
  capacity = cap;
  used = live;
  for (size_t i = 0; i < old_cap; i++)
    if (old[i].addr > 1) {
      size_t j = slot_of(old[i].addr);
      while (table[j].addr)
        j = (j + 1) & (capacity - 1);
      table[j] = old[i];
    }
  free(old);
  return 0;
}

static void insert_locked(uintptr_t a, size_t size, const char *tag) {
  if ((used + 1) * 4 >= capacity * 3 && grow() != 0)
    return; /* out of memory: the object stays untracked */
  size_t j = slot_of(a);
  size_t tomb = (size_t)-1;
  while (table[j].addr) {
    if (table[j].addr == a) {
      table[j].size = size;
      table[j].tag = tag;
      return;
    }
    if (table[j].addr == 1 && tomb == (size_t)-1)
      tomb = j;
    j = (j + 1) & (capacity - 1);
  }
  if (tomb != (size_t)-1)
    j = tomb;
  else
    used++;
  table[j].addr = a;
  table[j].size = size;
  table[j].tag = tag;
  live++;
}

static struct entry *find_locked(uintptr_t a) {
  if (!capacity)
    return NULL;
  size_t j = slot_of(a);
  while (table[j].addr) {
    if (table[j].addr == a)
      return &table[j];
    j = (j + 1) & (capacity - 1);
  }
  return NULL;
}

static void remove_locked(uintptr_t a) {
  struct entry *e = find_locked(a);
  if (e) {
    e->addr = 1;
    live--;
  }
}

DSU_EXPORT void __dsu_track_alloc(void *p, size_t size, const char *tag) {
  if (!p)
    return;
  pthread_mutex_lock(&heap_lock);
  insert_locked((uintptr_t)p, size, tag);
  pthread_mutex_unlock(&heap_lock);
}

DSU_EXPORT void __dsu_track_free(void *p) {
  if (!p)
    return;
  pthread_mutex_lock(&heap_lock);
  remove_locked((uintptr_t)p);
  pthread_mutex_unlock(&heap_lock);
}

/* After p = realloc(old, size): keeps the tag of old unless tag is given. */
DSU_EXPORT void __dsu_track_realloc(void *old, void *p, size_t size,
                                    const char *tag) {
  pthread_mutex_lock(&heap_lock);
  if (!p && size) { /* failed: old is untouched */
    pthread_mutex_unlock(&heap_lock);
    return;
  }
  const char *t = tag;
  if (old) {
    struct entry *e = find_locked((uintptr_t)old);
    if (e) {
      if (!t)
        t = e->tag;
      e->addr = 1;
      live--;
    }
  }
  if (p && t)
    insert_locked((uintptr_t)p, size, t);
  pthread_mutex_unlock(&heap_lock);
}

size_t dsu_heap_tracked(void) {
  pthread_mutex_lock(&heap_lock);
  size_t n = live;
  pthread_mutex_unlock(&heap_lock);
  return n;
}

/* ------------------------------------------------------- transformation */

struct moved {
  uintptr_t old_addr;
  size_t old_size; /* whole object */
  size_t old_elem, new_elem;
  void *new_obj;
  size_t new_size;
  const char *new_tag;
};

struct fixup {
  void **where;
  void *value;
};

struct vec {
  void *data;
  size_t n, cap, elem;
};

static int push(struct vec *v, const void *item) {
  if (v->n == v->cap) {
    size_t cap = v->cap ? v->cap * 2 : 256;
    void *d = realloc(v->data, cap * v->elem);
    if (!d)
      return -1;
    v->data = d;
    v->cap = cap;
  }
  memcpy((char *)v->data + v->n * v->elem, item, v->elem);
  v->n++;
  return 0;
}

static int by_old_addr(const void *a, const void *b) {
  uintptr_t x = ((const struct moved *)a)->old_addr;
  uintptr_t y = ((const struct moved *)b)->old_addr;
  return (x > y) - (x < y);
}

static const struct moved *lookup_moved(const struct vec *m, uintptr_t v) {
  const struct moved *a = m->data;
  size_t lo = 0, hi = m->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (a[mid].old_addr + a[mid].old_size <= v)
      lo = mid + 1;
    else if (a[mid].old_addr > v)
      hi = mid;
    else
      return &a[mid];
  }
  return NULL;
}

static sigjmp_buf xform_jump;
static volatile sig_atomic_t xform_signal;

static void on_xform_crash(int sig) {
  xform_signal = sig;
  siglongjmp(xform_jump, 1);
}

/* Runs fn under crash protection. Returns 0, its non-zero result, or -1000
 * minus the signal number if it crashed. */
static int guarded(dsu_xform_fn fn, void *n, const void *o, int (*gfn)(void)) {
  struct sigaction sa, old_segv, old_bus, old_fpe;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_xform_crash;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_NODEFER;
  sigaction(SIGSEGV, &sa, &old_segv);
  sigaction(SIGBUS, &sa, &old_bus);
  sigaction(SIGFPE, &sa, &old_fpe);
  int rc;
  xform_signal = 0;
  if (sigsetjmp(xform_jump, 1) == 0)
    rc = fn ? fn(n, o) : gfn();
  else
    rc = -1000 - (int)xform_signal;
  sigaction(SIGSEGV, &old_segv, NULL);
  sigaction(SIGBUS, &old_bus, NULL);
  sigaction(SIGFPE, &old_fpe, NULL);
  return rc;
}

static void describe_failure(char *err, size_t size, const char *what, int rc) {
  if (rc <= -1000)
    snprintf(err, size, "the transformer of %s crashed (signal %d)", what,
             -(rc + 1000));
  else
    snprintf(err, size, "the transformer of %s failed (returned %d)", what, rc);
}

static int tag_is(const char *tag, const char *want) {
  return tag == want || (tag && want && strcmp(tag, want) == 0);
}

int dsu_transform_state(const struct dsu_type_xform *types,
                        const struct dsu_global_xform *globals,
                        const struct dsu_pointer_field *fields,
                        const struct dsu_global_pointer *gptrs,
                        struct dsu_transform_stats *stats, char *err,
                        size_t errsize) {
  struct vec moved = {0, 0, 0, sizeof(struct moved)};
  struct vec fix = {0, 0, 0, sizeof(struct fixup)};
  int rc = -1;
  memset(stats, 0, sizeof *stats);
  pthread_mutex_lock(&heap_lock);

  /* 1. Heap objects of changed types. */
  for (const struct dsu_type_xform *t = types; t && t->old_tag; t++) {
    for (size_t i = 0; i < capacity; i++) {
      struct entry *e = &table[i];
      if (e->addr <= 1 || !tag_is(e->tag, t->old_tag))
        continue;
      size_t n = t->old_size ? e->size / t->old_size : 0;
      if (n == 0 || n * t->old_size != e->size) {
        snprintf(err, errsize,
                 "a heap object of %s at %p has %zu bytes, not a multiple of "
                 "the type's %zu: it cannot be transformed",
                 t->old_tag, (void *)e->addr, e->size, t->old_size);
        goto abort;
      }
      void *obj = calloc(n, t->new_size);
      if (!obj) {
        snprintf(err, errsize, "out of memory transforming %s", t->old_tag);
        goto abort;
      }
      struct moved m = {e->addr, e->size, t->old_size, t->new_size, obj,
                        n * t->new_size, t->new_tag};
      if (push(&moved, &m) != 0) {
        free(obj);
        snprintf(err, errsize, "out of memory transforming %s", t->old_tag);
        goto abort;
      }
      for (size_t k = 0; k < n; k++) {
        int r = guarded(t->fn, (char *)obj + k * t->new_size,
                        (const char *)e->addr + k * t->old_size, NULL);
        if (r != 0) {
          describe_failure(err, errsize, t->new_tag, r);
          goto abort;
        }
      }
      stats->objects += n;
    }
  }
  if (moved.n)
    qsort(moved.data, moved.n, sizeof(struct moved), by_old_addr);

  /* 2. Globals whose type changed. */
  for (const struct dsu_global_xform *g = globals; g && g->name; g++) {
    int r = guarded(NULL, NULL, NULL, g->fn);
    if (r != 0) {
      describe_failure(err, errsize, g->name, r);
      goto abort;
    }
    stats->globals++;
  }

  /* 3. Pointers to relocated objects. */
  if (moved.n) {
#define CHECK_SLOT(slot_addr, where_text)                                      \
  do {                                                                         \
    uintptr_t v_ = (uintptr_t) * (void *const *)(slot_addr);                   \
    const struct moved *m_ = lookup_moved(&moved, v_);                         \
    if (m_) {                                                                  \
      size_t off_ = v_ - m_->old_addr;                                         \
      if (off_ % m_->old_elem != 0) {                                          \
        snprintf(err, errsize,                                                 \
                 "%s points into the middle of a %s object (offset %zu): "     \
                 "the update cannot account for it",                           \
                 where_text, m_->new_tag, off_ % m_->old_elem);                \
        goto abort;                                                            \
      }                                                                        \
      struct fixup f_ = {(void **)(slot_addr),                                 \
                         (char *)m_->new_obj +                                 \
                             (off_ / m_->old_elem) * m_->new_elem};            \
      if (push(&fix, &f_) != 0) {                                              \
        snprintf(err, errsize, "out of memory fixing pointers");              \
        goto abort;                                                            \
      }                                                                        \
    }                                                                          \
  } while (0)
    for (const struct dsu_global_pointer *g = gptrs; g && g->addr; g++)
      CHECK_SLOT(g->addr, g->where);
    /* Fields of tracked objects: relocated ones (new layout, new tags) and
     * the others (tags unchanged). */
    for (size_t i = 0; i < capacity; i++) {
      struct entry *e = &table[i];
      if (e->addr <= 1)
        continue;
      const struct moved *self = lookup_moved(&moved, e->addr);
      char *base = self ? (char *)self->new_obj : (char *)e->addr;
      size_t size = self ? self->new_size : e->size;
      const char *tag = self ? self->new_tag : e->tag;
      for (const struct dsu_pointer_field *f = fields; f && f->tag; f++) {
        if (!tag_is(tag, f->tag))
          continue;
        if (f->offset == (size_t)-1) {
          for (size_t off = 0; off + sizeof(void *) <= size;
               off += sizeof(void *))
            CHECK_SLOT(base + off, f->where);
        } else {
          /* Arrays of the type: the field repeats every element. */
          size_t elem = self ? self->new_elem : 0;
          for (const struct dsu_type_xform *t = types; !elem && t && t->old_tag;
               t++)
            if (tag_is(t->new_tag, tag))
              elem = t->new_size;
          if (!elem)
            elem = size;
          for (size_t at = 0; at + elem <= size; at += elem)
            if (f->offset + sizeof(void *) <= elem)
              CHECK_SLOT(base + at + f->offset, f->where);
        }
      }
    }
#undef CHECK_SLOT
  }

  /* 4. Commit. */
  for (size_t i = 0; i < fix.n; i++) {
    struct fixup *f = &((struct fixup *)fix.data)[i];
    *f->where = f->value;
  }
  stats->pointers = fix.n;
  for (size_t i = 0; i < moved.n; i++) {
    struct moved *m = &((struct moved *)moved.data)[i];
    remove_locked(m->old_addr);
    free((void *)m->old_addr);
    insert_locked((uintptr_t)m->new_obj, m->new_size, m->new_tag);
  }
  rc = 0;
  goto out;

abort:
  for (size_t i = 0; i < moved.n; i++)
    free(((struct moved *)moved.data)[i].new_obj);
out:
  pthread_mutex_unlock(&heap_lock);
  free(moved.data);
  free(fix.data);
  return rc;
}
