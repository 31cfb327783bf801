/* server.h - connections, the listening socket and the event loop. */
#ifndef KV_SERVER_H
#define KV_SERVER_H

#include <poll.h>
#include <signal.h>
#include <stddef.h>

/* Longest command line accepted, newline included. */
#define KV_MAX_LINE 16384

/* Stop reading from a client while this much output waits for it. */
#define KV_OUT_HIGH (1024 * 1024)

struct conn;

/* Called for each complete line (NUL-terminated, without "\r\n"). */
typedef void (*line_handler)(struct conn *c, char *line, size_t len);

struct conn {
    int fd;
    unsigned long id;
    char *in;              /* bytes read, not yet consumed as lines */
    size_t inlen, incap;
    char *out;             /* replies not yet written: out[outoff..outlen) */
    size_t outoff, outlen, outcap;
    int discarding;        /* skipping the rest of an over-long line */
    int closing;           /* close once the output is flushed */
    line_handler on_line;
};

/* Set by SIGINT/SIGTERM (and server_stop): server_run returns. */
extern volatile sig_atomic_t server_stopping;

/* loop.c: the event loop, until server_stopping. Returns 0 or -1. */
int server_run(int listen_fd);
void server_stop(void);

/* server.c */
int server_listen(const char *addr, int port, int *bound_port);
size_t server_conn_slots(void);
size_t server_fill_pollfds(struct pollfd *pfds, size_t room);
void server_conn_event(int fd, short revents);
void server_accept(int listen_fd);
void server_shutdown(void);

/* Replies: each call appends one line ("\n" is added). */
void conn_reply(struct conn *c, const char *line);
void conn_printf(struct conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Close c after the replies queued so far; later input is ignored. */
void conn_close_after_reply(struct conn *c);

#endif /* KV_SERVER_H */
