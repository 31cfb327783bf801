/* util.c - logging and allocation helpers. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4, SOCK_NONBLOCK, getaddrinfo, strcasecmp */
#endif
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int verbose;

void log_vmsg(const char *fmt, va_list ap)
{
    fputs("kvserver: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void log_msg(const char *fmt, ...)
{
    va_list ap;

    if (!verbose)
        return;
    va_start(ap, fmt);
    log_vmsg(fmt, ap);
    va_end(ap);
}

void log_errno(const char *fmt, ...)
{
    int saved = errno;
    va_list ap;

    fputs("kvserver: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, ": %s\n", strerror(saved));
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);

    if (!q) {
        fputs("kvserver: out of memory\n", stderr);
        exit(1);
    }
    return q;
}
