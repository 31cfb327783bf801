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
 * commits, or -1 with the reason in err and nothing changed. */
int dsu_transform_state(const struct dsu_type_xform *types,
                        const struct dsu_global_xform *globals,
                        const struct dsu_pointer_field *fields,
                        const struct dsu_global_pointer *gptrs,
                        struct dsu_transform_stats *stats, char *err,
                        size_t errsize);

/* Number of heap objects tracked now. */
size_t dsu_heap_tracked(void);

/* The runtime's lock (dsu_runtime.c), shared with dsu_threads.c. */
#include <pthread.h>
extern pthread_mutex_t dsu_lock;
extern volatile int __dsu_update_pending;

/* Quiescence of multi-threaded programs (dsu_threads.c). parked_ok tells
 * whether a thread parked in the blocking call at SITE ("read main.c:42")
 * may stay parked through the commit: not where the rest of its frames
 * would use what the patch changes. */
void dsu_threads_init(void);
int dsu_threads_quiesce(int (*still_pending)(void),
                        int (*parked_ok)(const char *site));
void dsu_threads_release(void);
void dsu_threads_wake(void);
void dsu_threads_describe_running(char *out, size_t size,
                                  int (*parked_ok)(const char *site));
void dsu_threads_after_fork(void);

#endif
