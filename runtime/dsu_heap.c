/* dsu_heap.c - typed heap tracking and state transformation.
 *
 * Tracking. dsu-cc instruments every call to malloc, calloc, realloc (and
 * allocator wrappers named with -fdsu-allocator) whose size names a type with
 * sizeof: after the call, __dsu_track_alloc records the object's address,
 * size and tag (type name and layout hash). Every free() and realloc() in
 * dsu-built code tells the runtime too. These calls are on the program's
 * allocation path, so they take no lock and probe no table (a hash table
 * under a mutex cost redis 2.2x its CPU per request: a cache miss per
 * allocation and per free):
 *
 *  - a shadow byte per 16-byte granule of the address space says whether a
 *    tracked object starts there (at the granule's start or 8 bytes in, as
 *    zmalloc's blocks after their size header) and either which thread's
 *    log holds its record or, for most objects, the object's class: its
 *    tag, size and allocator, when that triple is one of the 63 the process
 *    gave a class to (see class_of). Such an object has no record at all:
 *    its allocation is one store. A free clears the byte; an untracked free
 *    reads it, sees 0 and returns. The shadow is reserved a gigabyte of
 *    addresses at a time and costs memory only where tracked objects live
 *    (1/16 of that heap);
 *  - for the other objects (sizes of arrays and of objects with data after
 *    them beyond the first few of their tag, and every kind once the
 *    classes are spent) each thread appends (address, size, tag) records
 *    of 16 bytes to its own log. The log is compacted by its thread when
 *    its young window fills: a record stays while the shadow byte of its
 *    address names the log and no newer record of the log has the address
 *    (keep_young, with a set of the addresses kept; keep_live, which marks
 *    the bytes instead, one walk at a time). Most objects die young, inside
 *    the window, which stays in cache. Records that survive two windows
 *    move to the log's old part, compacted again each time it grows by a
 *    quarter;
 *  - at an update, every thread that allocates is quiescent; the shadow's
 *    pages that ever held a class byte (a bitmap after each leaf) are read
 *    for the objects of a class, and the same walk over every log lists
 *    exactly the other live objects (dsu_heap_snapshot): a freed object's
 *    byte is 0 or names another log or a class, or a newer record of the
 *    same log supersedes it, and a live object's newest record is
 *    always kept. A thread that exits leaves its log to the next new thread
 *    (so does, in a child process, every thread but the one that forked;
 *    the locks are taken around fork(), see fork_prepare).
 *    The rare objects the shadow cannot say (not 8-aligned, two live
 *    objects in one granule, over 64 kB, more than 63 logs) go to a table
 *    under a mutex, which a free consults only when a counter per bucket of
 *    addresses says it may hold the address.
 *
 * Transformation, at commit, for a patch that changes types:
 *
 *  1. every tracked object whose tag is the old tag of a changed type (arrays
 *     allocated with calloc(n, sizeof(T)) hold n elements) gets a new object
 *     of the new size, filled element by element by the type's transformer.
 *     Single objects that move, when a type has many, are cut from one slab
 *     per type (dsu_slab.c: one mmap, not a calloc each; the program frees
 *     and reallocates them as its own, through libdsu's free and realloc);
 *     arrays, objects with data after them and objects of program-owned
 *     allocators are allocated one by one as before;
 *  2. every global whose type changed gets its new storage filled; a global
 *     array of a changed struct moves element by element;
 *  3. every place that may hold a pointer to a relocated object (fields of
 *     tracked objects, globals, arrays of pointers, as listed by the patch)
 *     is read, whenever the patch changes a type, even if nothing was found
 *     to move: a pointer typed as pointing to a changed type must lead to a
 *     relocated element, or the update is refused naming the place (an
 *     object dsu never saw, in a pool or a slab, must not meet new code in
 *     its old layout). A pointer into the middle of a relocated element
 *     moves with the field it points into when the new layout keeps that
 *     field (relocate(): exact starts by the index of the list of moved
 *     objects sorted by old address, see struct starts; other elements of
 *     arrays by hash; the rest by binary search over the sorted ranges of
 *     old objects), and is refused otherwise.
 *     Pointers to types that changed types hold by value (a list link, a
 *     char buffer) are redirected when they point into a relocated object
 *     and left alone when they do not. Arrays of void * are scanned too: a
 *     slot that leads into a relocated object is refused, since nothing
 *     says that slot is a pointer;
 *  4. only if all of that succeeded: the redirections are written, the table
 *     tracking is updated and the old objects are freed. Before that point the
 * program cannot see anything: new objects are private (pointers in their
 * new contents are redirected at once, an abort throws them away), writes to
 * anything else are recorded. The tracking of a slab's members is written
 * at once: their class bytes, or records after the old records of the
 * committing thread's log (no address of a slab was ever used, so no record
 * can supersede them).
 *
 * What the pause costs at a million small objects is mostly memory: every
 * byte per object of a temporary list is a megabyte the kernel zeroes inside
 * the pause (about 0.5 ms per MB on a small VM), so the lists are lean: the
 * list of moved objects is 24 bytes an object and takes the snapshot's own
 * array when most objects move, the snapshot writes objects straight from
 * the logs, the relocation map is a bit per 8 bytes of old addresses and a
 * count per 64 of them over that list (no entry for slab members' new
 * addresses: relocate() knows the slabs' ranges), and pointers in new
 * contents need no list of writes. The snapshot's array and the slabs'
 * pages are made while the patch loads, before the program stops
 * (dsu_transform_prepare), and each pass over a million objects is a few
 * milliseconds of memory traffic, so passes are few.
 *
 * A transformer that returns non-zero, crashes (SIGSEGV, SIGBUS, SIGFPE,
 * also a stack overflow, on an alternate stack), aborts (SIGABRT) or runs
 * past the deadline aborts the update the same way (caught with sigsetjmp,
 * see protect_begin): the rollback hook runs, the new objects are freed and
 * the old version goes on.
 */
#include "dsu_internal.h"

#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define DSU_EXPORT __attribute__((visibility("default")))

/* How many objects ahead the loops over the heap prefetch. */
#define PREFETCH_AHEAD 32

/* Below this many objects to move, each gets its own calloc (a slab costs a
 * few system calls); and a type with fewer than SLAB_MIN_TYPE of them gets
 * no slab (a process has at most 4096, see dsu_slab.c). */
#define SLAB_MIN 256
#define SLAB_MIN_TYPE 64

/* --------------------------------------------------------------- shadow */

/* One byte per 16-byte granule of the address space, in leaves of 64 MB of
 * reserved, untouched-until-written memory, one per gigabyte of addresses
 * that ever held a tracked object (written pages cost RSS: 1/16 of the heap
 * that holds tracked objects, at most). */
#define ADDRESS_BITS 47
#define REGION_SHIFT 30
#define GRANULE_SHIFT 4
#define LEAF_BYTES ((size_t)1 << (REGION_SHIFT - GRANULE_SHIFT))
/* A shadow byte: 0, the id of the log that holds the object's record
 * (1..MAX_LOGS), or the object's class (CLASS_FIRST..CLASS_LAST: its tag,
 * size and foreign flag, see class_of; such an object has no record), ORed
 * with AT_HALF when the object starts 8 bytes into the granule (zmalloc's
 * size header, slab items). SEEN replaces a log id while a compaction or a
 * snapshot walks the records (see keep_live); it is never a class. */
#define AT_HALF 0x80
#define ID_MASK 0x7f
#define SEEN 0x7f
#define MAX_LOGS 63
#define CLASS_FIRST 0x40
#define CLASS_LAST 0x7e
#define MAX_CLASSES (CLASS_LAST - CLASS_FIRST + 1)

static unsigned char *shadow_dir[(size_t)1 << (ADDRESS_BITS - REGION_SHIFT)];
static pthread_mutex_t shadow_lock = PTHREAD_MUTEX_INITIALIZER;

/* After each leaf, a bit per 4 kB page of it that ever held a class byte:
 * a snapshot reads only those pages to find the objects that have no
 * record (not the residency of the pages, which swapping would hide). The
 * leaves are listed for the snapshot, in the order they were made. */
#define SHADOW_PAGE_SHIFT 12
#define LEAF_MAP_BYTES (LEAF_BYTES >> SHADOW_PAGE_SHIFT >> 3)
#define MAX_LEAVES 4096
static size_t leaf_regions[MAX_LEAVES];
static int nleaves; /* written under shadow_lock, read with acquire */

/* The byte of address a, or NULL when no leaf covers it. */
static inline __attribute__((always_inline)) unsigned char *
shadow_at(uintptr_t a) {
  if (a >> ADDRESS_BITS)
    return NULL;
  unsigned char *leaf =
      __atomic_load_n(&shadow_dir[a >> REGION_SHIFT], __ATOMIC_ACQUIRE);
  if (!leaf)
    return NULL;
  return leaf + ((a >> GRANULE_SHIFT) & (LEAF_BYTES - 1));
}

/* The byte of address a, its leaf made if need be (NULL if it cannot be). */
__attribute__((noinline)) static unsigned char *shadow_make(uintptr_t a) {
  if (a >> ADDRESS_BITS)
    return NULL;
  pthread_mutex_lock(&shadow_lock);
  unsigned char **slot = &shadow_dir[a >> REGION_SHIFT];
  if (!*slot && nleaves < MAX_LEAVES) {
    void *leaf = mmap(NULL, LEAF_BYTES + LEAF_MAP_BYTES, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (leaf != MAP_FAILED) { /* else: such objects go to the table */
      leaf_regions[nleaves] = a >> REGION_SHIFT;
      __atomic_store_n(&nleaves, nleaves + 1, __ATOMIC_RELEASE);
      __atomic_store_n(slot, (unsigned char *)leaf, __ATOMIC_RELEASE);
    }
  }
  pthread_mutex_unlock(&shadow_lock);
  return shadow_at(a);
}

static inline __attribute__((always_inline)) unsigned char *
shadow_for_write(uintptr_t a) {
  unsigned char *s = shadow_at(a);
  return __builtin_expect(s != NULL, 1) ? s : shadow_make(a);
}

/* What the shadow says of an object starting at a (0 or AT_HALF), or -1:
 * an address not 8-aligned is never in the shadow, but in the table. */
static inline __attribute__((always_inline)) int placement(uintptr_t a) {
  return (a & 7) ? -1 : (a & 8) ? AT_HALF : 0;
}

/* ---------------------------------------------------------------- table */

/* The rare objects the shadow cannot describe: misaligned, sharing a
 * granule with another live object at the other half, over 64 kB, past the
 * shadow's range, or made by a thread that could get no log. An
 * open-addressing hash map under a mutex. Frees must not take the mutex
 * once one such object lives (redis's dict tables are over 64 kB: every
 * free then locked, +40% CPU per request), so a counter per hash bucket of
 * addresses, read without the lock, says whether the table may hold an
 * address: a free is of an object its thread owns, so no thread can be
 * inserting that address meanwhile. A saturated counter stays. */
static pthread_mutex_t heap_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dsu_heap_object *table;
static size_t capacity; /* power of two */
static size_t used;     /* live + deleted */
static size_t table_live;

#define PRESENCE_BITS 16
static unsigned char presence[1u << PRESENCE_BITS];

/* A bucket is 256 bytes of addresses (the buckets wrap every 16 MB): every
 * allocation and every untracked free reads its counter, and a hash of the
 * address made each read a cache miss (a quarter of track() on redis, whose
 * dict tables keep the table in use); by address, the counters read follow
 * the heap's own locality, 1/256 of its size, as the shadow's do at 1/16. A
 * false positive costs a locked lookup: only the neighbours of an object
 * in the table pay it. */
static size_t presence_of(uintptr_t a) {
  return (size_t)(a >> 8) & ((1u << PRESENCE_BITS) - 1);
}

/* May the table hold a? False means certainly not. */
static inline __attribute__((always_inline)) int table_may_hold(uintptr_t a) {
  return __builtin_expect(__atomic_load_n(&table_live, __ATOMIC_RELAXED) != 0,
                          0) &&
         __atomic_load_n(&presence[presence_of(a)], __ATOMIC_RELAXED) != 0;
}

static size_t slot_of(uintptr_t a) {
  uint64_t h = (uint64_t)a * 0x9e3779b97f4a7c15ull;
  return (size_t)(h >> 17) & (capacity - 1);
}

static int grow(void) {
  size_t old_cap = capacity;
  struct dsu_heap_object *old = table;
  size_t cap = old_cap ? old_cap * 2 : 64;
  if (table_live * 4 < old_cap) /* mostly deleted entries */
    cap = old_cap;
  struct dsu_heap_object *t = calloc(cap, sizeof *t);
  if (!t)
    return -1;
  table = t;
  capacity = cap;
  used = table_live;
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

static struct dsu_heap_object *find_locked(uintptr_t a) {
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

static void table_insert(uintptr_t a, size_t size, const char *tag,
                         int foreign) {
  pthread_mutex_lock(&heap_lock);
  struct dsu_heap_object *e = find_locked(a);
  if (!e) {
    if ((used + 1) * 4 >= capacity * 3 && grow() != 0) {
      pthread_mutex_unlock(&heap_lock);
      return; /* out of memory: the object stays untracked */
    }
    size_t j = slot_of(a);
    while (table[j].addr > 1)
      j = (j + 1) & (capacity - 1);
    used += table[j].addr == 0;
    e = &table[j];
    e->addr = a;
    unsigned char *c = &presence[presence_of(a)];
    if (*c < 255)
      __atomic_store_n(c, (unsigned char)(*c + 1), __ATOMIC_RELAXED);
    __atomic_store_n(&table_live, table_live + 1, __ATOMIC_RELAXED);
  }
  e->size = size;
  e->foreign = foreign != 0;
  e->tag = tag;
  pthread_mutex_unlock(&heap_lock);
}

/* Removes a's entry; returns its tag, or NULL if there was none. */
static const char *table_remove(uintptr_t a) {
  pthread_mutex_lock(&heap_lock);
  struct dsu_heap_object *e = find_locked(a);
  const char *tag = NULL;
  if (e) {
    tag = e->tag;
    e->addr = 1;
    unsigned char *c = &presence[presence_of(a)];
    if (*c > 0 && *c < 255)
      __atomic_store_n(c, (unsigned char)(*c - 1), __ATOMIC_RELAXED);
    __atomic_store_n(&table_live, table_live - 1, __ATOMIC_RELAXED);
  }
  pthread_mutex_unlock(&heap_lock);
  return tag;
}

/* ----------------------------------------------------------------- logs */

/* A thread's record of the objects it allocated, oldest first: rec[0, old)
 * survived two compactions of the young window or more, rec[old, n) is the
 * young window: the records that survived one (`carried`), then those
 * appended since. Only the owning thread appends and compacts; others read
 * it under `lock` (the owner holds it while it compacts or grows). */
/* A record: 16 bytes (the objects' own headers are as much), the address
 * in the low 47 bits of word, the foreign flag in bit 47 and the size in
 * the top 16 (larger objects go to the table). */
struct record {
  uintptr_t word;
  const char *tag;
};
#define RECORD_SIZE_MAX 0xffffu
#define FOREIGN_BIT ((uintptr_t)1 << ADDRESS_BITS)

static inline uintptr_t record_addr(const struct record *r) {
  return r->word & (FOREIGN_BIT - 1);
}

struct heap_log {
  pthread_mutex_t lock;
  struct record *rec;
  size_t n, cap;
  size_t limit; /* n at which the window is compacted */
  size_t old;
  size_t carried;
  size_t old_live;   /* old after the last full compaction */
  uintptr_t *seen;   /* keep_young's set of addresses */
  size_t seen_cap;
  int id;          /* in the shadow */
  int orphan;      /* its thread has exited: the next new thread takes it */
};

/* Records appended between compactions of the young window: small enough
 * to stay in cache, large enough that most objects die inside it. An
 * object must outlive two windows to join the old records: a server's
 * replies in flight (redis: 400 objects for each of 50 clients) outlive
 * one, and promoting them made the old part churn. The window is twice the
 * records that outlived the last one, within these bounds: a program with
 * few objects in flight keeps a small one (a 512 kB window was a tenth of
 * kvserver's RSS). */
#define YOUNG_MIN 4096
#define YOUNG_MAX 32768

static struct heap_log *logs[MAX_LOGS + 1]; /* by id; guarded by logs_lock */
static int nlogs;
static pthread_mutex_t logs_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t keep_lock = PTHREAD_MUTEX_INITIALIZER;
static struct heap_log no_log; /* id 0: this thread's objects go to the table */
static __thread struct heap_log *my_log
    __attribute__((tls_model("initial-exec")));
static pthread_key_t log_key;
static pthread_once_t log_key_once = PTHREAD_ONCE_INIT;

static void orphan_log(void *p) {
  struct heap_log *l = p;
  pthread_mutex_lock(&logs_lock);
  l->orphan = 1;
  pthread_mutex_unlock(&logs_lock);
  my_log = NULL;
}

static void make_log_key(void) { pthread_key_create(&log_key, orphan_log); }

/* The calling thread's log: one a finished thread left (its records stay
 * valid: they are of objects still live or dead, whoever appends next), or
 * a new one. */
static struct heap_log *take_log(void) {
  pthread_once(&log_key_once, make_log_key);
  pthread_mutex_lock(&logs_lock);
  struct heap_log *l = NULL;
  for (int i = 1; i <= nlogs && !l; i++)
    if (logs[i]->orphan)
      l = logs[i];
  if (l) {
    l->orphan = 0;
  } else if (nlogs < MAX_LOGS && (l = calloc(1, sizeof *l))) {
    pthread_mutex_init(&l->lock, NULL);
    l->id = nlogs + 1;
    logs[l->id] = l;
    nlogs++;
  }
  pthread_mutex_unlock(&logs_lock);
  if (!l)
    l = &no_log;
  else
    pthread_setspecific(log_key, l);
  my_log = l;
  return l;
}

/* Keeps, of the records in [lo, hi) (oldest first), those whose object is
 * live: the shadow byte of its address names this log, and no later record
 * of this log has the same address (an address freed and allocated again).
 * Walking newest first, a kept record's byte is turned to SEEN, so an older
 * record of the same address finds SEEN and goes; the ids are put back at
 * the end. Other threads may free these objects meanwhile (a free clears
 * any byte whose half matches, SEEN too): the exchanges then fail and a
 * dead record is kept, to go at the next compaction; a live one is never
 * dropped. The kept records end up at out[0, k), oldest first (out may be
 * rec + lo); *below counts those that came from below split. */
/* Whether record i of l (walked newest first, from lo up) is the live one
 * of its address: its shadow byte names l and it turns to SEEN here. Under
 * keep_lock; prefetches the byte of the record PREFETCH_AHEAD below. */
static int claim_record(const struct heap_log *l, size_t i, size_t lo,
                        uintptr_t addr) {
  if (i >= lo + PREFETCH_AHEAD)
    __builtin_prefetch(shadow_at(record_addr(&l->rec[i - PREFETCH_AHEAD])));
  unsigned char *s = shadow_at(addr);
  unsigned char half = (unsigned char)placement(addr);
  unsigned char mine = (unsigned char)(l->id | half);
  return s && __atomic_load_n(s, __ATOMIC_RELAXED) == mine &&
         __atomic_compare_exchange_n(s, &mine, (unsigned char)(SEEN | half), 0,
                                     __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

static size_t keep_live(const struct heap_log *l, size_t lo, size_t hi,
                        struct record *out, size_t split, size_t *below) {
  /* One walk at a time: SEEN does not say whose it is, so a walk putting
   * its id back over another walk's SEEN would give that log's object to
   * this one (a stale record taken for the live one). */
  pthread_mutex_lock(&keep_lock);
  size_t k = hi - lo, first, kept_below = 0;
  struct record *end = out + (hi - lo);
  for (size_t i = hi; i-- > lo;) {
    const struct record *e = &l->rec[i];
    if (!claim_record(l, i, lo, record_addr(e)))
      continue;
    out[--k] = *e; /* i >= lo + k: never over a record still to be read */
    kept_below += i < split;
  }
  first = k;
  for (struct record *e = out + first; e < end; e++) {
    unsigned char half = (unsigned char)placement(record_addr(e));
    unsigned char seen = (unsigned char)(SEEN | half);
    __atomic_compare_exchange_n(shadow_at(record_addr(e)), &seen,
                                (unsigned char)(l->id | half), 0,
                                __ATOMIC_RELAXED, __ATOMIC_RELAXED);
  }
  pthread_mutex_unlock(&keep_lock);
  k = (size_t)(end - (out + first));
  memmove(out, out + first, k * sizeof *out);
  if (below)
    *below = kept_below;
  return k;
}

/* keep_live for the young window, without marking bytes (a marking walk
 * paid two atomic exchanges per live record, a fifth of redis's time with
 * 20,000 reply objects in flight): the addresses of the records kept so far
 * go to a set of the log's, open addressing, cleared for each walk, so a
 * record goes when its byte does not name this log or a newer record of its
 * address was kept. Nothing is written to the shadow, so walks need not
 * exclude each other and frees need no care. In place, in rec[lo, hi);
 * *below as keep_live's. Returns -1 if the set cannot be had. */
/* A slot of keep_young's set: another hash than the map's (the records may
 * come in an order of the map's slots after an update, and a set hashed the
 * same way, filled in the order of its own slots, is one long run: a
 * commit of 1,000,000 objects took 5 s). */
static inline size_t seen_slot(uintptr_t a, size_t mask) {
  return (size_t)(((uint64_t)a * 0xff51afd7ed558ccdull) >> 40) & mask;
}

/* The largest set keep_young uses (its memory is the program's RSS). */
#define SEEN_MAX 65536

static long keep_young(struct heap_log *l, size_t lo, size_t hi, size_t split,
                       size_t *below) {
  /* Sized for twice the records kept last time (the set's memory is RSS
   * the program pays for), doubled when half full. */
  size_t want = 1024;
  while (want < 2 * l->carried && want < SEEN_MAX)
    want *= 2;
  if (l->seen_cap > 2 * want) { /* a burst is over: give the memory back */
    free(l->seen);
    l->seen = NULL;
    l->seen_cap = 0;
  }
  size_t k = hi - lo, kept_below = 0, in_set = 0, mask = 0;
  uintptr_t *set = NULL;
  for (size_t i = hi; i-- > lo;) {
    const struct record *e = &l->rec[i];
    uintptr_t addr = record_addr(e);
    if (i >= lo + PREFETCH_AHEAD) { /* cache misses, in parallel */
      uintptr_t ahead = record_addr(&l->rec[i - PREFETCH_AHEAD]);
      __builtin_prefetch(shadow_at(ahead));
      if (set)
        __builtin_prefetch(&set[seen_slot(ahead, mask)]);
    }
    unsigned char *s = shadow_at(addr);
    unsigned char mine = (unsigned char)(l->id | placement(addr));
    if (!s || __atomic_load_n(s, __ATOMIC_RELAXED) != mine)
      continue;
    if (2 * (in_set + 1) > want || !set) { /* the set, new or twice as big */
      if (set)
        want *= 2;
      if (want > SEEN_MAX) /* a burst (a data set loading): keep_live */
        return -1;
      if (l->seen_cap < want) {
        uintptr_t *bigger = realloc(l->seen, want * sizeof *bigger);
        if (!bigger)
          return -1; /* keep_live redoes the walk: the order is kept */
        l->seen = bigger;
        l->seen_cap = want;
      }
      set = l->seen;
      mask = want - 1;
      memset(set, 0, want * sizeof *set);
      for (size_t j = lo + k; j < hi; j++) { /* the records kept so far */
        uintptr_t kept_addr = record_addr(&l->rec[j]);
        size_t h = seen_slot(kept_addr, mask);
        while (set[h])
          h = (h + 1) & mask;
        set[h] = kept_addr;
      }
    }
    size_t h = seen_slot(addr, mask);
    while (set[h] && set[h] != addr)
      h = (h + 1) & mask;
    if (set[h])
      continue; /* a newer record of this address was kept */
    set[h] = addr;
    in_set++;
    l->rec[lo + --k] = *e; /* as in keep_live: never over an unread one */
    kept_below += i < split;
  }
  size_t kept = hi - lo - k;
  memmove(l->rec + lo, l->rec + lo + k, kept * sizeof *l->rec);
  *below = kept_below;
  return (long)kept;
}

/* The young window is full: its live records stay in it, those that were
 * already carried from the last time join the old ones; the old ones are
 * compacted too once they have grown by a quarter since last time (so each
 * record is walked a bounded number of times on average, and the log holds
 * at most 1.25 records per live object, plus the window). Returns -1 if the log
 * cannot grow. */
__attribute__((noinline, cold)) static int compact_log(struct heap_log *l) {
  pthread_mutex_lock(&l->lock);
  size_t old = l->old, promoted = 0, kept = 0;
  long young =
      l->n > old ? keep_young(l, old, l->n, old + l->carried, &promoted) : 0;
  if (young >= 0)
    kept = (size_t)young;
  else /* too many to remember: the marking walk needs no memory */
    kept = keep_live(l, old, l->n, l->rec + old, old + l->carried, &promoted);
  old += promoted; /* the oldest of the kept: they come first */
  size_t carried = kept - promoted;
  size_t window = 2 * carried;
  window = window < YOUNG_MIN   ? YOUNG_MIN
           : window > YOUNG_MAX ? YOUNG_MAX
                                : window;
  if (old >= l->old_live + l->old_live / 4 + window / 2) {
    size_t now = keep_live(l, 0, old, l->rec, 0, NULL);
    memmove(l->rec + now, l->rec + old, carried * sizeof *l->rec);
    old = now;
    l->old_live = old;
  }
  l->old = old;
  l->carried = carried;
  size_t n = old + carried;
  __atomic_store_n(&l->n, n, __ATOMIC_RELEASE);
  int rc = 0;
  if (n + window > l->cap) {
    size_t cap = l->cap + l->cap / 4;
    if (cap < n + window)
      cap = n + window;
    struct record *r = realloc(l->rec, cap * sizeof *r);
    if (r) {
      l->rec = r;
      l->cap = cap;
    } else if (n == l->cap) {
      rc = -1;
    }
  }
  l->limit = n + window < l->cap ? n + window : l->cap;
  pthread_mutex_unlock(&l->lock);
  return rc;
}

/* -------------------------------------------------------------- classes */

/* Most tracked objects are of a few kinds: one tag, one size (sizeof the
 * type), one allocator. Such an object needs no record: its shadow byte can
 * name the kind itself, a class, and a snapshot finds it by reading the
 * shadow. The allocation then costs one store to the shadow and no append,
 * no walk of a young window and no log memory (records were 16 bytes an
 * object; redis's dictEntry is 24). A class is a (tag, size, foreign) triple,
 * made on first sight, never retired, and there are MAX_CLASSES; a tag
 * gets at most CLASS_PER_TAG sizes, so the classes are not all spent on
 * the first lengths of an object with data after it or of an array (those
 * sizes, and every kind once the classes are spent, go to the logs as
 * before). Each thread remembers its triples in a small cache, so the lock
 * is taken once per triple and thread. */
#define CLASS_PER_TAG 8
struct heap_class {
  const char *tag;
  uint32_t key; /* size | foreign << 31 */
};
static struct heap_class classes[MAX_CLASSES];
static int nclasses;
static pthread_mutex_t class_lock = PTHREAD_MUTEX_INITIALIZER;

/* The per-thread cache holds, for each tag it met, the tag's classes and
 * whether the tag can get more; a size with no class of a full tag (an
 * sds string of a new length) goes to the logs without the lock, and
 * cannot evict the tag's hot entries (a cache keyed by size did: redis
 * spent 1% of its time in class_assign). */
#define CLASS_CACHE 128 /* two ways: two hot tags may share a slot */
struct class_slot {
  const char *tag;
  uint32_t key[CLASS_PER_TAG];
  unsigned char cls[CLASS_PER_TAG];
  unsigned char n;    /* classes of tag known to this thread */
  unsigned char full; /* tag can get no other class */
} __attribute__((aligned(64))); /* a line each, indexed by a shift */
static __thread struct class_slot class_cache[CLASS_CACHE]
    __attribute__((tls_model("initial-exec")));

static inline uint32_t class_key(size_t size, int foreign) {
  return (uint32_t)size | (foreign ? (uint32_t)1 << 31 : 0);
}

/* Fills c with tag's classes, one for key made if it can be; returns key's
 * class or 0. */
__attribute__((noinline)) static unsigned char
class_assign(struct class_slot *c, const char *tag, uint32_t key) {
  pthread_mutex_lock(&class_lock);
  int found = -1;
  c->tag = tag;
  c->n = 0;
  for (int i = 0; i < nclasses; i++)
    if (classes[i].tag == tag) {
      found = classes[i].key == key ? i : found;
      c->key[c->n] = classes[i].key;
      c->cls[c->n++] = (unsigned char)(CLASS_FIRST + i);
    }
  if (found < 0 && c->n < CLASS_PER_TAG && nclasses < MAX_CLASSES) {
    classes[nclasses].tag = tag;
    classes[nclasses].key = key;
    found = nclasses;
    c->key[c->n] = key;
    c->cls[c->n++] = (unsigned char)(CLASS_FIRST + found);
    /* The entry is written before any byte names it (the release pairs
     * with the snapshot's acquire). */
    __atomic_store_n(&nclasses, nclasses + 1, __ATOMIC_RELEASE);
  }
  c->full = c->n == CLASS_PER_TAG || nclasses == MAX_CLASSES;
  pthread_mutex_unlock(&class_lock);
  return found < 0 ? 0 : (unsigned char)(CLASS_FIRST + found);
}

/* The class of (tag, size, foreign), or 0. */
static inline __attribute__((always_inline)) unsigned char
class_of(const char *tag, size_t size, int foreign) {
  uint32_t key = class_key(size, foreign);
  /* Tags are string constants, tens of bytes apart. */
  size_t h = (size_t)((uintptr_t)tag >> 4) % (CLASS_CACHE / 2) * 2;
  struct class_slot *c = &class_cache[h];
  if (c->tag != tag && class_cache[h + 1].tag == tag)
    c++;
  if (__builtin_expect(c->tag == tag, 1)) {
    for (unsigned i = 0; i < c->n; i++)
      if (c->key[i] == key)
        return c->cls[i];
    if (c->full)
      return 0;
  } else if (c->tag && !class_cache[h + 1].tag) {
    c++; /* a new tag takes the empty way */
  }
  return class_assign(c, tag, key);
}

static inline int is_class(unsigned char v) {
  v &= ID_MASK;
  return v >= CLASS_FIRST && v <= CLASS_LAST;
}

/* Notes that the shadow page of s (in the leaf of address a) holds a class
 * byte, for the snapshot. */
static inline __attribute__((always_inline)) void
mark_class_page(uintptr_t a, unsigned char *s) {
  unsigned char *leaf = shadow_dir[a >> REGION_SHIFT];
  size_t page = (size_t)(s - leaf) >> SHADOW_PAGE_SHIFT;
  uint64_t *map = (uint64_t *)(void *)(leaf + LEAF_BYTES);
  uint64_t bit = (uint64_t)1 << (page & 63);
  if (__builtin_expect(
          !(__atomic_load_n(&map[page >> 6], __ATOMIC_RELAXED) & bit), 0))
    __atomic_fetch_or(&map[page >> 6], bit, __ATOMIC_RELAXED);
}

/* Faults in the pages of a new array of the state transfer at once: one
 * system call instead of a page fault per 4 kB, which on this kind of VM
 * cost as much again as the kernel's zeroing of the page (the arrays of a
 * million objects are 24 MB each). Pages already there are left alone;
 * a kernel without MADV_POPULATE_WRITE (before 5.14) faults them one by
 * one as before. */
static void populate(void *p, size_t bytes) {
#ifdef MADV_POPULATE_WRITE
  if (bytes < ((size_t)1 << 20))
    return;
  uintptr_t from = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
  uintptr_t to = ((uintptr_t)p + bytes) & ~(uintptr_t)4095;
  if (to > from)
    (void)madvise((void *)from, to - from, MADV_POPULATE_WRITE);
#else
  (void)p;
  (void)bytes;
#endif
}

static int region_order(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return x < y ? -1 : x > y;
}

/* Appends the objects the shadow names by class to *all (n of cap, grown
 * as needed), in address order (the state transfer's list of moved objects
 * then needs no sorting). Returns -1 when memory is short. */
static int list_classed(struct dsu_heap_object **all, size_t *n, size_t *cap) {
  int leaves = __atomic_load_n(&nleaves, __ATOMIC_ACQUIRE);
  int ncls = __atomic_load_n(&nclasses, __ATOMIC_ACQUIRE);
  if (!ncls || !leaves)
    return 0;
  size_t *order = malloc((size_t)leaves * sizeof *order);
  if (!order)
    return -1;
  memcpy(order, leaf_regions, (size_t)leaves * sizeof *order);
  qsort(order, (size_t)leaves, sizeof *order, region_order);
  /* Counted first, for one allocation of the list: growing it by doubling
   * copied it over and over (a tenth of the snapshot's time at a million
   * objects); the count reads the 1/16 of the heap the shadow is. */
  size_t classed = 0;
  for (int li = 0; li < leaves; li++) {
    const unsigned char *leaf =
        __atomic_load_n(&shadow_dir[order[li]], __ATOMIC_ACQUIRE);
    const uint64_t *map = (const uint64_t *)(const void *)(leaf + LEAF_BYTES);
    for (size_t w = 0; w < LEAF_MAP_BYTES / 8; w++)
      for (uint64_t bits = __atomic_load_n(&map[w], __ATOMIC_RELAXED); bits;
           bits &= bits - 1) {
        size_t page = w * 64 + (size_t)__builtin_ctzll(bits);
        const unsigned char *p = leaf + (page << SHADOW_PAGE_SHIFT);
        for (size_t j = 0; j < ((size_t)1 << SHADOW_PAGE_SHIFT); j += 8) {
          uint64_t word;
          memcpy(&word, p + j, sizeof word);
          for (; word; word >>= 8)
            classed += is_class((unsigned char)word);
        }
      }
  }
  if (*n + classed > *cap) {
    struct dsu_heap_object *bigger =
        realloc(*all, (*n + classed) * sizeof **all);
    if (!bigger) {
      free(order);
      return -1;
    }
    *all = bigger;
    *cap = *n + classed;
  }
  populate(*all + *n, classed * sizeof **all);
  for (int li = 0; li < leaves; li++) {
    size_t region = order[li];
    const unsigned char *leaf =
        __atomic_load_n(&shadow_dir[region], __ATOMIC_ACQUIRE);
    const uint64_t *map = (const uint64_t *)(const void *)(leaf + LEAF_BYTES);
    for (size_t w = 0; w < LEAF_MAP_BYTES / 8; w++) {
      uint64_t bits = __atomic_load_n(&map[w], __ATOMIC_RELAXED);
      while (bits) {
        size_t page = w * 64 + (size_t)__builtin_ctzll(bits);
        bits &= bits - 1;
        const unsigned char *p = leaf + (page << SHADOW_PAGE_SHIFT);
        for (size_t j = 0; j < ((size_t)1 << SHADOW_PAGE_SHIFT); j += 8) {
          uint64_t word;
          memcpy(&word, p + j, sizeof word); /* mostly zero: skipped whole */
          if (!word)
            continue;
          for (size_t b = 0; b < 8; b++) {
            unsigned char v = __atomic_load_n(p + j + b, __ATOMIC_RELAXED);
            if (!is_class(v) || (v & ID_MASK) - CLASS_FIRST >= ncls)
              continue;
            if (*n == *cap) {
              size_t more = *cap ? 2 * *cap : 1024;
              struct dsu_heap_object *bigger =
                  realloc(*all, more * sizeof **all);
              if (!bigger) {
                free(order);
                return -1;
              }
              *all = bigger;
              *cap = more;
            }
            const struct heap_class *k = &classes[(v & ID_MASK) - CLASS_FIRST];
            struct dsu_heap_object *o = &(*all)[(*n)++];
            size_t granule = (page << SHADOW_PAGE_SHIFT) + j + b;
            o->addr = (region << REGION_SHIFT) + (granule << GRANULE_SHIFT) +
                      (v & AT_HALF ? 8 : 0);
            o->size = k->key & ~((uint32_t)1 << 31);
            o->foreign = k->key >> 31;
            o->tag = k->tag;
          }
        }
      }
    }
  }
  free(order);
  return 0;
}

/* ---------------------------------------------------------------- fork */

/* fork() in a threaded program copies the locks as they are: a lock another
 * thread held (a compaction's keep_lock, a snapshot's logs_lock) stays held
 * in the child forever, and the child's next allocation that needs it hangs
 * (and a compaction caught halfway leaves its log's shadow bytes SEEN). So
 * the forking thread takes every lock of the tracking first, in the one
 * order every path takes them (a snapshot's: logs_lock, heap_lock, each
 * log's lock by id, keep_lock; then shadow_lock, class_lock and the slabs'
 * lock, which are taken alone), and both processes release them after. In the
 * child the other threads' logs are orphans: their threads are gone, so the
 * child's new threads take them over (their records stay true: the objects were
 * copied with the memory). */
static void fork_prepare(void) {
  pthread_mutex_lock(&logs_lock);
  pthread_mutex_lock(&heap_lock);
  for (int i = 1; i <= nlogs; i++)
    pthread_mutex_lock(&logs[i]->lock);
  pthread_mutex_lock(&keep_lock);
  pthread_mutex_lock(&shadow_lock);
  pthread_mutex_lock(&class_lock);
  dsu_slab_fork_lock(1);
}

static void fork_release(void) {
  dsu_slab_fork_lock(0);
  pthread_mutex_unlock(&class_lock);
  pthread_mutex_unlock(&shadow_lock);
  pthread_mutex_unlock(&keep_lock);
  for (int i = nlogs; i >= 1; i--)
    pthread_mutex_unlock(&logs[i]->lock);
  pthread_mutex_unlock(&heap_lock);
  pthread_mutex_unlock(&logs_lock);
}

static void fork_child(void) {
  for (int i = 1; i <= nlogs; i++)
    if (logs[i] != my_log)
      logs[i]->orphan = 1;
  fork_release();
}

__attribute__((constructor)) static void heap_at_fork(void) {
  pthread_atfork(fork_prepare, fork_release, fork_child);
}

/* ------------------------------------------------------------ tracking */

static inline void untrack(uintptr_t a);

/* Records a tracked object. The common case is a few stores: the shadow
 * byte, and a record at the end of this thread's log; no lock. */
static void track(uintptr_t a, size_t size, const char *tag, int foreign) {
  struct heap_log *l = my_log;
  if (__builtin_expect(!l, 0))
    l = take_log();
  int half = placement(a);
  /* A thread that got no log (id 0) can still use the classes. */
  unsigned char *s =
      half >= 0 && size <= RECORD_SIZE_MAX ? shadow_for_write(a) : NULL;
  if (__builtin_expect(s != NULL, 1)) {
    unsigned char v = __atomic_load_n(s, __ATOMIC_RELAXED);
    /* Empty, or the same address (its object was freed where dsu could
     * not see it: malloc gave it out again). */
    if (v == 0 || (v & AT_HALF) == half) {
      if (table_may_hold(a))
        table_remove(a); /* a stale entry of the same address */
      unsigned char cls = class_of(tag, size, foreign);
      if (__builtin_expect(cls != 0, 1)) { /* no record: the byte says it */
        mark_class_page(a, s);
        __atomic_store_n(s, (unsigned char)(cls | half), __ATOMIC_RELAXED);
        return;
      }
      if (!l->id)
        goto to_table;
      if (__builtin_expect(l->n >= l->limit, 0)) {
        if (compact_log(l) != 0)
          goto to_table;
      }
      struct record *e = &l->rec[l->n];
      /* The window's lines were evicted since its last lap. */
      __builtin_prefetch(e + 8, 1);
      e->word = a | (foreign ? FOREIGN_BIT : 0) | ((uintptr_t)size << 48);
      e->tag = tag;
      __atomic_store_n(s, (unsigned char)(l->id | half), __ATOMIC_RELAXED);
      __atomic_store_n(&l->n, l->n + 1, __ATOMIC_RELEASE);
      return;
    }
    /* Another live object in the other half of the granule. */
  }
to_table:
  if (s && half >= 0) { /* a stale byte of this very address */
    unsigned char v = __atomic_load_n(s, __ATOMIC_RELAXED);
    if (v && (v & AT_HALF) == half)
      __atomic_store_n(s, 0, __ATOMIC_RELAXED);
  }
  table_insert(a, size, tag, foreign);
}

/* Records the `count` objects of a new slab (dsu_slab.c, `stride` bytes
 * apart from base) at a commit, all at once: as a class when the kind gets
 * one (a byte each), else one record each, put after the
 * old records of the committing thread's log, with no compaction (they are
 * all live; tracking them one by one compacted the log again and again, a
 * third of the pause at a million objects). No address of a slab was given
 * out before, so no live record names one and where in the log the records
 * go does not matter. Unless a byte of the shadow says otherwise: an object
 * freed where dsu could not see it, whose memory was unmapped before the
 * slabs' addresses were reserved, leaves its byte and a record that could
 * be newer than these; then the slab is tracked one object at a time, each
 * record at the end of the log. */
static void track_slab(uintptr_t base, size_t stride, size_t count, size_t size,
                       const char *tag) {
  struct heap_log *l = my_log;
  if (!l)
    l = take_log();
  int ok = size <= RECORD_SIZE_MAX && !(base & 15) && !(stride & 15);
  /* Every leaf of the shadow the slab needs, before any record goes in. */
  for (uintptr_t a = base; ok && a < base + stride * count;
       a = (a | (((uintptr_t)1 << REGION_SHIFT) - 1)) + 1)
    ok = shadow_for_write(a) != NULL;
  for (size_t i = 0; ok && i < count; i++)
    ok = __atomic_load_n(shadow_at(base + i * stride), __ATOMIC_RELAXED) == 0;
  /* Members of one kind (tag, size, the C library's free) are a class, as
   * track() would make them one by one: a byte each and no record (the
   * records were 16 MB of fresh memory and a tenth of the pause at a
   * million objects). */
  unsigned char cls = ok ? class_of(tag, size, 0) : 0;
  if (cls) {
    /* Leaf by leaf, page by page: the members are in address order. */
    size_t page = (size_t)-1;
    for (size_t i = 0; i < count; i++) {
      uintptr_t a = base + i * stride;
      unsigned char *s = shadow_at(a);
      size_t p = (size_t)((uintptr_t)s >> SHADOW_PAGE_SHIFT);
      if (p != page) {
        mark_class_page(a, s);
        page = p;
      }
      __atomic_store_n(s, cls, __ATOMIC_RELAXED);
    }
    return;
  }
  ok = ok && l->id;
  if (ok) {
    pthread_mutex_lock(&l->lock);
    size_t n = l->n, old = l->old;
    size_t limit = l->limit > n ? l->limit : n;
    if (limit + count > l->cap) {
      struct record *r = realloc(l->rec, (limit + count) * sizeof *r);
      if (r) {
        l->rec = r;
        l->cap = limit + count;
      } else {
        ok = 0;
      }
    }
    if (ok) {
      memmove(l->rec + old + count, l->rec + old, (n - old) * sizeof *l->rec);
      struct record *e = l->rec + old;
      uintptr_t word = ((uintptr_t)size << 48);
      for (size_t i = 0; i < count; i++) {
        uintptr_t a = base + i * stride;
        e[i].word = a | word;
        e[i].tag = tag;
        __atomic_store_n(shadow_at(a), (unsigned char)l->id, __ATOMIC_RELAXED);
      }
      l->old = old + count;
      l->old_live += count;
      l->limit = limit + count;
      __atomic_store_n(&l->n, n + count, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&l->lock);
    if (ok)
      return;
  }
  for (size_t i = 0; i < count; i++)
    track(base + i * stride, size, tag, 0);
}

/* The log id of the tracked object at a, or 0 (in the table, or none);
 * *in_shadow tells whether the shadow holds it. */
static inline __attribute__((always_inline)) unsigned char *
tracked_byte(uintptr_t a) {
  int half = placement(a);
  if (half < 0)
    return NULL;
  unsigned char *s = shadow_at(a);
  if (!s)
    return NULL;
  unsigned char v = __atomic_load_n(s, __ATOMIC_RELAXED);
  return v && (v & AT_HALF) == half ? s : NULL;
}

/* A free: clears the object's byte. An untracked free costs the two loads
 * of the shadow and one of table_live (and while the table holds objects,
 * one of a presence counter), and branches that go the same way every
 * time. */
static inline __attribute__((always_inline)) void untrack(uintptr_t a) {
  unsigned char *s = tracked_byte(a);
  if (s) {
    __atomic_store_n(s, 0, __ATOMIC_RELAXED);
    return;
  }
  if (table_may_hold(a))
    table_remove(a);
}

/* The tag of the tracked object at a (a realloc at an untyped site keeps
 * it), or NULL. Rare: walks the owning log from its newest record. */
static const char *tag_of(uintptr_t a) {
  unsigned char *s = tracked_byte(a);
  if (!s) {
    if (!table_may_hold(a))
      return NULL;
    pthread_mutex_lock(&heap_lock);
    struct dsu_heap_object *e = find_locked(a);
    const char *tag = e ? e->tag : NULL;
    pthread_mutex_unlock(&heap_lock);
    return tag;
  }
  unsigned char v;
  /* SEEN: the owner is compacting; it puts its id back when done. */
  while (((v = __atomic_load_n(s, __ATOMIC_RELAXED)) & ID_MASK) == SEEN)
    sched_yield();
  if (!v)
    return NULL;
  if (is_class(v))
    return classes[(v & ID_MASK) - CLASS_FIRST].tag;
  pthread_mutex_lock(&logs_lock);
  struct heap_log *l = logs[v & ID_MASK];
  pthread_mutex_unlock(&logs_lock);
  const char *tag = NULL;
  pthread_mutex_lock(&l->lock);
  for (size_t i = __atomic_load_n(&l->n, __ATOMIC_ACQUIRE); i-- > 0;)
    if (record_addr(&l->rec[i]) == a) {
      tag = l->rec[i].tag;
      break;
    }
  pthread_mutex_unlock(&l->lock);
  return tag;
}

DSU_EXPORT void __dsu_track_alloc(void *p, size_t size, const char *tag) {
  if (p)
    track((uintptr_t)p, size, tag, 0);
}

/* An object from an allocator wrapper that the program frees with its own
 * function (see Allocations.cpp). */
DSU_EXPORT void __dsu_track_foreign(void *p, size_t size, const char *tag) {
  if (p)
    track((uintptr_t)p, size, tag, 1);
}

DSU_EXPORT void __dsu_track_free(void *p) { untrack((uintptr_t)p); }

/* After p = realloc(old, size), or FOREIGN's allocator's own realloc-like
 * call: keeps the tag of old unless tag is given. */
static void retrack(void *old, void *p, size_t size, const char *tag,
                    int foreign) {
  if (!tag && (!old || (!tracked_byte((uintptr_t)old) &&
                        !table_may_hold((uintptr_t)old))))
    return; /* untyped realloc of untracked memory */
  if (!p && size)
    return; /* failed: old is untouched */
  const char *t = tag;
  if (old) {
    if (!t)
      t = tag_of((uintptr_t)old);
    untrack((uintptr_t)old);
  }
  if (p && t)
    track((uintptr_t)p, size, t, foreign);
}

DSU_EXPORT void __dsu_track_realloc(void *old, void *p, size_t size,
                                    const char *tag) {
  retrack(old, p, size, tag, 0);
}

/* After p = A(old, size) for an allocator named with its deallocator
 * (-fdsu-allocator=zrealloc:zfree): A released old itself (unless it
 * failed), through a realloc this runtime never saw. */
DSU_EXPORT void __dsu_track_foreign_realloc(void *old, void *p, size_t size,
                                            const char *tag) {
  retrack(old, p, size, tag, 1);
}

/* keep_live for a snapshot: the live objects of l's records [0, hi), newest
 * first, written to out as objects (through no copy of the records: at a
 * million objects each copy is 16 MB of fresh memory, 8 ms of the pause). */
static size_t list_live(const struct heap_log *l, size_t hi,
                        struct dsu_heap_object *out) {
  pthread_mutex_lock(&keep_lock); /* as keep_live: SEEN is not a log's */
  size_t k = 0;
  for (size_t i = hi; i-- > 0;) {
    const struct record *e = &l->rec[i];
    uintptr_t addr = record_addr(e);
    if (!claim_record(l, i, 0, addr))
      continue;
    out[k].addr = addr;
    out[k].size = e->word >> 48;
    out[k].foreign = (e->word & FOREIGN_BIT) != 0;
    out[k].tag = e->tag;
    k++;
  }
  for (size_t j = 0; j < k; j++) {
    unsigned char half = (unsigned char)placement(out[j].addr);
    unsigned char seen = (unsigned char)(SEEN | half);
    __atomic_compare_exchange_n(shadow_at(out[j].addr), &seen,
                                (unsigned char)(l->id | half), 0,
                                __ATOMIC_RELAXED, __ATOMIC_RELAXED);
  }
  pthread_mutex_unlock(&keep_lock);
  return k;
}

/* Every tracked object once, from the table, the logs (newest record of
 * each address, newest first, as keep_live) and the shadow's class bytes
 * (in address order), into a new array. The heap is
 * exact when every thread that allocates is quiescent (at an update); at
 * other times objects freed meanwhile may be listed. */
/* An array for the next state transfer's snapshot, made ready while its
 * patch loaded (dsu_transform_prepare): malloc'd, its pages populated. */
static struct dsu_heap_object *spare_list;
static size_t spare_cap;

static int snapshot(struct dsu_heap_object **out, size_t *count,
                    int use_spare) {
  pthread_mutex_lock(&logs_lock);
  pthread_mutex_lock(&heap_lock);
  size_t total = table_live, n = 0;
  for (int i = 1; i <= nlogs; i++)
    total += __atomic_load_n(&logs[i]->n, __ATOMIC_ACQUIRE);
  struct dsu_heap_object *all = NULL;
  if (use_spare && spare_list && spare_cap >= total) {
    all = spare_list;
    total = spare_cap;
    spare_list = NULL;
    spare_cap = 0;
  } else {
    all = malloc((total ? total : 1) * sizeof *all);
  }
  int ok = all != NULL;
  for (size_t i = 0; ok && i < capacity; i++)
    if (table[i].addr > 1)
      all[n++] = table[i];
  for (int i = 1; ok && i <= nlogs; i++) {
    struct heap_log *l = logs[i];
    pthread_mutex_lock(&l->lock);
    size_t hi = __atomic_load_n(&l->n, __ATOMIC_ACQUIRE);
    if (n + hi > total) { /* it grew meanwhile (not at an update) */
      struct dsu_heap_object *more = realloc(all, (n + hi) * sizeof *all);
      ok = more != NULL;
      all = ok ? more : all;
      total = ok ? n + hi : total;
    }
    if (ok)
      n += list_live(l, hi, all + n);
    pthread_mutex_unlock(&l->lock);
  }
  if (ok)
    ok = list_classed(&all, &n, &total) == 0;
  pthread_mutex_unlock(&heap_lock);
  pthread_mutex_unlock(&logs_lock);
  if (!ok) {
    free(all);
    all = NULL;
    n = 0;
  }
  *out = all;
  *count = n;
  return ok ? 0 : -1;
}

int dsu_heap_snapshot(struct dsu_heap_object **out, size_t *count) {
  return snapshot(out, count, 0);
}

size_t dsu_heap_tracked(void) {
  struct dsu_heap_object *all;
  size_t n;
  if (dsu_heap_snapshot(&all, &n) != 0)
    return 0;
  free(all);
  return n;
}

/* ------------------------------------------------------- transformation */

/* 24 bytes: at a million objects, each byte of this is a megabyte of fresh
 * memory, and the kernel zeroes it inside the pause (0.5 ms per MB on a
 * small VM). The new size follows from the old one and the type (see
 * moved_size). The list is sorted by old address (misaligned ones last):
 * the relocation map is an index of it (see struct starts). */
#define MOVED_SIZE_MAX (((uint64_t)1 << 40) - 1)
#define MOVED_TYPES_MAX 0xffff
struct moved {
  uintptr_t old_addr;
  void *new_obj;          /* the new contents, private until commit */
  uint64_t old_size : 40; /* whole object */
  uint64_t which : 16;    /* index of the type transformer */
  uint64_t trailing : 1;  /* one object with data after it (tag ends '+') */
  /* An object the program frees itself whose new layout does not fit in
   * place: new_obj (the final place) comes from the type's alloc, and the
   * old object goes back through its dealloc after the commit. */
  uint64_t pooled : 1;
  uint64_t in_place : 1; /* rewritten at old_addr at the commit */
  uint64_t slab : 1;     /* new_obj is a member of a slab of this update's */
  uint64_t single : 1;   /* one object of its type: the type gives sizes */
};

static size_t trailing_size(const struct dsu_type_xform *t, size_t old_size);

/* The size of the new contents. */
static inline size_t moved_size(const struct moved *m,
                                const struct dsu_type_xform *types) {
  const struct dsu_type_xform *t = &types[m->which];
  if (m->single)
    return t->new_size;
  if (m->trailing)
    return trailing_size(t, m->old_size);
  return m->old_size / t->old_size * t->new_size;
}

/* Where the new contents end up. */
static inline char *moved_final(const struct moved *m) {
  return m->in_place ? (char *)m->old_addr : (char *)m->new_obj;
}

static inline const char *moved_tag(const struct moved *m,
                                    const struct dsu_type_xform *types) {
  return m->trailing ? types[m->which].new_trailing_tag
                     : types[m->which].new_tag;
}

/* The element size of the new layout. */
static inline size_t moved_elem(const struct moved *m,
                                const struct dsu_type_xform *types) {
  return m->trailing ? moved_size(m, types) : types[m->which].new_size;
}

/* The slabs of this update's new objects (dsu_slab.c), one per type at
 * most; live until dsu_transform_finish. Their members are new addresses:
 * they map to themselves (a transformer may store them). */
struct xslab {
  uintptr_t base;
  size_t stride, count, size;
  const char *tag;
};
static struct xslab *xslabs;
static size_t nxslabs;

/* An old object to give back to the program's deallocator at the end. */
struct pooled_old {
  void *addr;
  size_t size;
  void (*dealloc)(void *, size_t);
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

/* The relocation map's index of the moved objects' starts. The list of
 * moved objects is sorted by old address, so an object's place in it is its
 * rank among the starts: a bit per 8 bytes of address says where an object
 * starts, and per 64 bits (512 bytes of addresses) the number of starts
 * before them in the region (a gigabyte of addresses) counts to the word; a
 * popcount of the word below the bit gives the rest (one popcount: the
 * runtime is built for any x86-64, without the instruction). A lookup reads
 * a word of bits, its count and the object's entry, and the bits and
 * counts of a million objects (32 MB of heap) are 768 kB that stay in
 * cache, where a hash table of them was 8 MB of fresh memory
 * with a cache miss per insert and per lookup (and, filled densely, long
 * runs to probe). Both arrays of a region are reserved whole and cost
 * memory only where objects are. Misaligned starts are not in the index
 * (they sort last, past the aligned ones, and go to the hash table). */
#define START_WORDS ((size_t)1 << (REGION_SHIFT - 3 - 6))
#define START_BYTES (START_WORDS * (sizeof(uint64_t) + sizeof(uint32_t)))
struct start_leaf {
  uintptr_t region;
  uint64_t *bits;  /* START_WORDS */
  uint32_t *count; /* START_WORDS: starts before the word, in the region */
  size_t first;    /* index of the region's first object in the list */
};
struct starts {
  struct start_leaf *leaf; /* by region, ascending */
  size_t n;
};

static void starts_free(struct starts *st) {
  for (size_t i = 0; i < st->n; i++)
    munmap(st->leaf[i].bits, START_BYTES);
  free(st->leaf);
  memset(st, 0, sizeof *st);
}

/* Indexes the aligned starts of list[0, n) (sorted, aligned first), and
 * counts in *entries what the hash table must hold besides (see struct
 * remap): one pass over the list, which at a million objects is 24 MB. */
static int starts_build(struct starts *st, const struct moved *list, size_t n,
                        const struct dsu_type_xform *types, size_t *entries) {
  struct start_leaf *l = NULL;
  size_t word = (size_t)-1, cap = 0, more = 0;
  for (size_t i = 0; i < n; i++) {
    const struct moved *m = &list[i];
    uintptr_t a = m->old_addr;
    if (!m->single || !m->slab) {
      size_t k =
          m->single || m->trailing ? 1 : m->old_size / types[m->which].old_size;
      more += k - !(a & 7) + (m->in_place || m->slab ? 0 : k);
    }
    if (a & 7) {
      more += m->single && m->slab; /* its start, not counted above */
      continue;
    }
    if (!l || a >> REGION_SHIFT != l->region) {
      if (st->n == cap) {
        cap = cap ? 2 * cap : 4;
        struct start_leaf *bigger = realloc(st->leaf, cap * sizeof *bigger);
        if (!bigger)
          return -1;
        st->leaf = bigger;
      }
      void *mem = mmap(NULL, START_BYTES, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (mem == MAP_FAILED)
        return -1;
      l = &st->leaf[st->n++];
      l->region = a >> REGION_SHIFT;
      l->bits = mem;
      l->count = (uint32_t *)(l->bits + START_WORDS);
      l->first = i;
      word = (size_t)-1;
    }
    size_t bit = (a & (((uintptr_t)1 << REGION_SHIFT) - 1)) >> 3;
    if (bit >> 6 != word) { /* the first start of its word */
      word = bit >> 6;
      l->count[word] = (uint32_t)(i - l->first);
    }
    l->bits[bit >> 6] |= (uint64_t)1 << (bit & 63);
  }
  *entries = more;
  return 0;
}

/* The bits set in x, inline: the runtime is built for any x86-64, where
 * __builtin_popcountll is a call into libgcc. */
static inline size_t ones(uint64_t x) {
  x -= (x >> 1) & 0x5555555555555555ull;
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return (size_t)((x * 0x0101010101010101ull) >> 56);
}

/* The index in the list of the object starting at a, or -1. */
static inline size_t starts_find(const struct starts *st, uintptr_t a) {
  if ((a & 7) || !st->n)
    return (size_t)-1;
  uintptr_t region = a >> REGION_SHIFT;
  size_t lo = 0, hi = st->n;
  while (hi - lo > 1) { /* a few regions at most */
    size_t mid = lo + (hi - lo) / 2;
    if (st->leaf[mid].region <= region)
      lo = mid;
    else
      hi = mid;
  }
  const struct start_leaf *l = &st->leaf[lo];
  if (l->region != region)
    return (size_t)-1;
  size_t bit = (a & (((uintptr_t)1 << REGION_SHIFT) - 1)) >> 3;
  const uint64_t *w = &l->bits[bit >> 6];
  uint64_t below = (uint64_t)1 << (bit & 63);
  if (!(*w & below))
    return (size_t)-1;
  return l->first + l->count[bit >> 6] + ones(*w & (below - 1));
}

/* Sorts the list of moved objects by old address, misaligned ones last (a
 * radix sort, 12 bits a pass, through a buffer of the list's size). The
 * objects of classes come in address order already: only objects from the
 * logs or the table, when they move, make the list unsorted. */
static inline uint64_t moved_key(const struct moved *m) {
  return (m->old_addr >> 3) | (m->old_addr & 7 ? (uint64_t)1 << 45 : 0);
}

static int sort_moved(struct moved **list, size_t n, int sorted) {
  struct moved *a = *list;
  size_t i;
  if (sorted)
    return 0;
  struct moved *b = malloc(n * sizeof *b);
  size_t *count = calloc(4 << 12, sizeof *count);
  if (!b || !count) {
    free(b);
    free(count);
    return -1;
  }
  for (i = 0; i < n; i++) {
    uint64_t k = moved_key(&a[i]);
    for (int d = 0; d < 4; d++)
      count[(d << 12) + (k >> (12 * d) & 0xfff)]++;
  }
  for (int d = 0; d < 4; d++) {
    size_t *c = count + (d << 12), sum = 0;
    if (c[moved_key(&a[0]) >> (12 * d) & 0xfff] == n)
      continue; /* one digit for all: nothing to do */
    for (size_t j = 0; j < 4096; j++) {
      size_t here = c[j];
      c[j] = sum;
      sum += here;
    }
    for (i = 0; i < n; i++)
      b[c[moved_key(&a[i]) >> (12 * d) & 0xfff]++] = a[i];
    struct moved *t = a;
    a = b;
    b = t;
  }
  free(b);
  free(count);
  *list = a;
  return 0;
}

/* Old element address -> new element address, for every element of every
 * relocated object and every global given new storage. The moved objects'
 * starts are in the index above; the rest in open addressing, in two
 * tables: the moved objects' other elements (and misaligned starts, and
 * the new addresses of objects not in slabs, which map to themselves) by
 * their object's index in the list of moved objects (1 + i, the top bit
 * set where the key is a new address), 4 bytes a slot, the element found
 * again from the object's entry, since at a million objects each byte of a
 * slot is 2 MB the kernel zeroes inside the pause (pairs of addresses took
 * 16); and the globals' addresses, in pairs. */
struct remap {
  struct starts starts;
  uintptr_t *old_addr;
  void **new_addr;
  size_t cap;
  unsigned bits; /* cap == 1 << bits */
  uint32_t *idx;
  size_t icap;
  unsigned ibits; /* icap == 1 << ibits */
  int mixed;      /* idx by a mixed hash (see islot) */
  const struct moved *moved;
  const struct dsu_type_xform *types;
};
#define NEW_KEY 0x80000000u

static int remap_init(struct remap *m, size_t globals, size_t elements) {
  size_t cap = 64, icap = 1024;
  while (cap < globals * 2)
    cap *= 2;
  while (icap < elements * 2)
    icap *= 2;
  m->old_addr = calloc(cap, sizeof *m->old_addr);
  m->new_addr = malloc(cap * sizeof *m->new_addr);
  m->cap = cap;
  m->bits = (unsigned)__builtin_ctzl(cap);
  m->idx = elements ? calloc(icap, sizeof *m->idx) : NULL;
  m->icap = icap;
  m->ibits = (unsigned)__builtin_ctzl(icap);
  return m->old_addr && m->new_addr && (m->idx || !elements) ? 0 : -1;
}

static void remap_free(struct remap *m) {
  starts_free(&m->starts);
  free(m->old_addr);
  free(m->new_addr);
  free(m->idx);
  memset(m, 0, sizeof *m);
}

/* The slot of an old address: its 16-byte granule, within the stretch of
 * cap granules it falls in, XORed with a hash of that stretch (so that
 * arenas far apart do not alias). Objects near each other in the heap
 * (neighbours in a list, consecutive allocations) then sit in neighbouring
 * slots, in whatever order the heap is walked, and two granules of one
 * stretch never collide. The old tracking table walked the heap in the
 * order of a multiplicative hash, which happened to give neighbours
 * neighbouring slots too; the logs walk it in allocation order, where that
 * hash made every lookup a miss (the pause for 1,000,000 list nodes grew
 * from 382 to 470 ms). */
static inline size_t slot_in(uintptr_t a, unsigned bits) {
  uint64_t stretch = (uint64_t)a >> (4 + bits);
  return (size_t)((a >> 4) ^ (stretch * 0x9e3779b97f4a7c15ull >> 20)) &
         (((size_t)1 << bits) - 1);
}

static size_t remap_slot(const struct remap *m, uintptr_t old) {
  return slot_in(old, m->bits);
}

/* The index table's slot. The stretch hash keeps neighbours in
 * neighbouring slots (at a million objects it made the map 4 times and the
 * pointer pass 6 times faster than a mixed hash: the misses are the cost).
 * But two stretches densely filled (a slab's members every other granule)
 * can fill a whole run of slots between them, and every other key whose
 * slot falls in the run walks to its end: one update of 666,666 objects
 * spent minutes probing. So the map is built again with a mixed hash when
 * a key probes too far (remap_put_moved). */
#define PROBE_LIMIT 256
static inline size_t islot(const struct remap *m, uintptr_t a) {
  if (!m->mixed)
    return slot_in(a, m->ibits);
  uint64_t h = (uint64_t)a >> 4;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return (size_t)(h >> (64 - m->ibits));
}

static void remap_prefetch(const struct remap *m, uintptr_t a) {
  if (m->idx)
    __builtin_prefetch(&m->idx[islot(m, a)], 1);
}

/* Element address a of moved object i (an old one, or with NEW_KEY a new
 * one) goes into the index table. */
static int remap_put_moved(struct remap *m, uintptr_t a, size_t i,
                           uint32_t key) {
  size_t j = islot(m, a), probes = 0;
  while (m->idx[j]) {
    j = (j + 1) & (m->icap - 1);
    probes++;
  }
  m->idx[j] = (uint32_t)(i + 1) | key;
  return probes > PROBE_LIMIT;
}

/* The new address of element start a of a moved object (itself for a new
 * one), or NULL. A slot names an object, not an element: any slot whose
 * object has an element starting at a gives the answer (old and new
 * addresses of moved objects never overlap: new ones of objects rewritten
 * in place are not keys). */
static void *remap_moved(const struct remap *m, uintptr_t a) {
  if (!m->idx)
    return NULL;
  for (size_t j = islot(m, a); m->idx[j]; j = (j + 1) & (m->icap - 1)) {
    uint32_t v = m->idx[j];
    const struct moved *o = &m->moved[(v & ~NEW_KEY) - 1];
    size_t elem = moved_elem(o, m->types);
    if (v & NEW_KEY) {
      uintptr_t base = (uintptr_t)moved_final(o);
      if (a - base < moved_size(o, m->types) && (a - base) % elem == 0)
        return (void *)a;
      continue;
    }
    size_t step = o->trailing ? o->old_size : m->types[o->which].old_size;
    if (a - o->old_addr < o->old_size && (a - o->old_addr) % step == 0)
      return moved_final(o) + (a - o->old_addr) / step * elem;
  }
  return NULL;
}

static void remap_put(struct remap *m, uintptr_t old, void *new_addr) {
  size_t j = remap_slot(m, old);
  while (m->old_addr[j] && m->old_addr[j] != old)
    j = (j + 1) & (m->cap - 1);
  m->old_addr[j] = old;
  m->new_addr[j] = new_addr;
}

static const struct remap *active_map; /* during a transformation */

static void *remap_get(const struct remap *m, uintptr_t old);
static int relocate(const struct remap *m, uintptr_t v, void **to);
enum { NOT_MOVED, MOVED, UNMAPPABLE };

/* For transformers: where an object (or an element of an array) moves. */
DSU_EXPORT void *dsu_relocated(const void *old) {
  void *to;
  if (!old || !active_map ||
      relocate(active_map, (uintptr_t)old, &to) != MOVED)
    return (void *)old;
  return to;
}

static void *remap_get(const struct remap *m, uintptr_t old) {
  size_t i = starts_find(&m->starts, old);
  if (i != (size_t)-1)
    return moved_final(&m->moved[i]);
  void *to = remap_moved(m, old);
  if (to || !m->old_addr)
    return to;
  size_t j = remap_slot(m, old);
  while (m->old_addr[j]) {
    if (m->old_addr[j] == old)
      return m->new_addr[j];
    j = (j + 1) & (m->cap - 1);
  }
  return NULL;
}

/* Every relocated object and global as a range of old addresses, sorted, for
 * pointers that do not point at the start of an element: a pointer into the
 * middle of an element moves with the field it points into, if the new
 * layout keeps that field (dsu_field_move); otherwise it cannot be accounted
 * for. */
struct block {
  uintptr_t old_start;
  size_t old_len, old_elem;
  char *new_start;
  size_t new_elem;
  const struct dsu_field_move *moves; /* NULL: only element starts move */
  /* One object with data after it: old offsets from old_tail on move to
   * new_tail on (0: none). */
  size_t old_tail, new_tail;
  const struct dsu_type_xform *type; /* of a heap object; NULL: a global */
};

static struct block *blocks;
static size_t nblocks;
static struct block *rblocks; /* the same, sorted by new address */

/* The blocks are built and sorted only when a pointer does not point at the
 * start of a relocated element (most updates never need them): from the
 * relocated heap objects and the globals' blocks, while dsu_transform_state
 * runs. */
static struct {
  const struct moved *moved;
  size_t nmoved;
  const struct dsu_type_xform *types;
  const struct block *globals;
  size_t nglobals;
} block_src;

static int block_order(const void *a, const void *b);

static int ensure_blocks(void) {
  size_t total = block_src.nmoved + block_src.nglobals;
  if (blocks || total == 0)
    return 0;
  struct block *b = malloc(total * sizeof *b);
  if (!b)
    return -1;
  for (size_t i = 0; i < block_src.nmoved; i++) {
    const struct moved *m = &block_src.moved[i];
    const struct dsu_type_xform *t = &block_src.types[m->which];
    struct block x = {m->old_addr,
                      m->old_size,
                      t->old_size,
                      moved_final(m),
                      t->new_size,
                      t->moves,
                      0,
                      0,
                      t};
    if (m->trailing) {
      x.old_elem = m->old_size;
      x.new_elem = moved_size(m, block_src.types);
      x.old_tail = t->old_tail;
      x.new_tail = t->new_tail;
    }
    b[i] = x;
  }
  if (block_src.nglobals)
    memcpy(b + block_src.nmoved, block_src.globals,
           block_src.nglobals * sizeof *b);
  qsort(b, total, sizeof *b, block_order);
  blocks = b;
  nblocks = total;
  return 0;
}

static int block_order(const void *a, const void *b) {
  uintptr_t x = ((const struct block *)a)->old_start;
  uintptr_t y = ((const struct block *)b)->old_start;
  return x < y ? -1 : x > y;
}

static int block_new_order(const void *a, const void *b) {
  uintptr_t x = (uintptr_t)((const struct block *)a)->new_start;
  uintptr_t y = (uintptr_t)((const struct block *)b)->new_start;
  return x < y ? -1 : x > y;
}

/* For commit hooks: the old address of a relocated element (or of a kept
 * field in it), given the new one. */
/* Whether a tag ("struct conn#1a2b3c4d", "+" for data after it) names
 * `type`. */
static int tag_names(const char *tag, const char *type) {
  size_t n = strlen(type);
  return tag && strncmp(tag, type, n) == 0 && tag[n] == DSU_TAG_SEPARATOR;
}

DSU_EXPORT size_t dsu_for_each_moved(const char *type,
                                     void (*fn)(void *new_object,
                                                const void *old_object)) {
  if (!type || !fn || ensure_blocks() != 0)
    return 0;
  size_t calls = 0;
  for (size_t i = 0; i < nblocks; i++) {
    const struct block *b = &blocks[i];
    if (!b->type || (uintptr_t)b->new_start == b->old_start ||
        !(tag_names(b->type->old_tag, type) ||
          tag_names(b->type->new_tag, type)))
      continue;
    for (size_t k = 0; k < b->old_len / b->old_elem; k++, calls++)
      fn(b->new_start + k * b->new_elem,
         (const void *)(b->old_start + k * b->old_elem));
  }
  return calls;
}

DSU_EXPORT void *dsu_original(const void *new_object) {
  uintptr_t v = (uintptr_t)new_object;
  if (!rblocks && ensure_blocks() == 0 && nblocks) {
    rblocks = malloc(nblocks * sizeof *rblocks);
    if (rblocks) {
      memcpy(rblocks, blocks, nblocks * sizeof *rblocks);
      qsort(rblocks, nblocks, sizeof *rblocks, block_new_order);
    }
  }
  size_t lo = 0, hi = rblocks ? nblocks : 0;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if ((uintptr_t)rblocks[mid].new_start <= v)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0)
    return (void *)new_object;
  const struct block *b = &rblocks[lo - 1];
  size_t n = b->old_len / b->old_elem;
  size_t off = (size_t)(v - (uintptr_t)b->new_start);
  if (off >= n * b->new_elem)
    return (void *)new_object;
  size_t k = off / b->new_elem, in = off % b->new_elem, at;
  if (!dsu_old_offset(b->moves, in, b->old_tail, b->new_tail, &at))
    return (void *)new_object;
  return (void *)(b->old_start + k * b->old_elem + at);
}

/* The block holding old address v, or NULL. */
static const struct block *block_of(uintptr_t v) {
  size_t lo = 0, hi = nblocks;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (blocks[mid].old_start <= v)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0)
    return NULL;
  const struct block *b = &blocks[lo - 1];
  return v - b->old_start < b->old_len ? b : NULL;
}

/* Where old address v goes: *to is set and MOVED returned when v lies in a
 * relocated object at a place the new layout keeps; NOT_MOVED when v lies in
 * no relocated object; UNMAPPABLE when it lies in one, at a place that has
 * no counterpart (a removed or retyped field). */
static int relocate(const struct remap *m, uintptr_t v, void **to) {
  void *exact = remap_get(m, v);
  if (exact) {
    *to = exact;
    return MOVED;
  }
  for (size_t i = 0; i < nxslabs; i++) {
    const struct xslab *x = &xslabs[i];
    if (v - x->base < x->stride * x->count && (v - x->base) % x->stride == 0) {
      *to = (void *)v;
      return MOVED;
    }
  }
  if (ensure_blocks() != 0)
    return UNMAPPABLE; /* out of memory: refuse rather than guess */
  const struct block *b = block_of(v);
  if (!b)
    return NOT_MOVED;
  size_t off = (size_t)(v - b->old_start);
  size_t k = off / b->old_elem, in = off % b->old_elem, at;
  if (!dsu_new_offset(b->moves, in, b->old_tail, b->new_tail, &at))
    return UNMAPPABLE;
  *to = b->new_start + k * b->new_elem + at;
  return MOVED;
}

static int add_block(struct vec *v, uintptr_t old_start, size_t old_len,
                     size_t old_elem, void *new_start, size_t new_elem,
                     const struct dsu_field_move *moves) {
  struct block b = {old_start,
                    old_len,
                    old_elem ? old_elem : old_len,
                    new_start,
                    new_elem ? new_elem : old_len,
                    moves,
                    0,
                    0,
                    NULL};
  return old_len ? push(v, &b) : 0;
}

/* Protection of user code (transformers, hooks). A crash (SIGSEGV, SIGBUS,
 * SIGFPE), an abort() (SIGABRT) or a stack overflow (SIGSEGV, handled on an
 * alternate stack since the thread's own is exhausted) leaves the user's
 * function by siglongjmp; so does a transformation that runs past its
 * deadline (DSU_DEADLINE_SIGNAL from a per-thread timer), but only from
 * inside user code: past the deadline elsewhere, the runtime's own loops
 * notice between objects. Either way the update rolls back. */
#define DSU_DEADLINE_SIGNAL (SIGRTMAX - 2)
#define DSU_DEFAULT_TRANSFORM_MS 10000

static sigjmp_buf xform_jump;
static volatile sig_atomic_t xform_signal;
static volatile sig_atomic_t in_user_code;
static volatile sig_atomic_t deadline_passed;
static long transform_ms;

static void on_xform_crash(int sig) {
  if (sig == DSU_DEADLINE_SIGNAL) {
    deadline_passed = 1;
    if (!in_user_code)
      return;
  }
  xform_signal = sig;
  siglongjmp(xform_jump, 1);
}

#define NPROTECTED 5
static int protected_signal(size_t i) {
  /* SIGRTMAX is not a constant in glibc. */
  const int sigs[NPROTECTED] = {SIGSEGV, SIGBUS, SIGFPE, SIGABRT,
                                DSU_DEADLINE_SIGNAL};
  return sigs[i];
}
static struct sigaction saved_actions[NPROTECTED];

int dsu_heap_protects(int sig) {
  for (size_t i = 0; i < NPROTECTED; i++)
    if (protected_signal(i) == sig)
      return 1;
  return 0;
}
static stack_t saved_altstack;
static void *alt_stack;
static timer_t deadline_timer;
static int have_timer;

/* Starts the deadline afresh: for the transformation, and again for the
 * rollback hook after a transformation that ran out of time. */
static void rearm_deadline(void) {
  deadline_passed = 0;
  if (have_timer) {
    struct itimerspec when = {{0, 0},
                              {transform_ms / 1000,
                               (transform_ms % 1000) * 1000000L}};
    timer_settime(deadline_timer, 0, &when, NULL);
  }
}

/* Crash protection for the whole transformation: installed once, because
 * several system calls per object would dominate the pause. */
static void protect_begin(void) {
  if (!transform_ms) {
    const char *env = dsu_getenv("DSU_TRANSFORM_TIMEOUT_MS");
    long v = env ? atol(env) : 0;
    transform_ms = v > 0 ? v : DSU_DEFAULT_TRANSFORM_MS;
  }
  deadline_passed = 0;
  in_user_code = 0;
  size_t alt_size = 1 << 16;
  alt_stack = malloc(alt_size);
  if (alt_stack) {
    stack_t ss = {.ss_sp = alt_stack, .ss_flags = 0, .ss_size = alt_size};
    if (sigaltstack(&ss, &saved_altstack) != 0) {
      free(alt_stack);
      alt_stack = NULL;
    }
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_xform_crash;
  sigemptyset(&sa.sa_mask);
  /* The handler leaves by siglongjmp; it runs on the alternate stack. */
  sa.sa_flags = SA_NODEFER | SA_ONSTACK;
  for (size_t i = 0; i < NPROTECTED; i++)
    sigaction(protected_signal(i), &sa, &saved_actions[i]);
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_THREAD_ID;
  ev.sigev_signo = DSU_DEADLINE_SIGNAL;
  ev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
  have_timer = timer_create(CLOCK_MONOTONIC, &ev, &deadline_timer) == 0;
  rearm_deadline();
}

static void protect_end(void) {
  if (have_timer) {
    timer_delete(deadline_timer);
    have_timer = 0;
  }
  for (size_t i = 0; i < NPROTECTED; i++)
    sigaction(protected_signal(i), &saved_actions[i], NULL);
  if (alt_stack) {
    sigaltstack(&saved_altstack, NULL);
    free(alt_stack);
    alt_stack = NULL;
  }
}

/* Runs fn. Returns 0, its non-zero result, or -1000 minus the signal number
 * if it crashed or ran past the deadline. No signal mask is saved
 * (SA_NODEFER keeps it unchanged), so this costs no system call. */
static int guarded(dsu_xform_fn fn, void *n, const void *o, int (*gfn)(void)) {
  xform_signal = 0;
  if (deadline_passed)
    return -1000 - DSU_DEADLINE_SIGNAL;
  if (sigsetjmp(xform_jump, 0) == 0) {
    in_user_code = 1;
    int r = fn ? fn(n, o) : gfn();
    in_user_code = 0;
    return r;
  }
  in_user_code = 0;
  return -1000 - (int)xform_signal;
}

/* Runs the type transformers of list[0, n), as guarded() runs one, but with
 * one sigsetjmp for them all (one per object was a tenth of the pause at a
 * million objects): a crash, an abort or the deadline anywhere in the loop
 * leaves it, and *failed names the object whose transformer was running
 * (the loop's own code between the calls takes no lock and calls nothing
 * that could be left halfway). Returns 0, a transformer's non-zero result,
 * or -1000 minus the signal number. */
static volatile size_t xform_next;
static int run_transformers(struct moved *list, size_t n,
                            const struct dsu_type_xform *types,
                            size_t *failed) {
  xform_signal = 0;
  xform_next = 0;
  if (deadline_passed) {
    *failed = 0;
    return -1000 - DSU_DEADLINE_SIGNAL;
  }
  if (sigsetjmp(xform_jump, 0) != 0) {
    in_user_code = 0;
    *failed = xform_next;
    return -1000 - (int)xform_signal;
  }
  in_user_code = 1;
  for (size_t i = xform_next; i < n; i = ++xform_next) {
    const struct moved *m = &list[i];
    const struct dsu_type_xform *t = &types[m->which];
    size_t count = m->single || m->trailing ? 1 : m->old_size / t->old_size;
    if (i + PREFETCH_AHEAD < n) {
      const struct moved *ahead = &list[i + PREFETCH_AHEAD];
      __builtin_prefetch((void *)ahead->old_addr);
      __builtin_prefetch(ahead->new_obj, 1);
    }
    for (size_t k = 0; k < count; k++) {
      int r = t->fn((char *)m->new_obj + k * t->new_size,
                    (const char *)m->old_addr + k * t->old_size);
      if (r != 0) {
        in_user_code = 0;
        *failed = i;
        return r;
      }
    }
    if (m->trailing) /* the data after the object, as it was */
      memcpy((char *)m->new_obj + t->new_tail,
             (const char *)m->old_addr + t->old_tail,
             m->old_size - t->old_tail);
  }
  in_user_code = 0;
  return 0;
}

/* A slot's name for messages: `where`, with the index of a slot of a range
 * ("global heads[]") put between its first brackets. */
static void name_slot(char *buf, size_t size, const char *where, size_t index) {
  const char *brackets = index == (size_t)-1 ? NULL : strstr(where, "[]");
  if (!brackets) {
    snprintf(buf, size, "%s", where);
    return;
  }
  snprintf(buf, size, "%.*s[%zu]%s", (int)(brackets - where), where, index,
           brackets + 2);
}

/* The size of a transformed object with data after it: the data keeps its
 * length and starts at new_tail. */
static size_t trailing_size(const struct dsu_type_xform *t, size_t old_size) {
  size_t size = t->new_tail + (old_size - t->old_tail);
  return size > t->new_size ? size : t->new_size;
}

/* Tags are compared by string, but the same few tag pointers recur for every
 * object; remember what each pointer resolved to. */
#define TAG_CACHE 128
struct tag_cache {
  const char *tag[TAG_CACHE];
  int value[TAG_CACHE];
  int n;
};

static int cached(struct tag_cache *c, const char *tag, int *value) {
  for (int i = 0; i < c->n; i++)
    if (c->tag[i] == tag) {
      *value = c->value[i];
      return 1;
    }
  return 0;
}

static void remember(struct tag_cache *c, const char *tag, int value) {
  if (c->n < TAG_CACHE) {
    c->tag[c->n] = tag;
    c->value[c->n++] = value;
  }
}

/* Index of the type transformer for objects tagged `tag`, or -1. */
static int xform_index(struct tag_cache *c, const struct dsu_type_xform *types,
                       const char *tag) {
  int which;
  if (cached(c, tag, &which))
    return which;
  which = -1;
  for (int k = 0; types && types[k].old_tag; k++)
    if (dsu_tag_is(tag, types[k].old_tag))
      which = k;
  remember(c, tag, which);
  return which;
}

static void describe_failure(char *err, size_t size, const char *what, int rc) {
  if (rc == -1000 - DSU_DEADLINE_SIGNAL)
    snprintf(err, size,
             "the transformer of %s did not finish within the transformation's "
             "deadline of %ld ms (DSU_TRANSFORM_TIMEOUT_MS)",
             what, transform_ms);
  else if (rc == -1000 - SIGABRT)
    snprintf(err, size, "the transformer of %s aborted", what);
  else if (rc <= -1000)
    snprintf(err, size, "the transformer of %s crashed (signal %d)", what,
             -(rc + 1000));
  else
    snprintf(err, size, "the transformer of %s failed (returned %d)", what, rc);
}

/* Calls the program's allocator or deallocator for a pooled object (program
 * code: under the transformers' crash protection). */
static void *(*alloc_to_call)(size_t);
static void (*dealloc_to_call)(void *, size_t);
static void *block_arg;
static size_t size_arg;
static int call_allocator(void) {
  if (alloc_to_call)
    block_arg = alloc_to_call(size_arg);
  else
    dealloc_to_call(block_arg, size_arg);
  return 0;
}
static int run_allocator(void *(*alloc)(size_t),
                         void (*dealloc)(void *, size_t), void **block,
                         size_t size) {
  alloc_to_call = alloc;
  dealloc_to_call = dealloc;
  block_arg = *block;
  size_arg = size;
  int r = guarded(NULL, NULL, NULL, call_allocator);
  *block = block_arg;
  return r;
}

/* The tracked objects as sorted address ranges, made on first use: a
 * pointer to a table of pointers to a changed type must point into memory
 * whose pointers dsu reads (a tracked object or a global pointer slot). */
struct ranges {
  uintptr_t *start; /* (start, length) pairs */
  size_t n;
  int built;
  const struct dsu_heap_object *objects; /* those that stay */
  size_t nobjects;
  const struct moved *moved; /* and those that move */
  size_t nmoved;
};

static int range_order(const void *a, const void *b) {
  uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
  return x < y ? -1 : x > y;
}

static int holds_pointers(struct ranges *r,
                          const struct dsu_global_pointer *gptrs, uintptr_t v) {
  for (const struct dsu_global_pointer *g = gptrs; g && g->addr; g++)
    if (dsu_global_pointer_slot(g, v))
      return 1;
  if (!r->built) {
    r->built = 1;
    /* Pairs (start, length) sorted by start, in one array. */
    uintptr_t *pairs =
        malloc((r->nobjects + r->nmoved + 1) * 2 * sizeof *pairs);
    if (!pairs)
      return 0; /* out of memory: refused, never guessed */
    size_t n = 0;
    for (size_t i = 0; i < r->nobjects; i++, n++) {
      pairs[2 * n] = r->objects[i].addr;
      pairs[2 * n + 1] = r->objects[i].size;
    }
    for (size_t i = 0; i < r->nmoved; i++, n++) {
      pairs[2 * n] = r->moved[i].old_addr;
      pairs[2 * n + 1] = r->moved[i].old_size;
    }
    qsort(pairs, n, 2 * sizeof *pairs, range_order);
    r->start = pairs;
    r->n = n;
  }
  size_t lo = 0, hi = r->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (r->start[2 * mid] <= v)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo > 0 && v - r->start[2 * (lo - 1)] < r->start[2 * (lo - 1) + 1];
}

/* Between a successful dsu_transform_state() and dsu_transform_finish(). */
static struct {
  struct remap map;
  struct vec old_objects;
  struct vec old_pooled;
  const struct dsu_hooks *hooks;
} finishing;

static void (*hook_to_run)(void);
static int call_hook(void) {
  hook_to_run();
  return 0;
}

/* Runs a user hook under the transformers' crash protection (which must be
 * installed). */
static int run_hook(void (*fn)(void)) {
  hook_to_run = fn;
  return guarded(NULL, NULL, NULL, call_hook);
}

/* Frees the old objects of the list of moved objects (those that moved by
 * the C library's allocator: not those rewritten in place, nor those the
 * program's own allocator takes back), and the list. */
static void free_moved_old(struct vec *v) {
  for (size_t i = 0; i < v->n; i++) {
    const struct moved *m = &((const struct moved *)v->data)[i];
    if (!m->in_place && !m->pooled)
      free((void *)m->old_addr);
  }
  free(v->data);
}

static void *free_in_background(void *arg) {
  struct vec *v = arg;
  free_moved_old(v);
  free(v);
  return NULL;
}

/* The old objects are garbage once the commit hook has run: no pointer of
 * the program leads to them. Many of them are freed by a thread of the
 * runtime's while the program goes on (a million free() calls took a
 * quarter of the pause); a few, or if no thread can be had, here. The
 * thread takes no signals, and is not one of the program's threads that an
 * update waits for. */
static void free_old_objects(struct vec *old) {
  if (old->n >= 4096) {
    struct vec *v = malloc(sizeof *v);
    pthread_attr_t attr;
    if (v && pthread_attr_init(&attr) == 0) {
      *v = *old;
      sigset_t all, saved;
      sigfillset(&all);
      pthread_sigmask(SIG_SETMASK, &all, &saved);
      pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
      pthread_t t;
      int started = pthread_create(&t, &attr, free_in_background, v) == 0;
      pthread_sigmask(SIG_SETMASK, &saved, NULL);
      pthread_attr_destroy(&attr);
      if (started) {
        memset(old, 0, sizeof *old);
        return;
      }
    }
    free(v);
  }
  free_moved_old(old);
  memset(old, 0, sizeof *old);
}

void dsu_transform_finish(void) {
  if (finishing.hooks && finishing.hooks->commit) {
    active_map = &finishing.map;
    protect_begin();
    int r = run_hook(finishing.hooks->commit);
    protect_end();
    if (r != 0)
      fprintf(stderr,
              "dsu: the commit hook crashed (signal %d); the update stays "
              "applied\n",
              -(r + 1000));
    active_map = NULL;
  }
  free_old_objects(&finishing.old_objects);
  /* Old objects of the program's own allocator go back to it. */
  if (finishing.old_pooled.n) {
    protect_begin();
    for (size_t i = 0; i < finishing.old_pooled.n; i++) {
      struct pooled_old *o =
          &((struct pooled_old *)finishing.old_pooled.data)[i];
      void *addr = o->addr;
      int r = run_allocator(NULL, o->dealloc, &addr, o->size);
      if (r != 0) {
        fprintf(stderr,
                "dsu: the program's deallocator crashed (signal %d) taking "
                "back an old object at %p; %zu old objects are not freed; "
                "the update stays applied\n",
                -(r + 1000), o->addr, finishing.old_pooled.n - i);
        break;
      }
    }
    protect_end();
  }
  free(finishing.old_pooled.data);
  free(blocks);
  remap_free(&finishing.map);
  free(rblocks);
  rblocks = NULL;
  blocks = NULL;
  nblocks = 0;
  free(xslabs);
  xslabs = NULL;
  nxslabs = 0;
  memset(&finishing, 0, sizeof finishing);
}

static uint64_t cpu_now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

int dsu_transform_state(
    const struct dsu_type_xform *types, const struct dsu_global_xform *globals,
    const struct dsu_global_init *inits, const struct dsu_pointer_field *fields,
    const struct dsu_global_pointer *gptrs, const struct dsu_hooks *hooks,
    const struct dsu_live_range *live_ranges, struct dsu_transform_stats *stats,
    char *err, size_t errsize) {
  struct vec moved = {0, 0, 0, sizeof(struct moved)};
  struct vec fix = {0, 0, 0, sizeof(struct fixup)};
  struct remap map;
  memset(&map, 0, sizeof map);
  size_t npooled = 0, nin_place = 0;
  struct vec blockv = {0, 0, 0, sizeof(struct block)};
  struct vec old_pooled = {0, 0, 0, sizeof(struct pooled_old)};
  struct ranges ranges = {0, 0, 0, NULL, 0, NULL, 0};
  struct dsu_heap_object *heap = NULL; /* every tracked object */
  size_t nheap = 0;
  int ran_transformers = 0;
  int rc = -1;
  size_t ninits = 0;
  unsigned char *fresh = NULL; /* per inits entry: still its old initialiser */
  size_t *per_type = NULL;     /* per type: objects for its slab */
  size_t *next = NULL;         /* per slab: members given out */
  size_t redirected = 0;       /* pointers in new contents, written */
  int *fidx = NULL;            /* lists of pointer fields per tag */
  memset(stats, 0, sizeof *stats);
  protect_begin();

  /* With DSU_TRANSFORM_PROFILE set, the time of each phase goes to stderr
   * (bench/transform.sh reads it); =cpu: the thread's CPU time, which on a
   * loaded machine says more of the transfer than the wall clock does. */
  static const char *const phase_name[] = {
      "snapshot", "scan",     "map",    "transformers",
      "globals",  "pointers", "commit", "tracking"};
  uint64_t phase_at[9] = {0};
  const char *profile_env = dsu_getenv("DSU_TRANSFORM_PROFILE");
  int profile = profile_env != NULL;
  int profile_cpu = profile && strcmp(profile_env, "cpu") == 0;
#define PHASE(k)                                                               \
  do {                                                                         \
    if (profile)                                                               \
      phase_at[k] = profile_cpu ? cpu_now_ns() : dsu_now_ns();                 \
  } while (0)
  PHASE(0);

  /* 0. Globals whose initialiser changed: read before anything below
   * rewrites a pointer in them. Those the program never changed take their
   * new initialiser at the end (or keep it in their new storage). */
  for (const struct dsu_global_init *gi = inits; gi && gi->name; gi++)
    ninits++;
  if (ninits && !(fresh = calloc(ninits, 1))) {
    snprintf(err, errsize, "out of memory");
    goto abort;
  }
  for (size_t i = 0; i < ninits; i++)
    fresh[i] = (unsigned char)dsu_init_unchanged(&inits[i]);

  /* 1. Heap objects of changed types, into new private objects. Every
   * thread that allocates is quiescent, so the snapshot of the tracked
   * objects is exact; objects the committing thread itself allocates from
   * here on (a program allocator below) are known by address. The list is
   * sized first: growing it by doubling copied it over and over. */
  if (snapshot(&heap, &nheap, 1) != 0) {
    snprintf(err, errsize, "out of memory listing the heap");
    goto abort;
  }

  PHASE(1);
  struct tag_cache xform_of = {{0}, {0}, 0};
  struct tag_cache trailing_of = {{0}, {0}, 0};
  size_t elements = 0, candidates = 0;
  /* Objects per type that go to slabs (single objects of the C library's
   * allocator), counted with the objects that move, so that the slabs are
   * cut before the list is written and each entry gets its place as it is
   * written (a pass over the list less); slabs only when many move. */
  size_t ntypes = 0;
  for (const struct dsu_type_xform *t = types; t && t->old_tag; t++)
    ntypes++;
  per_type = calloc(ntypes ? ntypes : 1, sizeof *per_type);
  if (!per_type) {
    snprintf(err, errsize, "out of memory transforming");
    goto abort;
  }
  for (size_t i = 0; i < nheap; i++) {
    const struct dsu_heap_object *e = &heap[i];
    int which = xform_index(&xform_of, types, e->tag);
    if (which < 0)
      continue;
    candidates++;
    if (e->foreign || e->size != types[which].old_size)
      continue;
    int trailing;
    if (!cached(&trailing_of, e->tag, &trailing)) {
      trailing = dsu_tag_has_data_after(e->tag);
      remember(&trailing_of, e->tag, trailing);
    }
    per_type[which] += !trailing;
  }
  int slab_ok = candidates >= SLAB_MIN && dsu_slabs_usable();
  if (slab_ok && ntypes && !(xslabs = calloc(ntypes, sizeof *xslabs))) {
    snprintf(err, errsize, "out of memory transforming");
    goto abort;
  }
  for (size_t k = 0; k < ntypes; k++) {
    size_t stride = 0;
    void *base = slab_ok && per_type[k] >= SLAB_MIN_TYPE
                     ? dsu_slab_make(types[k].new_size, per_type[k], &stride)
                     : NULL;
    if (!base) { /* calloc'd one by one */
      per_type[k] = 0;
      continue;
    }
    struct xslab x = {(uintptr_t)base, stride, per_type[k], types[k].new_size,
                      types[k].new_tag};
    per_type[k] = nxslabs + 1; /* from here: 1 + its slab's index, or 0 */
    xslabs[nxslabs++] = x;
  }
  next = nxslabs ? calloc(nxslabs, sizeof *next) : NULL;
  if (nxslabs && !next) {
    snprintf(err, errsize, "out of memory transforming");
    goto abort;
  }
  /* The list of moved objects takes the snapshot's own memory when most
   * objects move (an entry of each is 24 bytes), and the objects that stay
   * get a new array: at a million objects each array is 24 MB of fresh
   * memory that the kernel zeroes inside the pause, and only the smaller
   * one is new. */
  _Static_assert(sizeof(struct moved) == sizeof(struct dsu_heap_object),
                 "a moved entry takes the place of a snapshot entry");
  struct dsu_heap_object *listed = heap;
  int in_snapshot = candidates > nheap - candidates;
  if (in_snapshot) {
    heap = malloc((nheap - candidates ? nheap - candidates : 1) * sizeof *heap);
    if (heap)
      populate(heap, (nheap - candidates) * sizeof *heap);
    moved.data = listed; /* owned by moved from here on */
    if (!heap) {
      snprintf(err, errsize, "out of memory transforming");
      goto abort;
    }
  } else if (candidates && !(moved.data = malloc(candidates * moved.elem))) {
    snprintf(err, errsize, "out of memory transforming");
    goto abort;
  } else if (candidates) {
    populate(moved.data, candidates * moved.elem);
  }
  moved.cap = candidates;
  /* The objects that stay are moved to the front of the heap's list: the
   * pass over their pointers below need not skip the others one by one. */
  size_t nstay = 0;
  int sorted = 1; /* the list so far is in the order sort_moved makes */
  uint64_t last_key = 0;
  for (size_t i = 0; i < nheap; i++) {
    /* A copy: in the snapshot's memory, the moved entry written below may
     * take this very place (moved.n <= i: never one still to read). */
    struct dsu_heap_object here = listed[i], *e = &here;
    int which = xform_index(&xform_of, types, e->tag);
    if (which < 0) {
      heap[nstay++] = *e; /* nstay <= i: never over one still to read */
      continue;
    }
    const struct dsu_type_xform *t = &types[which];
    int trailing; /* a strlen per object, without the cache */
    if (!cached(&trailing_of, e->tag, &trailing)) {
      trailing = dsu_tag_has_data_after(e->tag);
      remember(&trailing_of, e->tag, trailing);
    }
    /* (A division per object was a sixth of this loop.) */
    size_t n = e->size == t->old_size ? 1
               : t->old_size          ? e->size / t->old_size
                                      : 0;
    if (trailing && e->size >= t->old_size && e->size >= t->old_tail) {
      n = 1; /* one object, and its data */
    } else if (trailing) {
      snprintf(err, errsize,
               "a heap object of %s at %p has %zu bytes, fewer than the "
               "type's %zu: it cannot be transformed",
               t->old_tag, (void *)e->addr, (size_t)e->size, t->old_size);
      goto abort;
    } else if (n == 0 || n * t->old_size != e->size) {
      snprintf(err, errsize,
               "a heap object of %s at %p has %zu bytes, not a multiple of "
               "the type's %zu: it cannot be transformed",
               t->old_tag, (void *)e->addr, (size_t)e->size, t->old_size);
      goto abort;
    }
    /* An object the program frees itself cannot move: it is rewritten in
     * place at commit, from new contents built aside. */
    size_t new_size = trailing ? trailing_size(t, e->size) : n * t->new_size;
    int pooled = e->foreign && new_size > e->size;
    if (pooled && (!t->alloc || !t->dealloc)) {
      snprintf(err, errsize,
               "a heap object of %s at %p comes from an allocator the "
               "program frees itself (-fdsu-allocator=NAME:FREE), and its "
               "new layout (%zu bytes) does not fit in its %zu bytes; dsu "
               "can move it only through that allocator, and the type's "
               "objects come from more than one (or the new build lacks it)",
               t->old_tag, (void *)e->addr, new_size, (size_t)e->size);
      goto abort;
    }
    /* A single object that moves (the most common) gets its new place in
     * its type's slab, next in it; the others are allocated one by one. */
    size_t k = per_type[which];
    int in_slab = k && !e->foreign && !trailing && n == 1 &&
                  next[k - 1] < xslabs[k - 1].count;
    if (e->size > MOVED_SIZE_MAX || which > MOVED_TYPES_MAX) {
      snprintf(err, errsize, "a heap object of %s at %p is too large to move",
               t->old_tag, (void *)e->addr);
      goto abort;
    }
    void *obj = pooled    ? NULL
                : in_slab ? (void *)(xslabs[k - 1].base +
                                     next[k - 1]++ * xslabs[k - 1].stride)
                          : calloc(1, new_size);
    struct moved m = {e->addr,
                      obj,
                      e->size,
                      (uint64_t)which,
                      trailing != 0,
                      pooled != 0,
                      e->foreign && !pooled,
                      in_slab != 0,
                      !trailing && n == 1};
    npooled += pooled;
    nin_place += e->foreign && !pooled;
    if (!obj && !pooled) {
      snprintf(err, errsize, "out of memory transforming %s", t->old_tag);
      goto abort;
    }
    sorted = sorted && moved_key(&m) > last_key;
    last_key = moved_key(&m);
    if (moved.n < moved.cap) { /* sized by the count above: always */
      memcpy((struct moved *)moved.data + moved.n++, &m, sizeof m);
    } else {
      if (!in_slab)
        free(obj);
      snprintf(err, errsize, "out of memory transforming %s", t->old_tag);
      goto abort;
    }
    elements += n;
  }
  stats->objects = elements;
  /* In address order: the order of the relocation map's index, and of the
   * slab members' places (the old neighbours stay neighbours). */
  void *unsorted = moved.data;
  if (sort_moved((struct moved **)&moved.data, moved.n, sorted) != 0) {
    snprintf(err, errsize, "out of memory transforming");
    goto abort;
  }
  if (moved.data != unsorted)
    moved.cap = moved.n;
  ranges.objects = heap;
  ranges.nobjects = nstay;
  ranges.moved = moved.data;
  ranges.nmoved = moved.n;

  /* A slab's members not given out (none, since the count and the list
   * agree) must not be tracked as objects. */
  for (size_t k = 0; k < nxslabs; k++)
    xslabs[k].count = next[k];

  /* Objects that move through the program's own allocator get their new
   * blocks now: the allocator is program code that may allocate and free
   * tracked memory itself. Other threads are parked by the update, so only
   * it changes the heap meanwhile; objects are known by address from here
   * on. */
  if (npooled) {
    for (size_t i = 0; i < moved.n; i++) {
      struct moved *m = &((struct moved *)moved.data)[i];
      if (!m->pooled)
        continue;
      const struct dsu_type_xform *t = &types[m->which];
      void *block = NULL;
      size_t new_size = moved_size(m, types);
      int r = run_allocator(t->alloc, NULL, &block, new_size);
      if (r != 0 || !block) {
        if (r != 0)
          describe_failure(err, errsize, "the program's allocator", r);
        else
          snprintf(err, errsize,
                   "the program's allocator gave no block of %zu bytes to "
                   "move a heap object of %s at %p into",
                   new_size, t->old_tag, (void *)m->old_addr);
        goto abort;
      }
      memset(block, 0, new_size);
      m->new_obj = block;
    }
  }

  PHASE(2);
  /* Every new address is known before any transformer runs, so that
   * dsu_relocated() can answer for objects not transformed yet. New
   * addresses map to themselves: a transformer may store them. */
  size_t nglobals = 0;
  for (const struct dsu_global_xform *g = globals; g && g->name; g++) {
    nglobals++;
    if (g->elem_type > 0 && types && types[g->elem_type - 1].old_size)
      nglobals += g->old_size / types[g->elem_type - 1].old_size;
  }
  /* The starts of aligned objects go to the index; to the hash table go
   * the other elements of arrays, misaligned starts, and the new addresses
   * of objects not in slabs. */
  size_t entries = 0;
  if (moved.n >= NEW_KEY) {
    snprintf(err, errsize, "too many objects to transform (%zu)", moved.n);
    goto abort;
  }
  if (starts_build(&map.starts, moved.data, moved.n, types, &entries) != 0 ||
      remap_init(&map, 2 * nglobals, entries) != 0) {
    snprintf(err, errsize, "out of memory transforming");
    goto abort;
  }
  map.moved = moved.data;
  map.types = types;
  for (size_t i = 0, far = 0; entries && i < moved.n; i++) {
    if (far > 16 && !map.mixed) { /* runs of full slots: start again */
      map.mixed = 1;
      memset(map.idx, 0, map.icap * sizeof *map.idx);
      i = (size_t)-1; /* the loop's i++ makes it 0 */
      far = 0;
      continue;
    }
    struct moved *m = &((struct moved *)moved.data)[i];
    if (m->single && !(m->old_addr & 7) && (m->in_place || m->slab))
      continue; /* all in the index */
    const struct dsu_type_xform *t = &types[m->which];
    int here = m->in_place;
    size_t step = m->trailing ? m->old_size : t->old_size;
    if (i + PREFETCH_AHEAD < moved.n) { /* the map's slots, a miss each */
      const struct moved *ahead =
          &((struct moved *)moved.data)[i + PREFETCH_AHEAD];
      remap_prefetch(&map, ahead->old_addr);
      remap_prefetch(&map, (uintptr_t)moved_final(ahead));
    }
    for (size_t off = 0, k = 0; off < m->old_size; off += step, k++) {
      if (k || (m->old_addr & 7)) /* aligned starts: in the index */
        far += remap_put_moved(&map, m->old_addr + off, i, 0);
      /* New addresses of relocated objects map to themselves; those of
       * objects rewritten in place overlap old ones, and do not. */
      if (!here && !m->slab) /* slab members: relocate() knows them */
        far += remap_put_moved(
            &map, (uintptr_t)moved_final(m) + k * moved_elem(m, types), i,
            NEW_KEY);
    }
  }
  block_src.moved = moved.data;
  block_src.nmoved = moved.n;
  block_src.types = types;
  for (const struct dsu_global_xform *g = globals; g && g->name; g++) {
    if (!g->old_addr || !g->new_addr)
      continue; /* a state transformer of the user's: no storage moves */
    remap_put(&map, (uintptr_t)g->old_addr, g->new_addr);
    remap_put(&map, (uintptr_t)g->new_addr, g->new_addr);
    /* A global array of a changed struct: each element (and each kept
     * field of it) moves to its counterpart. */
    const struct dsu_type_xform *t = NULL;
    if (g->elem_type > 0 && types) {
      t = &types[g->elem_type - 1];
      if (!t->old_size || !t->new_size || g->old_size % t->old_size ||
          g->new_size % t->new_size ||
          g->old_size / t->old_size != g->new_size / t->new_size)
        t = NULL;
    }
    if (t)
      for (size_t k = 1; k < g->old_size / t->old_size; k++) {
        void *to = (char *)g->new_addr + k * t->new_size;
        remap_put(&map, (uintptr_t)g->old_addr + k * t->old_size, to);
        remap_put(&map, (uintptr_t)to, to);
      }
    if (add_block(&blockv, (uintptr_t)g->old_addr, g->old_size,
                  t ? t->old_size : 0, g->new_addr, t ? t->new_size : 0,
                  t ? t->moves : NULL) != 0) {
      snprintf(err, errsize, "out of memory transforming");
      goto abort;
    }
  }
  block_src.globals = blockv.data;
  block_src.nglobals = blockv.n;
  ran_transformers = 1; /* from here on, the rollback hook has work */
  PHASE(3);
  active_map = &map;
  {
    size_t failed;
    int r = run_transformers(moved.data, moved.n, types, &failed);
    if (r != 0) {
      describe_failure(
          err, errsize,
          types[((struct moved *)moved.data)[failed].which].new_tag, r);
      goto abort;
    }
  }

  PHASE(4);
  /* 2. Globals whose type changed; one the program never changed keeps
   * the new initialiser its new storage holds. */
  for (const struct dsu_global_xform *g = globals; g && g->name; g++) {
    int keep_new = 0;
    for (size_t i = 0; g->old_addr && i < ninits; i++)
      keep_new |=
          fresh[i] && !inits[i].new_init && inits[i].addr == g->old_addr;
    if (keep_new) {
      stats->globals++;
      continue;
    }
    int r = guarded(NULL, NULL, NULL, g->fn);
    if (r != 0) {
      describe_failure(err, errsize, g->name, r);
      goto abort;
    }
    stats->globals++;
  }

  PHASE(5);
  /* 3. Pointers to relocated objects: every place that may hold one must
   * hold null or the start of a relocated element; anything else is a
   * reference the update cannot account for. */
  if (deadline_passed) {
    snprintf(err, errsize,
             "the state transformation ran past its deadline of %ld ms "
             "(DSU_TRANSFORM_TIMEOUT_MS)",
             transform_ms);
    goto abort;
  }

  /* Run whenever a type changed, even if no object was found: typed
   * pointers to objects dsu never saw (a pool, a slab) must be refused, not
   * left to the new code. */
  if (elements || stats->globals || (types && types[0].old_tag)) {
#define CHECK_SLOT(slot_addr, where_text, inner, index)                        \
  do {                                                                         \
    void *v_ = *(void *const *)(slot_addr), *to_ = NULL;                       \
    if (v_) {                                                                  \
      /* The start of a moved object, inline; the rest through relocate. */    \
      size_t at_ = starts_find(&map.starts, (uintptr_t)v_);                    \
      int r_ =                                                                 \
          at_ != (size_t)-1                                                    \
              ? (to_ = moved_final(&((struct moved *)moved.data)[at_]), MOVED) \
              : relocate(&map, (uintptr_t)v_, &to_);                           \
      if (r_ == NOT_MOVED && (inner) == 2 &&                                   \
          !holds_pointers(&ranges, gptrs, (uintptr_t)v_)) {                    \
        char name_[256];                                                       \
        name_slot(name_, sizeof name_, (where_text), (index));                 \
        snprintf(err, errsize,                                                 \
                 "%s holds %p, which points to pointers to a type this "       \
                 "patch changes in memory dsu did not see allocated (no "      \
                 "typed site, no global): those pointers cannot be "           \
                 "redirected",                                                 \
                 name_, v_);                                                   \
        goto abort;                                                            \
      }                                                                        \
      if (r_ == NOT_MOVED && (inner))                                          \
        break; /* a pointer to an object that does not move */                 \
      if (r_ != MOVED) {                                                       \
        char name_[256];                                                       \
        name_slot(name_, sizeof name_, (where_text), (index));                 \
        snprintf(err, errsize,                                                 \
                 r_ == UNMAPPABLE                                              \
                     ? "%s holds %p, which points into a relocated object at " \
                       "a place its new layout does not keep: the update "     \
                       "cannot account for it"                                 \
                     : "%s holds %p, which is not an object dsu knows "        \
                       "(allocated at a typed site or a global) of a type "    \
                       "this patch changes: the update cannot account for it", \
                 name_, v_);                                                   \
        goto abort;                                                            \
      }                                                                        \
      if (private_) { /* new contents: no one sees them before commit */       \
        *(void **)(slot_addr) = to_;                                           \
        redirected++;                                                          \
        break;                                                                 \
      }                                                                        \
      struct fixup f_ = {(void **)(slot_addr), to_};                           \
      if (push(&fix, &f_) != 0) {                                              \
        snprintf(err, errsize, "out of memory fixing pointers");               \
        goto abort;                                                            \
      }                                                                        \
    }                                                                          \
  } while (0)
    /* Slots in the new contents of moved objects are written at once (an
     * abort throws them away); others are written at the commit. */
    int private_ = 0;
    for (const struct dsu_global_pointer *g = gptrs; g && g->addr; g++)
      for (size_t k = 0; k < (g->count ? g->count : 1); k++)
        CHECK_SLOT((char *)g->addr + k * g->stride, g->where, g->inner,
                   g->count ? k : (size_t)-1);
    /* tag -> the index in fidx of the list of its pointer fields (-1 ends
     * it), or -1 if it has none: comparing the tag with every field's, for
     * every object, cost more than reading the fields. A tag past the
     * cache's size gets the last list, made again each time. */
    struct tag_cache fields_of = {{0}, {0}, 0};
    size_t nfields = 0;
    for (const struct dsu_pointer_field *f = fields; f && f->tag; f++)
      nfields++;
    size_t nfidx = 0;
    fidx = malloc((nfields + 1) * (TAG_CACHE + 1) * sizeof *fidx);
    if (!fidx) {
      snprintf(err, errsize, "out of memory fixing pointers");
      goto abort;
    }
    /* Two passes: the tracked objects that stay where they are, in table
     * order, then the transformed ones, in the order of the list of moved
     * objects, whose new contents are at hand (no lookups). The object a
     * few steps ahead is prefetched: with a large heap nearly every object
     * is a cache miss. */
    for (size_t i = 0, pass = 0; pass < 2; i++) {
      if (i == (pass == 0 ? nstay : moved.n)) {
        pass++;
        i = (size_t)-1;
        continue;
      }
      char *base;
      size_t size, elem = 0;
      const char *tag;
      if (pass == 0) {
        struct dsu_heap_object *e = &heap[i];
        if (i + PREFETCH_AHEAD < nstay)
          __builtin_prefetch((void *)heap[i + PREFETCH_AHEAD].addr);
        base = (char *)e->addr;
        size = e->size;
        tag = e->tag;
      } else {
        const struct moved *m = &((struct moved *)moved.data)[i];
        if (i + PREFETCH_AHEAD < moved.n)
          __builtin_prefetch(
              ((struct moved *)moved.data)[i + PREFETCH_AHEAD].new_obj);
        private_ = 1;
        base = m->new_obj; /* the new contents, also of objects in place */
        size = moved_size(m, types);
        tag = moved_tag(m, types);
        /* One object with data after it: its data holds no fields. */
        elem = m->trailing ? size : types[m->which].new_size;
      }
      int first;
      if (!cached(&fields_of, tag, &first)) {
        size_t start =
            fields_of.n < TAG_CACHE ? nfidx : TAG_CACHE * (nfields + 1);
        size_t k = start;
        for (const struct dsu_pointer_field *f = fields; f && f->tag; f++)
          if (dsu_tag_is(tag, f->tag))
            fidx[k++] = (int)(f - fields);
        fidx[k++] = -1;
        first = k - start > 1 ? (int)start : -1;
        if (fields_of.n < TAG_CACHE)
          nfidx = k;
        remember(&fields_of, tag, first);
      }
      if (first < 0)
        continue;
      /* An object that does not move is one object of its type or an array
       * of them (the table gives the type's size), or one object with data
       * after it. */
      int whole = !elem && dsu_tag_has_data_after(tag);
      for (int j = first; fidx[j] >= 0; j++) {
        const struct dsu_pointer_field *f = &fields[fidx[j]];
        size_t step = dsu_field_step(f, size, elem, whole);
        if (f->offset == (size_t)-2) {
          /* Untyped pointers: nothing says a slot holds a pointer, so one
           * that leads into a relocated object is refused, not redirected. */
          for (size_t off = 0; off + sizeof(void *) <= size;
               off += sizeof(void *)) {
            void *v = *(void *const *)(base + off), *to;
            if (v && relocate(&map, (uintptr_t)v, &to) != NOT_MOVED) {
              snprintf(err, errsize,
                       "%s holds %p, a pointer into a relocated object, but "
                       "its slots are untyped: the update cannot account for "
                       "it (give the array a pointer type)",
                       f->where, v);
              goto abort;
            }
          }
        } else if (f->offset == (size_t)-1) {
          size_t in_use = dsu_live_bytes(live_ranges, base, size);
          for (size_t off = 0; off + sizeof(void *) <= in_use;
               off += sizeof(void *))
            CHECK_SLOT(base + off, f->where, f->inner, (size_t)-1);
        } else {
          size_t count = f->count ? f->count : 1;
          for (size_t at = 0; at + step <= size; at += step)
            if (f->offset + (count - 1) * f->stride + sizeof(void *) <= step)
              for (size_t k = 0; k < count; k++)
                CHECK_SLOT(base + at + f->offset + k * f->stride, f->where,
                           f->inner, f->count ? k : (size_t)-1);
        }
      }
    }
#undef CHECK_SLOT
  }
  protect_end();
  active_map = NULL;

  PHASE(6);
  /* 4. Commit: from here on nothing can fail. */
  for (size_t i = 0; i < fix.n; i++) {
    struct fixup *f = &((struct fixup *)fix.data)[i];
    *f->where = f->value;
  }
  stats->pointers = fix.n + redirected;
  for (size_t i = 0; nin_place && i < moved.n; i++) {
    struct moved *m = &((struct moved *)moved.data)[i];
    if (m->in_place) {
      memcpy(moved_final(m), m->new_obj, moved_size(m, types));
      free(m->new_obj);
      m->new_obj = NULL;
    }
  }
  PHASE(7);
  /* The transformed objects replace the old ones in the tracking: objects
   * that stay are not touched. An object rewritten in place gets a newer
   * record of its address, which supersedes the old one. */
  for (size_t i = 0; i < moved.n; i++) {
    const struct moved *m = &((struct moved *)moved.data)[i];
    int in_place = m->in_place;
    if (!in_place)
      untrack(m->old_addr);
    if (!m->slab) /* the slabs' members are recorded below, at once */
      track((uintptr_t)moved_final(m), moved_size(m, types),
            moved_tag(m, types), in_place || m->pooled);
    void *gone = (void *)m->old_addr;
    struct pooled_old back = {gone, m->old_size, types[m->which].dealloc};
    /* Moved through the program's allocator: given back to it at the end
     * (if memory is short for this list, it leaks, never wrongly freed). */
    if (m->pooled)
      (void)push(&old_pooled, &back);
    /* The others go with the list of moved objects, after the commit
     * hook. */
  }
  for (size_t i = 0; i < nxslabs; i++)
    track_slab(xslabs[i].base, xslabs[i].stride, xslabs[i].count,
               xslabs[i].size, xslabs[i].tag);
  /* The old objects, the map and the blocks live until
   * dsu_transform_finish(), after the new code is installed. */
  /* A commit hook may ask where anything went once the relocation list is
   * gone: build the blocks now (if memory is short, it gets old addresses
   * back, as for objects that did not move). */
  if (hooks && hooks->commit)
    (void)ensure_blocks();
  PHASE(8);
  if (profile) {
    size_t in_slabs = 0;
    for (size_t i = 0; i < nxslabs; i++)
      in_slabs += xslabs[i].count;
    fprintf(stderr,
            "dsu: transform: %zu objects moved, %zu of them into %zu slabs\n",
            moved.n, in_slabs, nxslabs);
    fprintf(stderr,
            "dsu: transform phases (%s ms):", profile_cpu ? "CPU" : "wall");
    for (int k = 0; k < 8; k++)
      fprintf(stderr, " %s %.2f", phase_name[k],
              (double)(phase_at[k + 1] - phase_at[k]) / 1e6);
    fprintf(stderr, "\n");
  }
#undef PHASE
  finishing.map = map;
  finishing.old_objects = moved; /* the map reads it until then */
  memset(&moved, 0, sizeof moved);
  finishing.old_pooled = old_pooled;
  finishing.hooks = hooks;
  memset(&map, 0, sizeof map);
  memset(&old_pooled, 0, sizeof old_pooled);
  /* The commit goes through: untouched globals of an unchanged type take
   * their new initialiser. */
  for (size_t i = 0; i < ninits; i++)
    if (fresh[i] && inits[i].new_init)
      memcpy(inits[i].addr, inits[i].new_init, inits[i].size);
  rc = 0;
  goto out;

abort:
  if (ran_transformers && hooks && hooks->rollback) {
    rearm_deadline();
    int r = run_hook(hooks->rollback);
    if (r != 0)
      fprintf(stderr, "dsu: the rollback hook crashed (signal %d)\n",
              -(r + 1000));
  }
  protect_end();
  active_map = NULL;
  free(blocks);
  blocks = NULL;
  nblocks = 0;
  free(rblocks);
  rblocks = NULL;
  for (size_t i = 0; i < moved.n; i++)
    if (!((struct moved *)moved.data)[i].pooled &&
        !((struct moved *)moved.data)[i].slab)
      free(((struct moved *)moved.data)[i].new_obj);
  for (size_t i = 0; i < nxslabs; i++)
    dsu_slab_unmake((void *)xslabs[i].base);
  free(xslabs);
  xslabs = NULL;
  nxslabs = 0;
out:
  /* New blocks of the program's allocator go back to it on a rollback. */
  if (rc != 0 && npooled) {
    protect_begin();
    for (size_t i = 0; i < moved.n; i++) {
      struct moved *m = &((struct moved *)moved.data)[i];
      if (m->pooled && m->new_obj &&
          run_allocator(NULL, types[m->which].dealloc, &m->new_obj,
                        moved_size(m, types)) != 0)
        break; /* the deallocator crashed: the rest leak */
    }
    protect_end();
  }
  free(moved.data);
  free(per_type);
  free(next);
  free(fidx);
  memset(&block_src, 0, sizeof block_src);
  free(fix.data);
  free(blockv.data);
  free(old_pooled.data);
  free(ranges.start);
  free(heap);
  remap_free(&map);
  free(fresh);
  dsu_transform_unprepare();
  return rc;
}

/* The pause of a large transfer is mostly fresh memory: the kernel zeroes
 * each page the pause touches first (about 2 MB per ms on a small VM), and
 * a million small objects take 24 MB of snapshot and 32 MB of slab. While
 * the patch loads, before the program stops, the runtime counts the
 * objects the shadow names by class (an estimate: the program runs on),
 * and has the snapshot's array and the slabs' pages made and populated
 * then, with an eighth to spare; the transfer uses them and makes the rest
 * at the pause as before, so an estimate too small costs time, never
 * correctness. Objects with log records are not counted (they are few
 * where classes are used). */
void dsu_transform_prepare(const struct dsu_type_xform *types) {
  dsu_transform_unprepare();
  if (!types || !types[0].old_tag)
    return;
  int leaves = __atomic_load_n(&nleaves, __ATOMIC_ACQUIRE);
  int ncls = __atomic_load_n(&nclasses, __ATOMIC_ACQUIRE);
  size_t per_class[MAX_CLASSES] = {0}, listed = 0;
  for (int li = 0; ncls && li < leaves; li++) {
    const unsigned char *leaf =
        __atomic_load_n(&shadow_dir[leaf_regions[li]], __ATOMIC_ACQUIRE);
    const uint64_t *map = (const uint64_t *)(const void *)(leaf + LEAF_BYTES);
    for (size_t w = 0; w < LEAF_MAP_BYTES / 8; w++)
      for (uint64_t bits = __atomic_load_n(&map[w], __ATOMIC_RELAXED); bits;
           bits &= bits - 1) {
        size_t page = w * 64 + (size_t)__builtin_ctzll(bits);
        const unsigned char *p = leaf + (page << SHADOW_PAGE_SHIFT);
        for (size_t j = 0; j < ((size_t)1 << SHADOW_PAGE_SHIFT); j += 8) {
          uint64_t word;
          memcpy(&word, p + j, sizeof word);
          for (; word; word >>= 8) {
            unsigned char v = (unsigned char)word;
            if (is_class(v) && (v & ID_MASK) - CLASS_FIRST < ncls)
              per_class[(v & ID_MASK) - CLASS_FIRST]++;
          }
        }
      }
  }
  size_t ntypes = 0;
  for (const struct dsu_type_xform *t = types; t->old_tag; t++)
    ntypes++;
  size_t *per_type = calloc(ntypes, sizeof *per_type);
  if (!per_type)
    return;
  struct tag_cache xform_of = {{0}, {0}, 0};
  size_t moving = 0;
  for (int c = 0; c < ncls; c++) {
    listed += per_class[c];
    int which = xform_index(&xform_of, types, classes[c].tag);
    /* Single objects of the C library's allocator: those go to slabs. */
    if (which >= 0 && !(classes[c].key >> 31) &&
        (classes[c].key & ~((uint32_t)1 << 31)) == types[which].old_size &&
        !dsu_tag_has_data_after(classes[c].tag)) {
      per_type[which] += per_class[c];
      moving += per_class[c];
    }
  }
  size_t bytes = 0;
  for (size_t k = 0; moving >= SLAB_MIN && k < ntypes; k++)
    if (per_type[k] >= SLAB_MIN_TYPE) {
      size_t count = per_type[k] + per_type[k] / 8 + 16;
      size_t stride = (types[k].new_size + 15) & ~(size_t)15;
      bytes += (stride * count + 4095) & ~(size_t)4095;
    }
  free(per_type);
  char *ready = bytes ? dsu_slab_prepare(bytes) : NULL;
  /* And the shadow's bytes of those addresses, which the commit writes. */
  for (uintptr_t a = (uintptr_t)ready; ready && a < (uintptr_t)ready + bytes;) {
    uintptr_t end = ((a >> REGION_SHIFT) + 1) << REGION_SHIFT;
    if (end > (uintptr_t)ready + bytes)
      end = (uintptr_t)ready + bytes;
    unsigned char *from = shadow_for_write(a);
    if (!from)
      break;
    uintptr_t p = (uintptr_t)from & ~(uintptr_t)4095;
    uintptr_t q = ((uintptr_t)from + ((end - a) >> GRANULE_SHIFT) + 4095) &
                  ~(uintptr_t)4095;
#ifdef MADV_POPULATE_WRITE
    (void)madvise((void *)p, q - p, MADV_POPULATE_WRITE);
#endif
    a = end;
  }
  pthread_mutex_lock(&heap_lock);
  listed += table_live;
  pthread_mutex_unlock(&heap_lock);
  pthread_mutex_lock(&logs_lock);
  for (int i = 1; i <= nlogs; i++)
    listed += __atomic_load_n(&logs[i]->n, __ATOMIC_ACQUIRE);
  pthread_mutex_unlock(&logs_lock);
  if (listed >= 4096) {
    size_t cap = listed + listed / 8;
    struct dsu_heap_object *a = malloc(cap * sizeof *a);
    if (a) {
      populate(a, cap * sizeof *a);
      spare_list = a;
      spare_cap = cap;
    }
  }
}

void dsu_transform_unprepare(void) {
  free(spare_list);
  spare_list = NULL;
  spare_cap = 0;
  dsu_slab_unprepare();
}
