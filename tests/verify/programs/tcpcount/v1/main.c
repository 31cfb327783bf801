/* A line server on TCP with blocking sockets, for dsu verify --tcp-lines:
 * one client at a time; h counts a hit and answers "hit", p answers the
 * count, anything else "?". v2 adds r (reset); its replies to h and p are
 * the same. tests/verify edits v2 into a faulty version (p's reply
 * changed), builds both with -DGETSOCKOPT or -DSELECT (calls the socket
 * model does not cover), and with -DNONBLOCK (a non-blocking connection,
 * through fcntl). */
#include <dsu.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

static int hits;

static void reply(int fd, const char *text) { write(fd, text, strlen(text)); }

static void handle(int fd, const char *line) {
  char out[32];
  if (line[0] == 'h') {
    hits++;
    reply(fd, "hit\n");
  } else if (line[0] == 'p') {
    snprintf(out, sizeof out, "%d\n", hits);
    reply(fd, out);
  } else {
    reply(fd, "?\n");
  }
}

int main(void) {
  struct sockaddr_in addr;
  int one = 1, listener = socket(AF_INET, SOCK_STREAM, 0);
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons(7390);
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0 ||
      listen(listener, 1) < 0)
    return 1;
  for (;;) {
    char buf[64];
    int fd = accept(listener, NULL, NULL);
    if (fd < 0)
      return 1;
#ifdef GETSOCKOPT
    socklen_t len = sizeof one;
    getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, &len);
#endif
#ifdef NONBLOCK
    /* Non-blocking: the read loop ends at EAGAIN, and the next accept
     * waits for a client that never comes. */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
#endif
#ifdef SELECT
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(fd, &readable);
    select(fd + 1, &readable, NULL, NULL, NULL);
#endif
    ssize_t n;
    /* One request per read (the client waits for each reply). */
    while ((n = read(fd, buf, sizeof buf - 1)) > 0) {
      buf[n] = 0;
      DSU_UPDATE_POINT();
      handle(fd, buf);
    }
    close(fd);
  }
}
