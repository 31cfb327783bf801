/* Generated transformers must compile for fields whose types a transformers
 * file does not define by itself: a typedef'd anonymous enum, bit-fields
 * (which __typeof__ rejects), a pthread_mutex_t from a system header, and a
 * global whose type is a typedef'd anonymous struct. v2 grows the client
 * and the statistics. */
#include <dsu.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
typedef enum { IDLE, BUSY } state_t;
typedef struct {
  int hits;
  char label[8];
} stats_t;
struct client {
  int fd;
  unsigned flags : 3;
  unsigned busy : 1;
  state_t state;
  pthread_mutex_t lock;
  char tail[];
};
static stats_t stats;
static struct client *clients[4];
static int n;
static void handle(const char *line) {
  if (line[0] == 'p') {
    for (int i = 0; i < n; i++)
      printf("%d %u %u %d\n", clients[i]->fd, clients[i]->flags,
             clients[i]->busy, clients[i]->state);
    printf("hits %d\n", stats.hits);
    return;
  }
  struct client *c = calloc(1, sizeof *c);
  c->fd = line[0];
  c->flags = 5;
  c->busy = 1;
  c->state = BUSY;
  pthread_mutex_init(&c->lock, NULL);
  clients[n++] = c;
  stats.hits++;
}
int main(void) {
  char line[64];
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (fgets(line, sizeof line, stdin)) {
    DSU_UPDATE_POINT();
    handle(line);
  }
  return 0;
}
