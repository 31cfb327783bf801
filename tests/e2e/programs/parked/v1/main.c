/* A worker thread parked in read() that, once the read returns, goes on
 * using the struct job it holds in its frame. The main thread's update
 * point is safe for a patch that changes struct job (main does not touch
 * one after it), but the commit must not happen while the worker is parked
 * there: its frame would use the old, moved object. Parked in a blocking
 * call normally counts as quiescent; here it must not. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <dsu.h>

struct job {
  int done;
};

static struct job *current;
static int wake[2];

static void *worker(void *arg) {
  struct job *j = current;
  char c;
  while (read(wake[0], &c, 1) == 1) { /* parked: unsafe */
    j->done++;
    printf("done %d\n", j->done);
  }
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  current = calloc(1, sizeof(struct job));
  if (pipe(wake) != 0)
    return 1;
  pthread_t t;
  pthread_create(&t, NULL, worker, NULL);
  char line[64];
  while (fgets(line, sizeof line, stdin)) {
    DSU_UPDATE_POINT(); /* main's point: safe */
    if (write(wake[1], "x", 1) != 1)
      break;
  }
  close(wake[1]);
  pthread_join(t, NULL);
  return 0;
}
