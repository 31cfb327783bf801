/* Regression: main creates a worker and at once blocks in read(). The
 * runtime must already count two threads when main blocks, or it leaves
 * main marked as running and no update can ever commit while main waits
 * for input. Here the update must commit through the worker's update point
 * while main sits in read(). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <dsu.h>

static int compute(int x) { return x + 100; }

static void *ticker(void *arg) {
  (void)arg;
  for (;;) {
    DSU_UPDATE_POINT();
    usleep(1000);
  }
  return NULL;
}

int main(void) {
  pthread_t t;
  char buf[64];
  setvbuf(stdout, NULL, _IOLBF, 0);
  pthread_create(&t, NULL, ticker, NULL);
  for (;;) {
    DSU_UPDATE_POINT();
    ssize_t n = read(0, buf, sizeof buf - 1);
    if (n <= 0)
      break;
    buf[n] = 0;
    printf("%d\n", compute(atoi(buf)));
  }
  return 0;
}
