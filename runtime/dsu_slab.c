/* dsu_slab.c - slabs of transformed objects, and the free() that knows them.
 *
 * An update that changes a type gives every object of it a new one. One
 * calloc() per object was a sixth of the pause at a million objects, and
 * the tracking of a million separately placed objects cost more again; so
 * the new objects of one type are cut from one slab: a stretch of fresh
 * memory, `stride` bytes per object (the object's size rounded up to the
 * 16-byte granule of the heap tracking: one object per granule, and
 * malloc's alignment), all live when the update commits.
 *
 * The program then owns these objects as if malloc had made them: it frees
 * them one by one with free(), reallocates them with realloc(), asks
 * malloc_usable_size(), and so may any library it hands them to. So libdsu
 * defines those functions (weak, exported by dsu-cc's --export-dynamic
 * link, so that every library and every patch the process loads calls
 * them): an address inside the slab region is a slab member, anything else
 * goes to the allocator that would have had the call (the next definition:
 * the C library's, or one preloaded). The test costs every free() one load
 * and one compare, since all slabs lie in one region of addresses reserved
 * at the first slab (PROT_NONE, no memory until a slab is cut from it).
 *
 * A member's free clears its bit in the slab's bitmap of live members (a
 * second free of it, or a free of an address that is no member's start,
 * aborts as the C library's free would); when the last member of a slab
 * goes, its memory goes back to the system. Memory of members is not
 * reused for other objects: a slab holds what the heap held at the update,
 * and shrinks only as a whole.
 *
 * Addresses of the region are never handed out twice (slabs are cut from
 * it in order, and an empty slab keeps its addresses), so no live record of
 * the heap tracking names a member's address from before the slab existed:
 * dsu_heap.c may record a whole slab at once, anywhere in a log (it checks
 * the shadow first: memory unmapped before the region was reserved may have
 * left a stale byte).
 *
 * Slabs are used only where the process's free, realloc and
 * malloc_usable_size are this file's (dlsym says so); otherwise (a
 * sanitizer's allocator, a program that defines its own free) every new
 * object comes from calloc, as before. DSU_NO_SLABS=1 asks for that too.
 */
#include "dsu_internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Addresses reserved for slabs: 256 GB, reserved at the first slab (no
 * memory, a PROT_NONE mapping). When they run out, updates use calloc. */
#define REGION_BYTES ((size_t)1 << 38)
#define PAGE ((size_t)4096) /* slabs are cut in multiples */
#define MAX_SLABS 4096

struct slab {
  uintptr_t base;
  size_t stride, count, bytes;
  size_t live;    /* members not freed; atomic */
  uint64_t *bits; /* a set bit per live member; atomic */
};

static struct slab slabs[MAX_SLABS]; /* in address order */
static size_t nslabs;                /* published with release */
static uintptr_t region_base;
static size_t region_span; /* bytes cut so far; published with release */
static size_t region_size;
/* Bytes of the region from region_span on that are mapped and populated
 * already, ahead of the next update's slabs (dsu_slab_prepare). */
static size_t prepared;
static pthread_mutex_t slab_lock = PTHREAD_MUTEX_INITIALIZER;

/* ------------------------------------------------ the next allocator */

extern void __libc_free(void *);
extern void *__libc_realloc(void *, size_t);

static void (*next_free)(void *);
static void *(*next_realloc)(void *, size_t);
static size_t (*next_usable)(void *);
/* dlsym may free or reallocate memory itself: those calls go to the C
 * library directly. */
static __thread int resolving __attribute__((tls_model("initial-exec")));

static void resolve_next(void) {
  resolving = 1;
  void *f = dlsym(RTLD_NEXT, "free");
  void *r = dlsym(RTLD_NEXT, "realloc");
  void *u = dlsym(RTLD_NEXT, "malloc_usable_size");
  resolving = 0;
  __atomic_store_n(&next_usable, u ? (size_t(*)(void *))u : NULL,
                   __ATOMIC_RELEASE);
  __atomic_store_n(&next_realloc,
                   r ? (void *(*)(void *, size_t))r : __libc_realloc,
                   __ATOMIC_RELEASE);
  __atomic_store_n(&next_free, f ? (void (*)(void *))f : __libc_free,
                   __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------- slabs */

/* The slab holding p, or NULL. */
static struct slab *slab_of(uintptr_t p) {
  size_t lo = 0, hi = __atomic_load_n(&nslabs, __ATOMIC_ACQUIRE);
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (slabs[mid].base <= p)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0)
    return NULL;
  struct slab *s = &slabs[lo - 1];
  return p - s->base < s->stride * s->count ? s : NULL;
}

/* The span is read first: a span seen non-zero was published after the
 * base (free(NULL) must not be taken for a member). */
static inline int in_region(const void *p) {
  size_t span = __atomic_load_n(&region_span, __ATOMIC_ACQUIRE);
  return (uintptr_t)p - __atomic_load_n(&region_base, __ATOMIC_RELAXED) < span;
}

/* The index of member p of s, or aborts: p is no object's start. */
static size_t member_index(const struct slab *s, uintptr_t p, const char *fn) {
  if (!s || (p - s->base) % s->stride) {
    fprintf(stderr,
            "dsu: %s(): invalid pointer %p (inside dsu's slabs of "
            "transformed objects, but no object's start)\n",
            fn, (void *)p);
    abort();
  }
  return (p - s->base) / s->stride;
}

static void release(uintptr_t p, const char *fn) {
  struct slab *s = slab_of(p);
  size_t i = member_index(s, p, fn);
  uint64_t bit = (uint64_t)1 << (i % 64);
  uint64_t was = __atomic_fetch_and(&s->bits[i / 64], ~bit, __ATOMIC_ACQ_REL);
  if (!(was & bit)) {
    fprintf(stderr,
            "dsu: %s(): double free of %p (a transformed object of dsu's "
            "slabs)\n",
            fn, (void *)p);
    abort();
  }
  if (__atomic_sub_fetch(&s->live, 1, __ATOMIC_ACQ_REL) == 0)
    madvise((void *)s->base, s->bytes, MADV_DONTNEED);
}

int dsu_slabs_usable(void) {
  static int usable = -1;
  int u = __atomic_load_n(&usable, __ATOMIC_ACQUIRE);
  if (u >= 0)
    return u;
  const char *off = dsu_getenv("DSU_NO_SLABS");
  /* The process's free is this file's: no other definition came first. */
  u = !(off && *off && strcmp(off, "0") != 0) &&
      dlsym(RTLD_DEFAULT, "free") == (void *)dsu_free &&
      dlsym(RTLD_DEFAULT, "realloc") == (void *)dsu_realloc &&
      dlsym(RTLD_DEFAULT, "malloc_usable_size") ==
          (void *)dsu_malloc_usable_size;
  __atomic_store_n(&usable, u, __ATOMIC_RELEASE);
  return u;
}

/* The region's addresses, reserved at the first use (under slab_lock). */
static void reserve_region(void) {
  if (region_base)
    return;
  void *r = mmap(NULL, REGION_BYTES, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (r != MAP_FAILED) {
    __atomic_store_n(&region_base, (uintptr_t)r, __ATOMIC_RELAXED);
    region_size = REGION_BYTES;
  }
}

/* Zeroing the slabs' pages is the largest part of a large update's pause
 * (the kernel zeroes about 2 MB per ms on a small VM): the runtime asks for
 * the bytes it expects its slabs to take while the patch loads, before the
 * program stops, and the slabs are cut from those pages first (they were
 * never handed out, so they are zero). What the update does not use goes
 * back to the system when it ends (dsu_slab_unprepare). */
void *dsu_slab_prepare(size_t bytes) {
  void *ready = NULL;
  bytes = (bytes + PAGE - 1) & ~(PAGE - 1);
  if (!bytes || !dsu_slabs_usable())
    return NULL;
  pthread_mutex_lock(&slab_lock);
  reserve_region();
  size_t span = region_span;
  if (region_base && prepared < bytes && bytes <= region_size - span) {
    void *at =
        mmap((void *)(region_base + span + prepared), bytes - prepared,
             PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_POPULATE, -1, 0);
    if (at != MAP_FAILED)
      prepared = bytes;
  }
  if (prepared)
    ready = (void *)(region_base + span);
  pthread_mutex_unlock(&slab_lock);
  return ready;
}

void dsu_slab_unprepare(void) {
  pthread_mutex_lock(&slab_lock);
  if (prepared) {
    /* Reserved again, without memory. */
    mmap((void *)(region_base + region_span), prepared, PROT_NONE,
         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
    prepared = 0;
  }
  pthread_mutex_unlock(&slab_lock);
}

void *dsu_slab_make(size_t size, size_t count, size_t *stride) {
  if (!count || !size || !dsu_slabs_usable())
    return NULL;
  size_t st = (size + 15) & ~(size_t)15;
  if (st / 16 > (REGION_BYTES / 16) / count)
    return NULL;
  size_t bytes = (st * count + PAGE - 1) & ~(PAGE - 1);
  uint64_t *bits = malloc((count + 63) / 64 * sizeof *bits);
  if (!bits)
    return NULL;
  pthread_mutex_lock(&slab_lock);
  void *at = NULL;
  reserve_region();
  size_t span = region_span;
  if (region_base && nslabs < MAX_SLABS && bytes <= region_size - span) {
    /* Populated: the kernel zeroes the pages in one call rather than one
     * fault each. (Huge pages, MADV_HUGEPAGE, were as often much slower:
     * the kernel compacts memory to find them, inside the pause.) Pages
     * prepared ahead are taken first. */
    size_t ready = prepared < bytes ? prepared : bytes;
    at = (void *)(region_base + span);
    if (ready < bytes &&
        mmap((void *)(region_base + span + ready), bytes - ready,
             PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_POPULATE, -1,
             0) == MAP_FAILED)
      at = MAP_FAILED;
    if (at == MAP_FAILED) {
      at = NULL;
    } else {
      prepared -= ready;
      memset(bits, 0xff, (count + 63) / 64 * sizeof *bits);
      if (count % 64)
        bits[count / 64] = ((uint64_t)1 << (count % 64)) - 1;
      struct slab *s = &slabs[nslabs];
      s->base = (uintptr_t)at;
      s->stride = st;
      s->count = count;
      s->bytes = bytes;
      s->live = count;
      s->bits = bits;
      __atomic_store_n(&nslabs, nslabs + 1, __ATOMIC_RELEASE);
      __atomic_store_n(&region_span, span + bytes, __ATOMIC_RELEASE);
    }
  }
  pthread_mutex_unlock(&slab_lock);
  if (!at) {
    free(bits);
    return NULL;
  }
  *stride = st;
  return at;
}

void dsu_slab_fork_lock(int lock) {
  if (lock)
    pthread_mutex_lock(&slab_lock);
  else
    pthread_mutex_unlock(&slab_lock);
}

void dsu_slab_unmake(void *base) {
  struct slab *s = slab_of((uintptr_t)base);
  if (!s)
    return;
  memset(s->bits, 0, (s->count + 63) / 64 * sizeof *s->bits);
  __atomic_store_n(&s->live, 0, __ATOMIC_RELEASE);
  madvise((void *)s->base, s->bytes, MADV_DONTNEED);
}

/* ------------------------------------- the allocator's entry points */

void dsu_free(void *p) {
  if (__builtin_expect(in_region(p), 0)) {
    release((uintptr_t)p, "free");
    return;
  }
  void (*f)(void *) = __atomic_load_n(&next_free, __ATOMIC_ACQUIRE);
  if (__builtin_expect(!f, 0)) {
    if (resolving) {
      __libc_free(p);
      return;
    }
    resolve_next();
    f = next_free;
  }
  f(p);
}

void *dsu_realloc(void *p, size_t size) {
  if (__builtin_expect(in_region(p), 0)) {
    struct slab *s = slab_of((uintptr_t)p);
    size_t i = member_index(s, (uintptr_t)p, "realloc");
    if (!(__atomic_load_n(&s->bits[i / 64], __ATOMIC_ACQUIRE) >> (i % 64) &
          1)) {
      fprintf(stderr, "dsu: realloc(): %p was freed\n", p);
      abort();
    }
    if (size == 0) { /* as the C library's: frees, returns NULL */
      release((uintptr_t)p, "realloc");
      return NULL;
    }
    void *q = malloc(size);
    if (!q)
      return NULL;
    memcpy(q, p, size < s->stride ? size : s->stride);
    release((uintptr_t)p, "realloc");
    return q;
  }
  void *(*r)(void *, size_t) = __atomic_load_n(&next_realloc, __ATOMIC_ACQUIRE);
  if (__builtin_expect(!r, 0)) {
    if (resolving)
      return __libc_realloc(p, size);
    resolve_next();
    r = next_realloc;
  }
  return r(p, size);
}

size_t dsu_malloc_usable_size(void *p) {
  if (in_region(p)) {
    struct slab *s = slab_of((uintptr_t)p);
    member_index(s, (uintptr_t)p, "malloc_usable_size");
    return s->stride;
  }
  size_t (*u)(void *) = __atomic_load_n(&next_usable, __ATOMIC_ACQUIRE);
  if (!u && !resolving) {
    resolve_next();
    u = next_usable;
  }
  return u ? u(p) : 0;
}

void *dsu_reallocarray(void *p, size_t n, size_t size) {
  size_t bytes;
  if (__builtin_mul_overflow(n, size, &bytes)) {
    errno = ENOMEM;
    return NULL;
  }
  return dsu_realloc(p, bytes);
}

/* The process's own names for them. Weak: a program or a sanitizer that
 * defines them keeps its own (and then no slab is made). Not built into
 * the sanitized fuzzing targets, whose allocator is the sanitizer's. */
#if !defined(__SANITIZE_ADDRESS__) && !defined(DSU_NO_FREE_HOOK)
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DSU_NO_FREE_HOOK 1
#endif
#endif
#endif
#ifndef DSU_NO_FREE_HOOK
#define DSU_ALIAS(name, target)                                                \
  __attribute__((weak, alias(#target), visibility("default")))
void free(void *p) DSU_ALIAS(free, dsu_free);
void cfree(void *p) DSU_ALIAS(cfree, dsu_free);
void *realloc(void *p, size_t size) DSU_ALIAS(realloc, dsu_realloc);
size_t malloc_usable_size(void *p)
    DSU_ALIAS(malloc_usable_size, dsu_malloc_usable_size);
void *reallocarray(void *p, size_t n, size_t size)
    DSU_ALIAS(reallocarray, dsu_reallocarray);
#endif
