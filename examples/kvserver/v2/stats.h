/* stats.h - the server-wide statistics, one global struct. */
#ifndef KV_STATS_H
#define KV_STATS_H

#include <time.h>

struct stats {
    time_t started;
    unsigned long connections_total; /* accepted since start */
    unsigned int connections_active;
    unsigned int commands;           /* commands executed (32 bits) */
    unsigned long get_hits;
    unsigned long get_misses;
    unsigned long sets;
    unsigned long dels;
    unsigned long bytes_in;
    unsigned long bytes_out;
};

extern struct stats stats;

void stats_init(void);

#endif /* KV_STATS_H */
