/* Clients allocated through a wrapper that puts a size header before each
 * block (redis's zmalloc), built with -fdsu-allocator=zmalloc:zfree. Only
 * the program can free such a block, so dsu transforms its objects in
 * place when they fit: v2 reorders and narrows the client. v3 grows it: it
 * moves through the new build's zmalloc and its old block goes back
 * through zfree, and v3's zmalloc has a cap, at which the update is
 * refused. Commands on stdin: "o FD" opens, "q FD N" queues N bytes, "c FD"
 * closes, "p" prints. */
#include <stdio.h>
#include <stdlib.h>
#include <dsu.h>

static size_t used_memory;

void *zmalloc(size_t size) {
  size_t *p = malloc(size + sizeof(size_t));
  *p = size;
  used_memory += size;
  return p + 1;
}

void zfree(void *ptr) {
  if (!ptr)
    return;
  size_t *p = (size_t *)ptr - 1;
  used_memory -= *p;
  free(p);
}

struct client {
  int fd;
  long queued;
  struct client *next;
};

static struct client *clients;

static void open_client(int fd) {
  struct client *c = zmalloc(sizeof(struct client));
  c->fd = fd;
  c->queued = 0;
  c->next = clients;
  clients = c;
}

static void queue(int fd, long n) {
  for (struct client *c = clients; c; c = c->next)
    if (c->fd == fd)
      c->queued += n;
}

static void close_client(int fd) {
  for (struct client **p = &clients; *p; p = &(*p)->next)
    if ((*p)->fd == fd) {
      struct client *c = *p;
      *p = c->next;
      zfree(c);
      return;
    }
}

static void print(void) {
  for (struct client *c = clients; c; c = c->next)
    printf("fd %d queued %ld ", c->fd, (long)c->queued);
  printf("memory %zu\n", used_memory);
}

int main(void) {
  char line[64];
  int fd;
  long n;
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (;;) {
    DSU_UPDATE_POINT();
    if (!fgets(line, sizeof line, stdin))
      break;
    if (sscanf(line, "o %d", &fd) == 1)
      open_client(fd);
    else if (sscanf(line, "q %d %ld", &fd, &n) == 2)
      queue(fd, n);
    else if (sscanf(line, "c %d", &fd) == 1)
      close_client(fd);
    else if (line[0] == 'p')
      print();
  }
  return 0;
}
