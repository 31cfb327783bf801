/* mcload.c - a load generator for memcached's text protocol
 * (bench/memcached.sh).
 *
 * usage: mcload PORT CONNECTIONS REQUESTS [KEYS [SET-RATIO [PIPELINE
 * [VALUE-SIZE]]]]
 *
 * Connects CONNECTIONS sockets to 127.0.0.1:PORT and drives them from one
 * poll() loop, each with PIPELINE requests in flight at a time (sent as one
 * batch, the next batch once all its replies are in), until REQUESTS replies
 * came back. A request is a SET (probability SET-RATIO) or a GET of a key
 * drawn at random from key:0 .. key:KEYS-1 (to fill the store first, run it
 * with SET-RATIO 1 and a few times KEYS requests). Values are VALUE-SIZE
 * bytes. Replies are parsed (STORED; VALUE
 * ... END or END), so a request counts only when its whole reply arrived.
 * The last line of output is
 *   requests=N seconds=S rps=R errors=E
 * where errors counts replies other than STORED/VALUE/END. Exit status 0 iff
 * errors=0. memslap (libmemcached-tools) would do; this one has no
 * dependency and fixes the request count, which CPU per request needs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct lconn {
  int fd;
  char out[1 << 16];
  size_t outoff, outlen;
  char in[1 << 16];
  size_t inlen;
  int pending; /* replies still to come for the current batch */
};

static unsigned long long rng = 88172645463325252ull;
static unsigned long long next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static long errors;

/* One complete reply at the start of in[0, len): its length, or 0 when it
 * is not all there yet. */
static size_t reply_length(const char *in, size_t len) {
  const char *eol = memmem(in, len, "\r\n", 2);
  if (!eol)
    return 0;
  size_t line = (size_t)(eol - in) + 2;
  if (len >= 5 && !memcmp(in, "VALUE", 5)) {
    /* VALUE key flags bytes\r\n data\r\n END\r\n */
    unsigned long bytes = 0;
    const char *sp = memrchr(in, ' ', line - 2);
    if (sp)
      bytes = strtoul(sp + 1, NULL, 10);
    size_t need = line + bytes + 2 + 5;
    if (len < need)
      return 0;
    if (memcmp(in + line + bytes + 2, "END\r\n", 5))
      errors++;
    return need;
  }
  if (strncmp(in, "STORED\r\n", 8) && strncmp(in, "END\r\n", 5))
    errors++;
  return line;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: mcload PORT CONNECTIONS REQUESTS [KEYS [SET-RATIO "
                    "[PIPELINE [VALUE-SIZE]]]]\n");
    return 2;
  }
  int port = atoi(argv[1]), nconn = atoi(argv[2]);
  long total = atol(argv[3]);
  unsigned long keys = argc > 4 ? strtoul(argv[4], NULL, 10) : 1000;
  double set_ratio = argc > 5 ? atof(argv[5]) : 0.1;
  int depth = argc > 6 ? atoi(argv[6]) : 1;
  size_t vsize = argc > 7 ? strtoul(argv[7], NULL, 10) : 32;
  if (nconn < 1 || depth < 1 || !keys || vsize > 1000)
    return 2;
  char value[1024];
  memset(value, 'x', vsize);
  value[vsize] = 0;
  struct lconn *c = calloc((size_t)nconn, sizeof *c);
  struct pollfd *pfd = calloc((size_t)nconn, sizeof *pfd);
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_port = htons((unsigned short)port)};
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  for (int i = 0; i < nconn; i++) {
    c[i].fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(c[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c[i].fd, (struct sockaddr *)&sa, sizeof sa)) {
      perror("connect");
      return 1;
    }
  }
  long sent = 0, done = 0;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  while (done < total) {
    for (int i = 0; i < nconn; i++) {
      struct lconn *l = &c[i];
      if (!l->pending && sent < total) { /* the next batch */
        l->outoff = l->outlen = 0;
        for (int d = 0; d < depth && sent < total; d++, sent++) {
          unsigned long k = (unsigned long)(next_rand() % keys);
          int set = (double)(next_rand() % 1000000) / 1e6 < set_ratio;
          l->outlen += (size_t)(set ? snprintf(l->out + l->outlen,
                                               sizeof l->out - l->outlen,
                                               "set key:%lu 0 0 %zu\r\n%s\r\n",
                                               k, vsize, value)
                                    : snprintf(l->out + l->outlen,
                                               sizeof l->out - l->outlen,
                                               "get key:%lu\r\n", k));
          l->pending++;
        }
      }
      pfd[i].fd = l->fd;
      pfd[i].events =
          (l->outoff < l->outlen ? POLLOUT : 0) | (l->pending ? POLLIN : 0);
    }
    if (poll(pfd, (nfds_t)nconn, 60000) <= 0) {
      fprintf(stderr, "mcload: timed out\n");
      return 1;
    }
    for (int i = 0; i < nconn; i++) {
      struct lconn *l = &c[i];
      if (pfd[i].revents & POLLOUT) {
        ssize_t w = write(l->fd, l->out + l->outoff, l->outlen - l->outoff);
        if (w > 0)
          l->outoff += (size_t)w;
      }
      if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t r = read(l->fd, l->in + l->inlen, sizeof l->in - l->inlen);
        if (r <= 0) {
          fprintf(stderr, "mcload: connection closed\n");
          return 1;
        }
        l->inlen += (size_t)r;
        size_t off = 0, n;
        while (l->pending && (n = reply_length(l->in + off, l->inlen - off))) {
          off += n;
          l->pending--;
          done++;
        }
        memmove(l->in, l->in + off, l->inlen - off);
        l->inlen -= off;
      }
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs =
      (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("requests=%ld seconds=%.3f rps=%.0f errors=%ld\n", done, secs,
         done / secs, errors);
  return errors != 0;
}
