/* ae.c with its select(2) backend: config.h picks epoll on Linux, which
 * dsu symex does not model; the select backend only keeps fd_sets. */
#include "config.h"
#undef HAVE_EPOLL
#undef HAVE_KQUEUE
#include "ae.c"
