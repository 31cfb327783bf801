/* The tracking calls doing nothing: heaptrack's baseline. */
#include <stddef.h>
__attribute__((noinline)) void __dsu_track_foreign(void *p, size_t size,
                                                   const char *tag) {
  __asm__ volatile("" : : "r"(p), "r"(size), "r"(tag) : "memory");
}
__attribute__((noinline)) void __dsu_track_free(void *p) {
  __asm__ volatile("" : : "r"(p) : "memory");
}
