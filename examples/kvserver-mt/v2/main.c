/* kvserver-mt: a thread-per-connection key-value server.
 *
 * The same line protocol as examples/kvserver (SET, GET, DEL, COUNT, PING,
 * QUIT), served by one thread per connection that blocks in read(), and an
 * acceptor thread (main) that blocks in accept(). The store is a hash table
 * under one mutex. Every thread has an update point at the top of its loop;
 * a pending update commits when each thread is at its update point or
 * parked in read(), accept() or a condition wait.
 *
 * usage: kvserver-mt [-p PORT]   (prints "listening on PORT")
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <dsu.h>

#define NBUCKETS 4096

struct entry {
  char *key;
  char *value;
  struct entry *next;
};

static struct entry *buckets[NBUCKETS];
static pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long nkeys;

static unsigned hash(const char *s) {
  unsigned h = 2166136261u;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 16777619u;
  return h % NBUCKETS;
}

static struct entry *find(const char *key) {
  for (struct entry *e = buckets[hash(key)]; e; e = e->next)
    if (strcmp(e->key, key) == 0)
      return e;
  return NULL;
}

static void reply_get(char *out, size_t size, const struct entry *e) {
  if (e)
    snprintf(out, size, "VALUE %zu %s\n", strlen(e->value), e->value);
  else
    snprintf(out, size, "NOT_FOUND\n");
}

/* Executes one command line; writes the reply into out. Returns 0 to close. */
static int execute(char *line, char *out, size_t size) {
  char *argv[3] = {0}, *save = NULL;
  int argc = 0;
  for (char *tok = strtok_r(line, " \t\r", &save); tok && argc < 3;
       tok = strtok_r(NULL, " \t\r", &save))
    argv[argc++] = tok;
  if (argc == 0) {
    out[0] = 0;
    return 1;
  }
  pthread_mutex_lock(&store_lock);
  if (strcasecmp(argv[0], "SET") == 0 && argc == 3) {
    struct entry *e = find(argv[1]);
    if (e) {
      free(e->value);
      e->value = strdup(argv[2]);
    } else {
      e = malloc(sizeof *e);
      e->key = strdup(argv[1]);
      e->value = strdup(argv[2]);
      unsigned b = hash(argv[1]);
      e->next = buckets[b];
      buckets[b] = e;
      nkeys++;
    }
    snprintf(out, size, "OK\n");
  } else if (strcasecmp(argv[0], "GET") == 0 && argc == 2) {
    reply_get(out, size, find(argv[1]));
  } else if (strcasecmp(argv[0], "COUNT") == 0) {
    snprintf(out, size, "%lu\n", nkeys);
  } else if (strcasecmp(argv[0], "VERSION") == 0) {
    snprintf(out, size, "VERSION v2 updates=%d\n", dsu_update_count());
  } else if (strcasecmp(argv[0], "PING") == 0) {
    snprintf(out, size, "PONG\n");
  } else if (strcasecmp(argv[0], "QUIT") == 0) {
    pthread_mutex_unlock(&store_lock);
    snprintf(out, size, "BYE\n");
    return 0;
  } else {
    snprintf(out, size, "ERROR unknown command '%s'\n", argv[0]);
  }
  pthread_mutex_unlock(&store_lock);
  return 1;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t k = write(fd, p, n);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0)
      return -1;
    p += k;
    n -= (size_t)k;
  }
  return 0;
}

static void *serve_connection(void *arg) {
  int fd = (int)(long)arg;
  char buf[16384], out[16500];
  size_t have = 0;
  for (;;) {
    DSU_UPDATE_POINT();
    char *nl = memchr(buf, '\n', have);
    if (!nl) {
      if (have == sizeof buf)
        have = 0; /* line too long: drop it */
      ssize_t k = read(fd, buf + have, sizeof buf - have);
      if (k <= 0)
        break;
      have += (size_t)k;
      continue;
    }
    *nl = 0;
    int keep = execute(buf, out, sizeof out);
    if (out[0] && write_all(fd, out, strlen(out)) != 0)
      break;
    have -= (size_t)(nl + 1 - buf);
    memmove(buf, nl + 1, have);
    if (!keep)
      break;
  }
  close(fd);
  return NULL;
}

int main(int argc, char **argv) {
  int port = 7380;
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], "-p") == 0)
      port = atoi(argv[++i]);
  signal(SIGPIPE, SIG_IGN);
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET,
                             .sin_port = htons((unsigned short)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(ls, (struct sockaddr *)&addr, sizeof addr) != 0 ||
      listen(ls, 128) != 0) {
    perror("kvserver-mt");
    return 1;
  }
  socklen_t len = sizeof addr;
  getsockname(ls, (struct sockaddr *)&addr, &len);
  printf("listening on %d\n", ntohs(addr.sin_port));
  fflush(stdout);
  for (;;) {
    DSU_UPDATE_POINT();
    int fd = accept(ls, NULL, NULL);
    if (fd < 0)
      continue;
    pthread_t t;
    if (pthread_create(&t, NULL, serve_connection, (void *)(long)fd) != 0) {
      close(fd);
      continue;
    }
    pthread_detach(t);
  }
}
