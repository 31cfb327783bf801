/* dsu_signals.c - the program's signal handlers wait while an update
 * commits.
 *
 * From the linearization point to the end of the commit, the program's
 * objects are half converted and its functions half rebound (the new code is
 * installed before the transformers run). A handler of the program's that
 * ran then (SIGCHLD reaping children, SIGHUP re-reading a configuration), on
 * the committing thread or on a thread parked in a blocking call, would run
 * old or new code over that state: new code reading an old object, or old
 * code a half-written new one. Blocking signals on the committing thread
 * would not do: a process-directed signal then goes to another thread.
 *
 * So the committer swaps every handler the program installed (dispositions
 * are process-wide) for one that only records the signal, and once the
 * update has committed or rolled back, and the runtime's lock is released,
 * puts the program's handlers back and sends itself each recorded signal
 * once, so that the handler runs then, in whatever version now runs. A
 * standard signal that arrives twice in the wait is delivered once, as the
 * kernel would; a realtime signal's queue and any signal's siginfo (sender,
 * value) are lost in the wait (docs/update-model.md). Default and ignored
 * dispositions run no program code and stay; so do the handlers dsu itself
 * uses during the commit (crash protection and the deadline, dsu_heap.c),
 * and the C library's internal signals, which sigaction refuses.
 */
#include "dsu_internal.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

static struct sigaction saved[NSIG];
static unsigned char swapped[NSIG];
static volatile sig_atomic_t arrived[NSIG];

static void record(int sig) {
  if (sig > 0 && sig < NSIG)
    arrived[sig] = 1;
}

static int runs_program_code(const struct sigaction *sa) {
  if (sa->sa_flags & SA_SIGINFO)
    return sa->sa_sigaction != NULL;
  return sa->sa_handler != SIG_DFL && sa->sa_handler != SIG_IGN;
}

void dsu_signals_defer(void) {
  struct sigaction wait_for_commit;
  memset(&wait_for_commit, 0, sizeof wait_for_commit);
  wait_for_commit.sa_handler = record;
  sigfillset(&wait_for_commit.sa_mask);
  wait_for_commit.sa_flags = SA_RESTART;
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP || dsu_heap_protects(sig))
      continue;
    struct sigaction old;
    if (sigaction(sig, NULL, &old) != 0 || !runs_program_code(&old))
      continue;
    arrived[sig] = 0;
    saved[sig] = old;
    if (sigaction(sig, &wait_for_commit, NULL) == 0)
      swapped[sig] = 1;
  }
}

void dsu_signals_release(void) {
  for (int sig = 1; sig < NSIG; sig++)
    if (swapped[sig]) {
      sigaction(sig, &saved[sig], NULL);
      swapped[sig] = 0;
    }
  pid_t self = getpid();
  for (int sig = 1; sig < NSIG; sig++)
    if (arrived[sig]) {
      arrived[sig] = 0;
      kill(self, sig);
    }
}
