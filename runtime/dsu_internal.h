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

#endif
