/* zmalloc.h - a header-adding allocator like redis's zmalloc, for the
 * kvserver variant of bench/kvserver.sh: included first (-include) into
 * every source of kvserver, it sends every malloc, calloc, realloc and free
 * through zmalloc.c, which puts the block's size in front of it. dsu-cc then
 * sees kvserver's allocations only as zmalloc(sizeof ...) calls, typed when
 * the allocator is named (-fdsu-allocator=zmalloc:zfree,...), and every
 * tracked object starts 8 bytes into its block, as redis's do. */
#ifndef ZMALLOC_H
#define ZMALLOC_H
#include <stddef.h>
#include <stdlib.h> /* libc's prototypes first, without the macros */
#include <string.h>

void *zmalloc(size_t size);
void *zcalloc(size_t size);
void *zrealloc(void *p, size_t size);
void zfree(void *p);

#define malloc(n) zmalloc(n)
#define calloc(n, size) zcalloc((n) * (size))
#define realloc(p, n) zrealloc(p, n)
#define free(p) zfree(p)
#endif
