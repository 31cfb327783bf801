/* A poll loop that watches dsu_update_fd(), with its only update point
 * unsafe for a patch that changes struct conf (a field access follows it).
 * While such an update waits, the descriptor must not stay readable: the
 * loop would wake up again and again and spin at 100% CPU. The loop counts
 * its wake-ups and prints the count at the end. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <dsu.h>

struct conf {
  int n;
};

static struct conf *cf;

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  cf = calloc(1, sizeof *cf);
  long wakeups = 0;
  for (;;) {
    struct pollfd fds[2] = {{0, POLLIN, 0}, {dsu_update_fd(), POLLIN, 0}};
    if (poll(fds, 2, -1) < 0)
      break;
    wakeups++;
    DSU_UPDATE_POINT(); /* unsafe: cf->n is used below */
    if (fds[0].revents & (POLLIN | POLLHUP)) {
      char buf[64];
      if (read(0, buf, sizeof buf) <= 0)
        break;
      cf->n++;
      printf("n %d\n", cf->n);
    }
  }
  printf("wakeups %ld\n", wakeups);
  return 0;
}
