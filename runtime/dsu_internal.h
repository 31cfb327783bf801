/* dsu_internal.h - interfaces between the files of libdsu. */
#ifndef DSU_INTERNAL_H
#define DSU_INTERNAL_H

#include "patch_format.h"
#include <stddef.h>

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
int dsu_transform_state(const struct dsu_type_xform *types,
                        const struct dsu_global_xform *globals,
                        const struct dsu_pointer_field *fields,
                        const struct dsu_global_pointer *gptrs,
                        const struct dsu_hooks *hooks,
                        const struct dsu_live_range *live,
                        struct dsu_transform_stats *stats, char *err,
                        size_t errsize);
void dsu_transform_finish(void);

/* Number of heap objects tracked now. */
size_t dsu_heap_tracked(void);

/* The runtime's lock (dsu_runtime.c), shared with dsu_threads.c. */
#include <pthread.h>
extern pthread_mutex_t dsu_lock;
extern volatile int __dsu_update_pending;

/* Quiescence of multi-threaded programs (dsu_threads.c). */
void dsu_threads_init(void);
int dsu_threads_quiesce(int (*still_pending)(void));
void dsu_threads_release(void);
void dsu_threads_wake(void);
void dsu_threads_describe_running(char *out, size_t size);
void dsu_threads_after_fork(void);

#endif
