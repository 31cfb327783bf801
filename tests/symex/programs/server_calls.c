// The calls a server makes at start-up and per request are modelled: the
// clock is a fixed 1700000000 s (time, gettimeofday, clock_gettime agree),
// the process has pid 4242 and one thread, signal handlers are installed
// as no-ops. Each of them used to stop the path as unmodelled.
// VERDICT: holds
#include <assert.h>
#include <klee/klee.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void on_term(int sig) { (void)sig; }

int main(void) {
  time_t t;
  assert(time(NULL) == 1700000000);
  assert(time(&t) == t && t == 1700000000);
  struct timeval tv;
  assert(gettimeofday(&tv, NULL) == 0 && tv.tv_sec == t && tv.tv_usec == 0);
  struct timespec ts;
  assert(clock_gettime(CLOCK_MONOTONIC, &ts) == 0 && ts.tv_sec == t);
  assert(getpid() == 4242);
  pthread_t self = pthread_self();
  assert(pthread_equal(self, pthread_self()));
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  struct sigaction act, old;
  memset(&act, 0, sizeof act);
  sigemptyset(&act.sa_mask);
  act.sa_handler = on_term;
  assert(sigaction(SIGTERM, &act, &old) == 0);
  // A request handler that stamps its reply with the clock.
  char req;
  klee_make_symbolic(&req, 1, "req");
  long stamp = req == 'T' ? (long)time(NULL) : 0;
  assert(stamp == 0 || stamp == 1700000000);
  return 0;
}
