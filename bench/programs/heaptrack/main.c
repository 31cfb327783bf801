/* The allocation pattern of a server under load, with libdsu's tracking
 * calls as dsu-cc emits them for a named header-adding allocator (redis's
 * zmalloc: a size word before each block, tracked 8 bytes in; its free
 * tells the runtime of the block and of the real pointer). LIVE objects
 * stay for the whole run (a data set); each step allocates one object
 * and frees the one allocated INFLIGHT steps before (replies waiting for
 * their socket). Prints nanoseconds per step and the peak RSS. Linked
 * with libdsu, or with stubs.c for the cost of the calls alone.
 * usage: heaptrack STEPS LIVE INFLIGHT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void __dsu_track_foreign(void *p, size_t size, const char *tag);
void __dsu_track_free(void *p);

static const char tag[] = "struct listNode#1a2b3c4d";

static void *hmalloc(size_t size) {
  size_t *block = malloc(size + sizeof(size_t));
  *block = size;
  void *p = block + 1;
  __dsu_track_foreign(p, size, tag);
  return p;
}

static void hfree(void *p) {
  __dsu_track_free(p);
  void *block = (size_t *)p - 1;
  __dsu_track_free(block);
  free(block);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  long steps = argc > 1 ? atol(argv[1]) : 20000000;
  long live = argc > 2 ? atol(argv[2]) : 100000;
  long inflight = argc > 3 ? atol(argv[3]) : 20000;
  void **data = malloc(live * sizeof *data);
  void **ring = calloc(inflight, sizeof *ring);
  for (long i = 0; i < live; i++)
    data[i] = hmalloc(24 + (i % 5) * 8);
  double t0 = now();
  for (long i = 0; i < steps; i++) {
    long slot = i % inflight;
    if (ring[slot])
      hfree(ring[slot]);
    ring[slot] = hmalloc(24 + (i % 3) * 16);
  }
  double t1 = now();
  long kb = 0;
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "VmHWM:", 6))
      kb = atol(line + 6);
  if (f)
    fclose(f);
  printf("%.2f ns/step, peak RSS %ld kB\n", (t1 - t0) / steps * 1e9, kb);
  return 0;
}
