/* stats.c - definition of the statistics global. */
#include "stats.h"

#include <string.h>

struct stats stats;

void stats_init(void)
{
    memset(&stats, 0, sizeof stats);
    stats.started = time(NULL);
}
