/* kvclient.c - line client for kvserver.
 *
 * usage: kvclient [-e] [-t SECONDS] HOST PORT
 *
 * Reads commands from stdin, one per line. Blank lines (which the server
 * does not answer) and lines starting with '#' are skipped. Each command is sent, and its reply line (every
 * kvserver command has exactly one) is printed on stdout; with -e the
 * command is echoed first as "> COMMAND". Stops after QUIT or at the end of
 * stdin. Fails (exit 1) if the server closes the connection early or does
 * not answer within SECONDS (default 10).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static char rbuf[65536];
static size_t rlen, roff;

static int connect_to(const char *host, const char *port, int timeout)
{
    struct addrinfo hints, *res, *ai;
    struct timeval tv;
    int fd = -1, err;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    err = getaddrinfo(host, port, &hints, &res);
    if (err) {
        fprintf(stderr, "kvclient: %s: %s\n", host, gai_strerror(err));
        return -1;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        fprintf(stderr, "kvclient: cannot connect to %s port %s: %s\n", host,
                port, strerror(errno));
        return -1;
    }
    tv.tv_sec = timeout;
    tv.tv_usec = 0;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Prints one reply line (with its newline). Returns 0, or -1 on EOF/error. */
static int print_reply(int fd)
{
    for (;;) {
        char *nl = memchr(rbuf + roff, '\n', rlen - roff);
        ssize_t r;

        if (nl) {
            size_t n = (size_t)(nl - (rbuf + roff)) + 1;

            fwrite(rbuf + roff, 1, n, stdout);
            roff += n;
            return 0;
        }
        if (roff > 0) {
            memmove(rbuf, rbuf + roff, rlen - roff);
            rlen -= roff;
            roff = 0;
        }
        if (rlen == sizeof rbuf) {
            /* A reply longer than the buffer: print what we have. */
            fwrite(rbuf, 1, rlen, stdout);
            rlen = 0;
        }
        r = recv(fd, rbuf + rlen, sizeof rbuf - rlen, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            fprintf(stderr, "kvclient: %s\n",
                    errno == EAGAIN || errno == EWOULDBLOCK ? "timed out"
                                                            : strerror(errno));
            return -1;
        }
        if (r == 0) {
            fprintf(stderr, "kvclient: connection closed by server\n");
            return -1;
        }
        rlen += (size_t)r;
    }
}

/* Lines the server would not answer: empty or blank. */
static int is_blank(const char *line)
{
    while (*line == ' ' || *line == '\t' || *line == '\r')
        line++;
    return *line == '\0';
}

static int is_quit(const char *line)
{
    while (*line == ' ' || *line == '\t')
        line++;
    if (strncasecmp(line, "QUIT", 4) != 0)
        return 0;
    line += 4;
    while (*line == ' ' || *line == '\t' || *line == '\r')
        line++;
    return *line == '\0';
}

static void usage(void)
{
    fprintf(stderr, "usage: kvclient [-e] [-t SECONDS] HOST PORT\n");
    exit(2);
}

int main(int argc, char **argv)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int fd, opt, echo = 0, timeout = 10, rc = 0;

    while ((opt = getopt(argc, argv, "et:h")) != -1) {
        switch (opt) {
        case 'e':
            echo = 1;
            break;
        case 't':
            timeout = atoi(optarg);
            if (timeout <= 0)
                usage();
            break;
        default:
            usage();
        }
    }
    if (argc - optind != 2)
        usage();
    fd = connect_to(argv[optind], argv[optind + 1], timeout);
    if (fd < 0)
        return 1;

    while ((len = getline(&line, &cap, stdin)) >= 0) {
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        if (is_blank(line) || line[0] == '#')
            continue;
        if (echo) {
            printf("> %s\n", line);
            fflush(stdout);
        }
        line[len] = '\n';
        if (send_all(fd, line, (size_t)len + 1) < 0) {
            fprintf(stderr, "kvclient: send: %s\n", strerror(errno));
            rc = 1;
            break;
        }
        line[len] = '\0';
        if (print_reply(fd) < 0) {
            rc = 1;
            break;
        }
        fflush(stdout);
        if (is_quit(line))
            break;
    }
    free(line);
    close(fd);
    return rc;
}
