/* dsu_internal.h - interfaces between the files of libdsu:
 *   dsu_runtime.c   the request, commit at update points, start-up, fork
 *   dsu_load.c      checking and loading a patch from a descriptor
 *   dsu_control.c   the control socket (include/dsu/control_protocol.h)
 *   dsu_heap.c      typed heap tracking and state transformation
 *   dsu_threads.c   thread registration and quiescence
 *   dsu_signals.c   the program's signal handlers wait for the commit */
#ifndef DSU_INTERNAL_H
#define DSU_INTERNAL_H

#include "patch_format.h"
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct dsu_transform_stats {
  size_t objects;  /* heap objects (array elements) transformed */
  size_t globals;  /* globals given new storage */
  size_t pointers; /* pointers redirected */
};

/* Transforms the program state for a patch (see dsu_heap.c). Returns 0 and
 * commits, or -1 with the reason in err and nothing changed (hooks->rollback
 * has run if transformers did). After 0, the caller installs the new code
 * and then calls dsu_transform_finish(), which runs hooks->commit and frees
 * the old objects. hooks may be NULL. */
int dsu_transform_state(
    const struct dsu_type_xform *types, const struct dsu_global_xform *globals,
    const struct dsu_global_init *inits, const struct dsu_pointer_field *fields,
    const struct dsu_global_pointer *gptrs, const struct dsu_hooks *hooks,
    const struct dsu_live_range *live, struct dsu_transform_stats *stats,
    char *err, size_t errsize);
void dsu_transform_finish(void);
/* While a patch that changes types loads (before the program can stop for
 * it): the memory its transfer is expected to need, made ready (see
 * dsu_heap.c); dsu_transform_unprepare gives it back when the request ends
 * (dsu_transform_state does so itself). */
void dsu_transform_prepare(const struct dsu_type_xform *types);
void dsu_transform_unprepare(void);

/* Slabs of transformed objects (dsu_slab.c). dsu_slab_make cuts a slab of
 * `count` objects of `size` bytes, zeroed, all live, `*stride` bytes apart,
 * from addresses never used before; NULL if slabs cannot be had (then
 * objects come from calloc). dsu_slab_unmake takes back a slab no one was
 * given (a rollback). */
int dsu_slabs_usable(void);
void *dsu_slab_make(size_t size, size_t count, size_t *stride);
void dsu_slab_unmake(void *base);
/* Maps and populates `bytes` of the slabs' addresses ahead of an update
 * (outside its pause); dsu_slab_unprepare gives back what it did not use. */
void *dsu_slab_prepare(size_t bytes); /* where the prepared bytes start */
void dsu_slab_unprepare(void);
/* Takes (1) or releases (0) the slabs' lock around a fork (dsu_heap.c). */
void dsu_slab_fork_lock(int lock);
/* The process's free, realloc, ... when libdsu's are in effect. */
void dsu_free(void *p);
void *dsu_realloc(void *p, size_t size);
size_t dsu_malloc_usable_size(void *p);
void *dsu_reallocarray(void *p, size_t n, size_t size);

/* Whether dsu_heap.c handles sig itself while state is transformed (crash
 * protection, the deadline). */
int dsu_heap_protects(int sig);

/* From the linearization point until the update has committed or rolled
 * back and dsu_lock is released, the program's signal handlers only record
 * their signals; release puts them back and delivers what arrived
 * (dsu_signals.c). */
void dsu_signals_defer(void);
void dsu_signals_release(void);

/* A tracked heap object (dsu_heap.c). */
struct dsu_heap_object {
  uintptr_t addr;
  size_t size : 63;
  /* From an allocator with its own deallocator (-fdsu-allocator=A:FREE):
   * only the program may free it, so it is transformed in place. */
  size_t foreign : 1;
  const char *tag;
};

/* Every tracked heap object, once, in a new array (free() it); exact when
 * the threads that allocate are quiescent. Returns -1 out of memory. */
int dsu_heap_snapshot(struct dsu_heap_object **out, size_t *count);

/* Number of heap objects tracked now. */
size_t dsu_heap_tracked(void);

/* The runtime's lock (dsu_runtime.c), shared with dsu_threads.c. */
extern pthread_mutex_t dsu_lock;
extern volatile int __dsu_update_pending;

/* Quiescence of multi-threaded programs (dsu_threads.c). parked_ok tells
 * whether a thread parked in the blocking call at SITE ("read main.c:42")
 * may stay parked through the commit: not where the rest of its frames
 * would use what the patch changes. */
typedef int (*dsu_parked_ok_fn)(const char *site,
                                const struct dsu_context *ctx);
void dsu_threads_init(void);
int dsu_threads_quiesce(int (*still_pending)(void), dsu_parked_ok_fn parked_ok);
void dsu_threads_release(void);
void dsu_threads_wake(void);
void dsu_threads_describe_running(char *out, size_t size,
                                  dsu_parked_ok_fn parked_ok);
/* What the main thread is doing now ("running", "blocked in accept()..."). */
void dsu_threads_describe_main(char *out, size_t size);
/* The parked_ok of the pending request (dsu_runtime.c), under dsu_lock.
 * ctx is the parked thread's context stack. */
int dsu_parked_ok(const char *site, const struct dsu_context *ctx);
/* The calls each thread is in (patch_format.h), pushed by dsu-cc code. */
extern __thread struct dsu_context __dsu_context;
void dsu_threads_after_fork(void);

/* ------------------------------------------------- the request (runtime) */

enum request_state {
  REQ_NONE,
  REQ_LOADING,
  REQ_PENDING,
  REQ_DONE,
  REQ_FAILED,   /* rolled back at an update point */
  REQ_WITHDRAWN /* the requester gave up first (the commit word said so) */
};

/* The one update request in progress. Guarded by dsu_lock, except the
 * fields load_patch() fills while the state is REQ_LOADING. */
struct request {
  enum request_state state;
  void *handle;
  char load_name[192]; /* the name dlopen knows the payload by */
  const struct dsu_patch_info *info;
  const struct dsu_type_xform *types;
  const struct dsu_global_xform *globals;
  const struct dsu_global_init *inits;
  const struct dsu_pointer_field *fields;
  const struct dsu_global_pointer *gptrs;
  const struct dsu_hooks *hooks;
  const struct dsu_live_range *live;
  const struct dsu_point *points;
  const struct dsu_residual *residuals; /* of the patch's base version */
  const uint64_t *base_sites;
  const char *const *changed_names;
  /* Loops the patch migrates: old body, new body, loop's name, the symbol
   * of the function holding it, ..., NULL (dsu_loops.c). */
  const char *const *migrated;
  /* The commit word (control_protocol.h): shared with the requester, or
   * local_word for a request without one (dsu test). */
  uint32_t *word;
  uint32_t local_word;
  /* Points where the update may commit even if unsafe (dsu apply
   * --force-at): "FILE:LINE[,FILE:LINE...]" or "all". */
  char force[512];
  int forced;
  char blocked[1200]; /* the last unsafe point that deferred the update */
  struct dsu_transform_stats stats;
  char failure[1024];
  char name[PATH_MAX]; /* the patch file, for messages and status only */
  pid_t requester;
  uint64_t requested_ns;
  uint64_t pause_ns;
  char where[192];
};

#define DSU_MAX_HISTORY 64
struct history_entry {
  char from[DSU_VERSION_ID_SIZE + 1];
  char to[DSU_VERSION_ID_SIZE + 1];
  char patch[256];
  char where[192];
  time_t when;
  uint64_t pause_ns;
  unsigned rebinds;
  char forced[320]; /* the unsafe point it was forced at, and why unsafe */
};

extern struct request dsu_req;
extern pthread_cond_t dsu_committed;
extern char dsu_built_version[DSU_VERSION_ID_SIZE + 1];
extern char dsu_running_version[DSU_VERSION_ID_SIZE + 1];
extern struct history_entry dsu_history[DSU_MAX_HISTORY];
extern int dsu_nhistory;
/* The one uid that may control the process besides root, that must own its
 * runtime directory and its patches: the effective uid at start-up. */
extern uid_t dsu_owner_uid;

uint64_t dsu_now_ns(void);
void dsu_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Control migration (dsu_loops.c): refuses a patch that would migrate a
 * loop an earlier patch migrated (and reserves room to note its own); notes
 * a committed patch's. */
int dsu_check_migrations(const char *const *bodies, char *err, size_t errsize);
void dsu_note_migrations(const char *const *bodies,
                         const struct dsu_patch_info *info);
/* getenv for DSU_* variables: NULL in set-user-ID and similar (AT_SECURE)
 * processes, whose environment belongs to a less privileged user. */
const char *dsu_getenv(const char *name);
void dsu_publish_locked(void);
/* Forgets a request that did not commit (under dsu_lock); then unload. */
void *dsu_forget_request_locked(void);
void dsu_unload_patch(void *handle);

/* dsu_load.c: checks the patch read from fd (regular file, owner, mode,
 * size, magic, format, checksums, base version) and loads it into dsu_req.
 * Reads only from fd. On failure writes the reason to err. */
int dsu_load_patch(int fd, const char *name, char *err, size_t errsize);
/* dsu_load.c's checks of the bytes alone (the fuzz target's entry points). */
struct dsu_patch_header;
int dsu_check_patch(char *buf, size_t size, const char *name,
                    struct dsu_patch_header *out, char *err, size_t errsize);
int dsu_parse_trusted_keys(const char *text, size_t size, char *err,
                           size_t errsize);
/* After commit: later patches may link against the symbols of the patch
 * loaded as load_name (dsu_req.load_name at the commit). */
void dsu_make_patch_global(const char *load_name);

/* dsu_control.c */
void dsu_start_control(void);
void dsu_control_after_fork(void);
void dsu_control_serve(int c); /* one connection, closed after */
extern int dsu_control_deferred; /* a fork child: start at an update point */
/* The update descriptor (a pipe's read end), replaced if the program closed
 * it; -1 without a control socket. Under dsu_lock. */
int dsu_event_fd_locked(void);
void dsu_event_signal_locked(void);
void dsu_event_drain_locked(void);

#endif
