/* server.c - the listening socket and client connections.
 *
 * Every socket is non-blocking. A connection owns an input buffer that grows
 * up to KV_MAX_LINE bytes: whenever bytes arrive, each complete line is cut
 * out and handed to the connection's line handler; what follows the last
 * newline waits for more bytes. A buffer that fills up without a newline gets
 * one "ERROR line too long" and the rest of that line is skipped. Replies are
 * appended to an output buffer that is written as far as the socket takes it,
 * the rest when poll() says the socket is writable; while a client leaves
 * more than KV_OUT_HIGH bytes unread, no more of its lines are served and
 * its input is not read.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4, SOCK_NONBLOCK, getaddrinfo, strcasecmp */
#endif
#include "server.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "commands.h"
#include "stats.h"
#include "util.h"

#define KV_IN_INITIAL 512

static struct conn **conn_table; /* indexed by file descriptor */
static size_t conn_table_cap;
static int conn_max_fd = -1;
static size_t conn_live;

static struct conn *conn_new(int fd)
{
    static unsigned long next_id;
    struct conn *c;

    if ((size_t)fd >= conn_table_cap) {
        size_t n = conn_table_cap ? conn_table_cap : 64;

        while (n <= (size_t)fd)
            n *= 2;
        conn_table = xrealloc(conn_table, n * sizeof *conn_table);
        memset(conn_table + conn_table_cap, 0,
               (n - conn_table_cap) * sizeof *conn_table);
        conn_table_cap = n;
    }
    c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->fd = fd;
    c->id = ++next_id;
    c->on_line = command_dispatch;
    conn_table[fd] = c;
    if (fd > conn_max_fd)
        conn_max_fd = fd;
    conn_live++;
    stats.connections_total++;
    stats.connections_active++;
    return c;
}

static void conn_free(struct conn *c)
{
    log_msg("connection %lu closed", c->id);
    conn_table[c->fd] = NULL;
    while (conn_max_fd >= 0 && !conn_table[conn_max_fd])
        conn_max_fd--;
    close(c->fd);
    free(c->in);
    free(c->out);
    free(c);
    conn_live--;
    stats.connections_active--;
}

static void out_reserve(struct conn *c, size_t n)
{
    if (c->outoff > 0 && c->outoff == c->outlen) {
        c->outoff = c->outlen = 0;
    }
    if (c->outlen + n <= c->outcap)
        return;
    if (c->outoff > 0) {
        memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
        c->outlen -= c->outoff;
        c->outoff = 0;
        if (c->outlen + n <= c->outcap)
            return;
    }
    if (c->outcap == 0)
        c->outcap = 256;
    while (c->outlen + n > c->outcap)
        c->outcap *= 2;
    c->out = xrealloc(c->out, c->outcap);
}

void conn_reply(struct conn *c, const char *line)
{
    size_t len = strlen(line);

    out_reserve(c, len + 1);
    memcpy(c->out + c->outlen, line, len);
    c->out[c->outlen + len] = '\n';
    c->outlen += len + 1;
}

void conn_printf(struct conn *c, const char *fmt, ...)
{
    va_list ap, ap2;
    int len;

    va_start(ap, fmt);
    va_copy(ap2, ap);
    len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0) {
        va_end(ap2);
        conn_reply(c, "ERROR internal");
        return;
    }
    out_reserve(c, (size_t)len + 2);
    vsnprintf(c->out + c->outlen, (size_t)len + 1, fmt, ap2);
    va_end(ap2);
    c->out[c->outlen + (size_t)len] = '\n';
    c->outlen += (size_t)len + 1;
}

void conn_close_after_reply(struct conn *c)
{
    c->closing = 1;
}

/* Writes as much queued output as the socket takes. Returns -1 on error. */
static int conn_flush(struct conn *c)
{
    while (c->outoff < c->outlen) {
        ssize_t w = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            return -1;
        }
        c->outoff += (size_t)w;
        stats.bytes_out += (unsigned long)w;
    }
    c->outoff = c->outlen = 0;
    return 0;
}

/* Hands the complete lines in the input buffer to the line handler, while
 * less than limit bytes of output wait. */
static void conn_process(struct conn *c, size_t limit)
{
    size_t start = 0;

    while (!c->closing && start < c->inlen && c->outlen - c->outoff < limit) {
        char *line = c->in + start;
        char *nl = memchr(line, '\n', c->inlen - start);
        size_t len;

        if (!nl)
            break;
        len = (size_t)(nl - line);
        start += len + 1;
        if (c->discarding) {
            c->discarding = 0;
            continue;
        }
        *nl = '\0';
        if (len > 0 && line[len - 1] == '\r')
            line[--len] = '\0';
        c->on_line(c, line, len);
    }
    if (c->closing) {
        c->inlen = 0;
        return;
    }
    memmove(c->in, c->in + start, c->inlen - start);
    c->inlen -= start;
    if (c->inlen == KV_MAX_LINE && !memchr(c->in, '\n', c->inlen)) {
        if (!c->discarding)
            conn_reply(c, "ERROR line too long");
        c->discarding = 1;
        c->inlen = 0;
    }
}

/* The client closed its side: serve the lines left (at most one buffer),
 * and a last line without newline still counts. */
static void conn_eof(struct conn *c)
{
    conn_process(c, (size_t)-1);
    if (!c->closing && !c->discarding && c->inlen > 0) {
        c->in[c->inlen] = '\0';
        if (c->in[c->inlen - 1] == '\r')
            c->in[--c->inlen] = '\0';
        c->on_line(c, c->in, c->inlen);
    }
    c->inlen = 0;
    c->closing = 1;
}

/* Reads what is there. Returns -1 when the connection must be dropped. */
static int conn_read(struct conn *c)
{
    ssize_t r;

    if (c->inlen == KV_MAX_LINE) {
        /* Full of lines held back while output was waiting. */
        conn_process(c, KV_OUT_HIGH);
        if (c->inlen == KV_MAX_LINE || c->closing)
            return 0;
    }
    if (c->inlen == c->incap) {
        size_t n = c->incap ? c->incap * 2 : KV_IN_INITIAL;

        if (n > KV_MAX_LINE)
            n = KV_MAX_LINE;
        /* One spare byte for the NUL of a final unterminated line. */
        c->in = xrealloc(c->in, n + 1);
        c->incap = n;
    }
    r = read(c->fd, c->in + c->inlen, c->incap - c->inlen);
    if (r < 0) {
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        return -1;
    }
    if (r == 0) {
        conn_eof(c);
        return 0;
    }
    stats.bytes_in += (unsigned long)r;
    c->inlen += (size_t)r;
    conn_process(c, KV_OUT_HIGH);
    return 0;
}

size_t server_conn_slots(void)
{
    return conn_live;
}

size_t server_fill_pollfds(struct pollfd *pfds, size_t room)
{
    size_t n = 0;
    int fd;

    for (fd = 0; fd <= conn_max_fd && n < room; fd++) {
        struct conn *c = conn_table[fd];
        size_t pending;

        if (!c)
            continue;
        pending = c->outlen - c->outoff;
        pfds[n].fd = fd;
        pfds[n].events = 0;
        pfds[n].revents = 0;
        if (!c->closing && pending < KV_OUT_HIGH)
            pfds[n].events |= POLLIN;
        if (pending > 0)
            pfds[n].events |= POLLOUT;
        n++;
    }
    return n;
}

void server_conn_event(int fd, short revents)
{
    struct conn *c;

    if (fd < 0 || (size_t)fd >= conn_table_cap || !(c = conn_table[fd]))
        return;
    if (revents & (POLLERR | POLLNVAL)) {
        conn_free(c);
        return;
    }
    if ((revents & (POLLIN | POLLHUP)) && !c->closing && conn_read(c) < 0) {
        conn_free(c);
        return;
    }
    if (conn_flush(c) < 0) {
        conn_free(c);
        return;
    }
    while (!c->closing && c->inlen > 0 && c->outoff == c->outlen) {
        /* Output drained: serve lines held back by backpressure, until
         * output waits again or no complete line is left. */
        size_t before = c->inlen;

        conn_process(c, KV_OUT_HIGH);
        if (conn_flush(c) < 0) {
            conn_free(c);
            return;
        }
        if (c->inlen == before)
            break;
    }
    if (c->closing && c->outoff == c->outlen)
        conn_free(c);
}

void server_accept(int listen_fd)
{
    int i;

    for (i = 0; i < 64; i++) {
        int one = 1;
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        struct conn *c;

        if (fd < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                log_errno("accept");
            return;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c = conn_new(fd);
        if (!c) {
            close(fd);
            continue;
        }
        log_msg("connection %lu accepted (fd %d)", c->id, fd);
    }
}

int server_listen(const char *addr, int port, int *bound_port)
{
    struct addrinfo hints, *res = NULL;
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof ss;
    char portstr[16];
    int fd, one = 1, err;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
    snprintf(portstr, sizeof portstr, "%d", port);
    err = getaddrinfo(addr, portstr, &hints, &res);
    if (err) {
        fprintf(stderr, "kvserver: bad address %s: %s\n", addr,
                gai_strerror(err));
        return -1;
    }
    fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                res->ai_protocol);
    if (fd < 0) {
        log_errno("socket");
        freeaddrinfo(res);
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 ||
        listen(fd, SOMAXCONN) < 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0) {
        log_errno("cannot listen on %s port %d", addr, port);
        close(fd);
        freeaddrinfo(res);
        return -1;
    }
    freeaddrinfo(res);
    if (ss.ss_family == AF_INET6)
        *bound_port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    else
        *bound_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

void server_shutdown(void)
{
    int fd;

    for (fd = 0; fd <= conn_max_fd; fd++)
        if (conn_table[fd]) {
            conn_flush(conn_table[fd]);
            conn_free(conn_table[fd]);
        }
    free(conn_table);
    conn_table = NULL;
    conn_table_cap = 0;
    conn_max_fd = -1;
}
