/* A changed struct kept in an active frame, as vsftpd keeps its session in
 * main: main's local struct session lives across every update point in its
 * loop and is read again after the loop. dsu cannot move or transform an
 * object in a stack frame, so a patch that changes struct session must be
 * refused at the loop's update point, even though the loop body itself
 * (extracted, one iteration at a time) only passes the session along. */
#include <stdio.h>
#include <dsu.h>

struct session {
  int requests;
};

static void serve(struct session *s, const char *line) {
  s->requests++;
  printf("served %s", line);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct session sess = {0};
  char line[64];
  while (fgets(line, sizeof line, stdin)) {
    DSU_UPDATE_POINT(); /* unsafe: sess is read after the loop */
    serve(&sess, line);
  }
  printf("requests %d\n", sess.requests);
  return 0;
}
