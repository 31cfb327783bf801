/* A server whose SIGUSR1 handler reports its configuration, a heap object
 * of a struct that v2 changes (SIGHUP re-reading a configuration and
 * SIGCHLD reaping children are the same kind of handler). A signal that
 * arrives while an update converts the configuration must not run the
 * handler over half-converted state: it waits for the commit.
 * Commands on stdin: "p" prints the configuration. */
#include <dsu.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct config {
  char name[16]; /* new in v2, before the fields v1 had */
  int workers;
  int port;
};

static struct config *cfg;

static void report(const char *why) {
  char line[96];
  int n = snprintf(line, sizeof line, "%sworkers %d port %d\n", why,
                   cfg->workers, cfg->port);
  write(1, line, (size_t)n);
}

static void on_usr1(int sig) {
  (void)sig;
  report("signal: ");
}

int main(void) {
  char line[64];
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  cfg = malloc(sizeof *cfg);
  cfg->workers = 4;
  cfg->port = 8080;
  while (fgets(line, sizeof line, stdin)) {
    DSU_UPDATE_POINT();
    if (line[0] == 'p')
      report("");
  }
  return 0;
}
