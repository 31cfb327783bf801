/* A thread pool: main reads jobs from stdin and hands each to one of three
 * workers, which wait on a condition variable, compute and answer. An update
 * commits only when main is at its update point and every worker is at its
 * own or parked in pthread_cond_wait. With "spin" a worker busy-loops, never
 * reaching either: the update must then be refused, naming that thread. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dsu.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t job_ready = PTHREAD_COND_INITIALIZER;
static pthread_cond_t job_done = PTHREAD_COND_INITIALIZER;
static int job = -1, result, have_result;
static volatile int spin_until_stop;

static int compute(int x) { return x * x * x; }

static void *worker(void *arg) {
  (void)arg;
  for (;;) {
    DSU_UPDATE_POINT();
    pthread_mutex_lock(&mu);
    while (job < 0)
      pthread_cond_wait(&job_ready, &mu);
    int x = job;
    job = -1;
    pthread_mutex_unlock(&mu);
    if (x == 999) {
      while (!spin_until_stop) {
      }
      continue;
    }
    int r = compute(x);
    pthread_mutex_lock(&mu);
    result = r;
    have_result = 1;
    pthread_cond_signal(&job_done);
    pthread_mutex_unlock(&mu);
  }
  return NULL;
}

int main(void) {
  char line[64];
  pthread_t t[3];
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (int i = 0; i < 3; i++)
    pthread_create(&t[i], NULL, worker, NULL);
  while (fgets(line, sizeof line, stdin)) {
    DSU_UPDATE_POINT();
    if (strncmp(line, "spin", 4) == 0) {
      pthread_mutex_lock(&mu);
      job = 999;
      pthread_cond_signal(&job_ready);
      pthread_mutex_unlock(&mu);
      printf("spinning\n");
      continue;
    }
    if (strncmp(line, "stop", 4) == 0) {
      spin_until_stop = 1;
      printf("stopped\n");
      continue;
    }
    pthread_mutex_lock(&mu);
    job = atoi(line);
    have_result = 0;
    pthread_cond_signal(&job_ready);
    while (!have_result)
      pthread_cond_wait(&job_done, &mu);
    printf("%d -> %d\n", atoi(line), result);
    pthread_mutex_unlock(&mu);
  }
  return 0;
}
