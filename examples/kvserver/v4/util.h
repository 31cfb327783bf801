/* util.h - logging and small helpers shared by every file of kvserver. */
#ifndef KV_UTIL_H
#define KV_UTIL_H

#include <stdarg.h>
#include <stddef.h>

/* Non-zero when -v was given: log_msg writes to stderr. */
extern int verbose;

/* printf-style diagnostics on stderr, prefixed with "kvserver: ". */
void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_vmsg(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Like log_msg, but always printed, and followed by strerror(errno). */
void log_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Allocation that never returns NULL: the process exits on failure. */
void *xrealloc(void *p, size_t n);

#endif /* KV_UTIL_H */
