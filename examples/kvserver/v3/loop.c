/* loop.c - the event loop.
 *
 * One thread, one poll() set rebuilt each iteration: the listening socket,
 * the dsu update descriptor (readable while an update is pending) and every
 * client connection. The loop is the program's only update point and never
 * returns while the server runs, so it stays in the code it started in; it
 * therefore touches nothing but struct pollfd and leaves all the real work
 * to functions of server.c, which an update can replace. This file is the
 * same in every version.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4, SOCK_NONBLOCK, getaddrinfo, strcasecmp */
#endif
#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include <dsu.h>

#include "server.h"
#include "util.h"

volatile sig_atomic_t server_stopping;

void server_stop(void)
{
    server_stopping = 1;
}

int server_run(int listen_fd)
{
    struct pollfd *pfds = NULL;
    size_t cap = 0;
    int rc = 0;

    while (!server_stopping) {
        size_t n = 0, first_conn, i, want;
        int ufd, ready;

        DSU_UPDATE_POINT();

        want = server_conn_slots() + 2;
        if (want > cap) {
            pfds = xrealloc(pfds, want * sizeof *pfds);
            cap = want;
        }
        pfds[n].fd = listen_fd;
        pfds[n].events = POLLIN;
        pfds[n].revents = 0;
        n++;
        ufd = dsu_update_fd();
        if (ufd >= 0) {
            /* Never read: the update point above does the work. */
            pfds[n].fd = ufd;
            pfds[n].events = POLLIN;
            pfds[n].revents = 0;
            n++;
        }
        first_conn = n;
        n += server_fill_pollfds(pfds + n, cap - n);

        ready = poll(pfds, (nfds_t)n, 1000);
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            log_errno("poll");
            rc = -1;
            break;
        }
        if (ready == 0)
            continue;
        for (i = first_conn; i < n; i++)
            if (pfds[i].revents)
                server_conn_event(pfds[i].fd, pfds[i].revents);
        if (pfds[0].revents & POLLIN)
            server_accept(listen_fd);
    }
    free(pfds);
    return rc;
}
