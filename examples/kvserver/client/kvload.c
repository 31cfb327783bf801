/* kvload.c - load generator for kvserver.
 *
 * usage: kvload PORT CONNECTIONS SECONDS|--requests N [options]
 *   --keys K         keys are key:0 .. key:K-1 (default 1000)
 *   --set-ratio R    fraction of SETs in the mixed load (default 0.1)
 *   --pipeline D     requests in flight per connection (default 1: ping-pong)
 *   --value-size B   length of the values written (default 16)
 *   --fill           SET key:0, key:1, ... in order, each once
 *   --check          GET key:0, key:1, ... in order and check each value
 *                    (both stop after min(N, K) requests or SECONDS)
 *   --timeout T      give up waiting for replies after T seconds (default 60)
 *   --seed S         random seed of the mixed load (default 1)
 *
 * Connects CONNECTIONS sockets to 127.0.0.1:PORT and drives them from one
 * poll() loop. The mixed load picks GET or SET and a key at random; the value
 * of key:N is always the same string ("vN-" padded with 'x' to the value
 * size), so --check can verify what an earlier --fill (or mixed load) wrote,
 * for example across a live update. GET replies are accepted in both the
 * "VALUE v" and the "VALUE len v" format. Errors are ERROR replies, wrong
 * values (--check) or replies other than OK to --fill, and requests lost to a
 * closed connection or the timeout. The last line of output is
 *   requests=N seconds=S rps=R errors=E
 * where requests counts replies received. Exit status 0 iff errors=0.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum mode { MODE_MIXED, MODE_FILL, MODE_CHECK };

struct lconn {
    int fd;
    int dead;
    char *out;
    size_t outoff, outlen, outcap;
    char in[65536];
    size_t inlen;
    unsigned long *pending; /* key index of each request in flight (ring) */
    int phead, pcount;
};

static enum mode mode = MODE_MIXED;
static unsigned long nkeys = 1000;
static double set_ratio = 0.1;
static int depth = 1;
static size_t value_size = 16;
static uint64_t rng = 1;

static unsigned long issued, completed, errors, next_seq;

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* The value of key:k: "v<k>-" padded with 'x' to value_size characters. */
static size_t make_value(unsigned long k, char *buf)
{
    size_t n = (size_t)sprintf(buf, "v%lu-", k);

    while (n < value_size)
        buf[n++] = 'x';
    buf[n] = '\0';
    return n;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: kvload PORT CONNECTIONS SECONDS|--requests N [--keys K]\n"
            "              [--set-ratio R] [--pipeline D] [--value-size B]\n"
            "              [--fill|--check] [--timeout T] [--seed S]\n");
    exit(2);
}

static void add_request(struct lconn *c, unsigned long k, int is_set)
{
    size_t need = value_size + 64;
    int slot;

    if (c->outlen + need > c->outcap) {
        c->outcap = (c->outlen + need) * 2;
        c->out = realloc(c->out, c->outcap);
        if (!c->out) {
            fprintf(stderr, "kvload: out of memory\n");
            exit(2);
        }
    }
    if (is_set) {
        c->outlen += (size_t)sprintf(c->out + c->outlen, "SET key:%lu ", k);
        c->outlen += make_value(k, c->out + c->outlen);
        c->out[c->outlen++] = '\n';
    } else {
        c->outlen += (size_t)sprintf(c->out + c->outlen, "GET key:%lu\n", k);
    }
    slot = (c->phead + c->pcount) % depth;
    c->pending[slot] = k;
    c->pcount++;
    issued++;
}

/* Checks one reply against the request it answers. */
static void take_reply(struct lconn *c, const char *line)
{
    unsigned long k = c->pending[c->phead];

    c->phead = (c->phead + 1) % depth;
    c->pcount--;
    completed++;
    if (strncmp(line, "ERROR", 5) == 0) {
        errors++;
        return;
    }
    if (mode == MODE_FILL && strcmp(line, "OK") != 0) {
        errors++;
    } else if (mode == MODE_CHECK) {
        char want[16064];
        const char *v;

        make_value(k, want);
        if (strncmp(line, "VALUE ", 6) != 0) {
            errors++;
            return;
        }
        v = line + 6;
        if (*v >= '0' && *v <= '9') { /* "VALUE len value" */
            v = strchr(v, ' ');
            v = v ? v + 1 : "";
        }
        if (strcmp(v, want) != 0)
            errors++;
    }
}

static void kill_conn(struct lconn *c)
{
    if (c->dead)
        return;
    c->dead = 1;
    errors += (unsigned long)c->pcount;
    c->pcount = 0;
    close(c->fd);
}

static void do_read(struct lconn *c)
{
    ssize_t r = read(c->fd, c->in + c->inlen, sizeof c->in - c->inlen);
    size_t start = 0;

    if (r < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            kill_conn(c);
        return;
    }
    if (r == 0) {
        kill_conn(c);
        return;
    }
    c->inlen += (size_t)r;
    for (;;) {
        char *nl = memchr(c->in + start, '\n', c->inlen - start);

        if (!nl)
            break;
        *nl = '\0';
        if (c->pcount > 0)
            take_reply(c, c->in + start);
        else
            errors++; /* a reply nobody asked for */
        start = (size_t)(nl - c->in) + 1;
    }
    memmove(c->in, c->in + start, c->inlen - start);
    c->inlen -= start;
    if (c->inlen == sizeof c->in)
        kill_conn(c); /* a line longer than any reply can be */
}

static void do_write(struct lconn *c)
{
    while (c->outoff < c->outlen) {
        ssize_t w = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
                         MSG_NOSIGNAL);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                kill_conn(c);
            return;
        }
        c->outoff += (size_t)w;
    }
    c->outoff = c->outlen = 0;
}

static int open_conn(int port)
{
    struct sockaddr_in sin;
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

    if (fd < 0)
        return -1;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((unsigned short)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sin, sizeof sin) < 0) {
        close(fd);
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

int main(int argc, char **argv)
{
    int port, nconn, i, alive;
    double seconds = 0, timeout = 60, t0, t_end, elapsed;
    unsigned long limit = 0;
    struct lconn *conns;
    struct pollfd *pfds;
    struct rlimit rl;
    char *end;

    if (argc < 4)
        usage();
    port = atoi(argv[1]);
    nconn = atoi(argv[2]);
    if (port <= 0 || port > 65535 || nconn <= 0)
        usage();
    i = 3;
    if (strcmp(argv[i], "--requests") == 0) {
        if (++i >= argc)
            usage();
        limit = strtoul(argv[i], &end, 10);
        if (*end || limit == 0)
            usage();
    } else {
        seconds = strtod(argv[i], &end);
        if (*end || seconds <= 0)
            usage();
    }
    for (i++; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(a, "--fill") == 0) {
            mode = MODE_FILL;
            continue;
        }
        if (strcmp(a, "--check") == 0) {
            mode = MODE_CHECK;
            continue;
        }
        if (!v)
            usage();
        i++;
        if (strcmp(a, "--keys") == 0)
            nkeys = strtoul(v, NULL, 10);
        else if (strcmp(a, "--set-ratio") == 0)
            set_ratio = strtod(v, NULL);
        else if (strcmp(a, "--pipeline") == 0)
            depth = atoi(v);
        else if (strcmp(a, "--value-size") == 0)
            value_size = strtoul(v, NULL, 10);
        else if (strcmp(a, "--timeout") == 0)
            timeout = strtod(v, NULL);
        else if (strcmp(a, "--seed") == 0)
            rng = strtoull(v, NULL, 10) * 2654435761u + 1;
        else
            usage();
    }
    if (nkeys == 0 || depth <= 0 || depth > 4096 || value_size > 16000 ||
        set_ratio < 0 || set_ratio > 1 || timeout <= 0)
        usage();
    if (mode != MODE_MIXED && (limit == 0 || limit > nkeys))
        limit = nkeys; /* key:0, key:1, ... each at most once */

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    conns = calloc((size_t)nconn, sizeof *conns);
    pfds = calloc((size_t)nconn, sizeof *pfds);
    if (!conns || !pfds) {
        fprintf(stderr, "kvload: out of memory\n");
        return 2;
    }
    for (i = 0; i < nconn; i++) {
        conns[i].fd = open_conn(port);
        if (conns[i].fd < 0) {
            fprintf(stderr, "kvload: connect to 127.0.0.1 port %d: %s\n", port,
                    strerror(errno));
            return 2;
        }
        conns[i].pending = calloc((size_t)depth, sizeof *conns[i].pending);
        if (!conns[i].pending)
            return 2;
    }

    t0 = now();
    t_end = seconds > 0 ? t0 + seconds : t0 + timeout;
    for (;;) {
        double t = now();
        int issuing = (limit ? issued < limit : 1) && (seconds == 0 || t < t_end);
        int inflight = 0, n = 0;

        if (t >= t0 + (seconds > 0 ? seconds + 10 : timeout))
            break; /* replies overdue */
        alive = 0;
        for (i = 0; i < nconn; i++) {
            struct lconn *c = &conns[i];

            if (c->dead)
                continue;
            alive++;
            while (issuing && c->pcount < depth && (!limit || issued < limit)) {
                unsigned long k;
                int is_set;

                if (mode == MODE_MIXED) {
                    k = (unsigned long)(next_random() % nkeys);
                    is_set = (double)(next_random() % 1000000) <
                             set_ratio * 1000000.0;
                } else {
                    k = next_seq++;
                    is_set = mode == MODE_FILL;
                }
                add_request(c, k, is_set);
            }
            if (c->outoff < c->outlen)
                do_write(c);
            if (c->dead)
                continue;
            inflight += c->pcount;
            pfds[n].fd = c->fd;
            pfds[n].events = POLLIN | (c->outoff < c->outlen ? POLLOUT : 0);
            pfds[n].revents = 0;
            n++;
        }
        if (alive == 0 || (inflight == 0 && !issuing))
            break;
        if (poll(pfds, (nfds_t)n, 100) < 0 && errno != EINTR) {
            perror("kvload: poll");
            break;
        }
        n = 0;
        for (i = 0; i < nconn; i++) {
            struct lconn *c = &conns[i];

            if (c->dead)
                continue;
            if (pfds[n].revents & (POLLIN | POLLHUP | POLLERR))
                do_read(c);
            if (!c->dead && (pfds[n].revents & POLLOUT))
                do_write(c);
            n++;
        }
    }
    elapsed = now() - t0;
    for (i = 0; i < nconn; i++) {
        kill_conn(&conns[i]); /* requests still in flight are errors */
        free(conns[i].out);
        free(conns[i].pending);
    }
    if (limit && issued < limit)
        errors += limit - issued;
    free(conns);
    free(pfds);
    printf("requests=%lu seconds=%.2f rps=%.0f errors=%lu\n", completed, elapsed,
           elapsed > 0 ? (double)completed / elapsed : 0.0, errors);
    return errors ? 1 : 0;
}
