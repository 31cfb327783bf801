/* A worker thread blocked in read() inside the C library (fgets on a pipe
 * nobody writes), where dsu-cc cannot bracket the call: an update must time
 * out, and the refusal must say where the worker is, not "running". */
#include <dsu.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static const char *version(void) { return "v1"; }

static FILE *quiet_pipe;

static void *reader(void *arg) {
  char line[64];
  (void)arg;
  if (fgets(line, sizeof line, quiet_pipe))
    printf("read %s", line);
  return NULL;
}

int main(void) {
  int p[2];
  pthread_t t;
  if (pipe(p) != 0 || !(quiet_pipe = fdopen(p[0], "r")) ||
      pthread_create(&t, NULL, reader, NULL) != 0)
    return 1;
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("%s ready\n", version());
  for (;;) {
    DSU_UPDATE_POINT();
    usleep(1000);
  }
}
