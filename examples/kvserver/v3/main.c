/* main.c - kvserver: a small TCP key-value server built to be updated live.
 *
 * usage: kvserver [-p PORT] [-b ADDR] [-v]
 *
 * Listens on ADDR (default 127.0.0.1) port PORT (default 7379; 0 picks a free
 * port), prints "listening on PORT" once ready and serves until SIGINT or
 * SIGTERM. See README.md for the protocol.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4, SOCK_NONBLOCK, getaddrinfo, strcasecmp */
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <dsu.h>

#include "server.h"
#include "stats.h"
#include "store.h"
#include "util.h"

static void on_signal(int sig)
{
    (void)sig;
    server_stopping = 1;
}

/* Many clients need many descriptors: raise the soft limit to the hard one. */
static void raise_fd_limit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: kvserver [-p PORT] [-b ADDR] [-v]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *addr = "127.0.0.1";
    struct sigaction sa;
    int port = 7379, bound = 0, fd, opt, rc;
    char *end;

    while ((opt = getopt(argc, argv, "p:b:vh")) != -1) {
        switch (opt) {
        case 'p':
            port = (int)strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || port < 0 || port > 65535)
                usage();
            break;
        case 'b':
            addr = optarg;
            break;
        case 'v':
            verbose = 1;
            break;
        default:
            usage();
        }
    }
    if (optind != argc)
        usage();

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    raise_fd_limit();

    stats_init();
    if (store_init(1024) < 0) {
        fprintf(stderr, "kvserver: out of memory\n");
        return 1;
    }
    fd = server_listen(addr, port, &bound);
    if (fd < 0)
        return 1;
    printf("listening on %d\n", bound);
    fflush(stdout);
    log_msg("dsu version %s", dsu_current_version());

    rc = server_run(fd);

    server_shutdown();
    close(fd);
    store_free();
    log_msg("stopped");
    return rc < 0 ? 1 : 0;
}
