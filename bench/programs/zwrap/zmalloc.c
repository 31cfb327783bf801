/* zmalloc.c - see zmalloc.h: redis 2.0's zmalloc without its statistics. */
#include "zmalloc.h"
#undef malloc
#undef calloc
#undef realloc
#undef free

#define PREFIX sizeof(size_t)

static void *out_of_memory(void) { abort(); }

void *zmalloc(size_t size) {
  size_t *p = malloc(size + PREFIX);
  if (!p)
    return out_of_memory();
  *p = size;
  return (char *)p + PREFIX;
}

void *zcalloc(size_t size) {
  size_t *p = calloc(1, size + PREFIX);
  if (!p)
    return out_of_memory();
  *p = size;
  return (char *)p + PREFIX;
}

void *zrealloc(void *q, size_t size) {
  if (!q)
    return zmalloc(size);
  size_t *p = realloc((char *)q - PREFIX, size + PREFIX);
  if (!p)
    return out_of_memory();
  *p = size;
  return (char *)p + PREFIX;
}

void zfree(void *q) {
  if (q)
    free((char *)q - PREFIX);
}
