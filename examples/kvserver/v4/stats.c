/* stats.c - definition of the statistics global. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4, SOCK_NONBLOCK, getaddrinfo, strcasecmp */
#endif
#include "stats.h"

#include <string.h>

struct stats stats;

void stats_init(void)
{
    memset(&stats, 0, sizeof stats);
    stats.started = time(NULL);
}
