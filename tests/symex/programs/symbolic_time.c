// With --symbolic-time every call of the clock is a fresh symbolic value
// that never goes back: the timeout branch is reachable, and the replay
// hands the recorded clock values to the native program.
// ARGS: --symbolic-time
// VERDICT: error
// KIND: assertion
#include <assert.h>
#include <sys/time.h>
#include <time.h>

int main(void) {
  time_t start = time(NULL);
  struct timeval now;
  gettimeofday(&now, NULL);
  assert(now.tv_sec >= start);
  if (now.tv_sec - start > 60)
    assert(0 && "request timed out");
  return 0;
}
