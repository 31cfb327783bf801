//===- LibraryCalls.cpp - which library functions may call program code
//----===//
//
// Code not built with dsu-cc can call a program function only through an
// address the program gave it (UpdateReach.cpp states the assumptions). A
// library call therefore may lead to an update point only if the library can
// call back: an event loop (libevent's event_base_loop calling a handler),
// qsort's comparator, pthread_once. Treating every library call that way
// makes every function that calls malloc or printf "possibly active" as soon
// as one callback holds an update point, and with it every type such a
// function touches a conflict for every update.
//
// So calls into the functions below are not callback paths:
//
//  * C library functions that never call program code (they take no
//    function pointers and keep none);
//  * functions that only register handlers run asynchronously (signal,
//    sigaction: signal handlers must not hold update points) or at exit,
//    and exit itself, which never returns, so no frame suspended under it
//    resumes (the continuation analysis treats every call that does not
//    return so);
//  * libevent's functions that only register or remove handlers: the
//    handlers run from its loop, never from event_add.
//
// Everything else not built with dsu-cc (other libraries, qsort, bsearch,
// pthread_once, the event loops, anything not listed) may call back any
// function whose address the program lets escape. The list is plain names:
// a program that defines its own `printf` defines it with dsu-cc, and then
// the call is not a library call at all.
//
//===----------------------------------------------------------------------===//
#include "dsu/Analysis/LibraryCalls.h"

#include <set>
#include <string>

using namespace dsu;

namespace {
const std::set<std::string> &leafFunctions() {
  static const std::set<std::string> Names = {
      // <string.h>, <strings.h>, <ctype.h>
      "memcpy", "memmove", "memset", "memcmp", "memchr", "memrchr", "memmem",
      "mempcpy", "strcpy", "strncpy", "strcat", "strncat", "strcmp", "strncmp",
      "strcasecmp", "strncasecmp", "strchr", "strrchr", "strstr", "strcasestr",
      "strlen", "strnlen", "strdup", "strndup", "strspn", "strcspn", "strpbrk",
      "strtok", "strtok_r", "strsep", "strerror", "strerror_r", "stpcpy",
      "stpncpy", "strlcpy", "strlcat", "strsignal", "bzero", "bcopy", "bcmp",
      "index", "rindex", "explicit_bzero", "isalnum", "isalpha", "isdigit",
      "isspace", "isupper", "islower", "isprint", "ispunct", "isxdigit",
      "iscntrl", "isgraph", "isblank", "isascii", "toupper", "tolower",
      "__ctype_b_loc", "__ctype_toupper_loc", "__ctype_tolower_loc",
      // <stdlib.h>
      "malloc", "calloc", "realloc", "reallocarray", "free", "aligned_alloc",
      "posix_memalign", "memalign", "valloc", "malloc_usable_size", "atoi",
      "atol", "atoll", "atof", "strtol", "strtoul", "strtoll", "strtoull",
      "strtod", "strtof", "strtold", "strtoimax", "strtoumax", "abs", "labs",
      "llabs", "div", "ldiv", "rand", "srand", "rand_r", "random", "srandom",
      "drand48", "lrand48", "srand48", "getenv", "secure_getenv", "setenv",
      "unsetenv", "putenv", "abort", "mkstemp", "mkdtemp", "realpath",
      "__errno_location", "__assert_fail", "__stack_chk_fail",
      // <stdio.h>: streams dsu-cc code opens itself (no fopencookie)
      "printf", "fprintf", "sprintf", "snprintf", "vprintf", "vfprintf",
      "vsprintf", "vsnprintf", "asprintf", "vasprintf", "dprintf", "puts",
      "fputs", "putc", "fputc", "putchar", "fwrite", "fread", "fgets", "fgetc",
      "getc", "getchar", "ungetc", "getline", "getdelim", "fflush", "fopen",
      "fdopen", "freopen", "fclose", "fseek", "ftell", "fseeko", "ftello",
      "rewind", "feof", "ferror", "clearerr", "fileno", "setvbuf", "setbuf",
      "setlinebuf", "perror", "sscanf", "fscanf", "scanf", "vsscanf", "remove",
      "rename", "tmpfile", "__isoc99_sscanf", "__isoc99_fscanf",
      "__isoc99_scanf", "__printf_chk", "__fprintf_chk", "__sprintf_chk",
      "__snprintf_chk", "__vfprintf_chk", "__memcpy_chk", "__memset_chk",
      "__strcpy_chk", "__strcat_chk", "__strncpy_chk", "__fread_chk",
      "__read_chk", "popen", "pclose",
      // POSIX I/O, processes, time, sockets
      "open", "openat", "close", "read", "write", "pread", "pwrite", "readv",
      "writev", "lseek", "fcntl", "ioctl", "dup", "dup2", "dup3", "pipe",
      "pipe2", "stat", "fstat", "lstat", "fstatat", "access", "unlink", "mkdir",
      "rmdir", "chdir", "getcwd", "chmod", "fchmod", "chown", "fchown", "umask",
      "truncate", "ftruncate", "fsync", "fdatasync", "opendir", "readdir",
      "closedir", "mmap", "munmap", "mprotect", "madvise", "sysconf", "getpid",
      "getppid", "getuid", "geteuid", "getgid", "getegid", "setuid", "setgid",
      "seteuid", "setegid", "setsid", "setpgid", "getpwnam", "getpwuid",
      "getgrnam", "getrlimit", "setrlimit", "getrusage", "fork", "execv",
      "execve", "execvp", "execl", "execlp", "_exit", "kill", "raise", "wait",
      "waitpid", "sleep", "usleep", "nanosleep", "alarm", "time",
      "gettimeofday", "clock_gettime", "clock", "difftime", "localtime",
      "localtime_r", "gmtime", "gmtime_r", "mktime", "strftime", "ctime",
      "ctime_r", "asctime", "tzset", "socket", "socketpair", "bind", "listen",
      "accept", "accept4", "connect", "send", "sendto", "sendmsg", "recv",
      "recvfrom", "recvmsg", "shutdown", "setsockopt", "getsockopt",
      "getsockname", "getpeername", "getaddrinfo", "freeaddrinfo",
      "gai_strerror", "inet_ntop", "inet_pton", "inet_addr", "inet_ntoa",
      "inet_aton", "htons", "htonl", "ntohs", "ntohl", "gethostbyname",
      "gethostname", "poll", "ppoll", "select", "pselect", "epoll_create",
      "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "eventfd",
      "signalfd", "timerfd_create", "timerfd_settime", "sigemptyset",
      "sigfillset", "sigaddset", "sigdelset", "sigismember", "sigprocmask",
      "pthread_sigmask", "isatty", "ttyname", "getopt", "getopt_long", "syslog",
      "openlog", "closelog", "vsyslog", "daemon", "chroot", "initgroups",
      "setgroups", "getgroups", "crypt", "uname",
      // <pthread.h> (pthread_create is routed through the runtime)
      "pthread_mutex_init", "pthread_mutex_destroy", "pthread_mutex_lock",
      "pthread_mutex_unlock", "pthread_mutex_trylock", "pthread_cond_init",
      "pthread_cond_destroy", "pthread_cond_wait", "pthread_cond_timedwait",
      "pthread_cond_signal", "pthread_cond_broadcast", "pthread_self",
      "pthread_equal", "pthread_join", "pthread_detach", "pthread_attr_init",
      "pthread_attr_destroy", "pthread_attr_setstacksize",
      "pthread_attr_setdetachstate", "pthread_rwlock_init",
      "pthread_rwlock_rdlock", "pthread_rwlock_wrlock", "pthread_rwlock_unlock",
      "pthread_rwlock_destroy", "pthread_getspecific", "pthread_setspecific",
      "sem_init", "sem_wait", "sem_post", "sem_destroy", "sched_yield",
      // Handlers registered here run asynchronously (signal handlers must
      // not hold update points, see UpdateReach.cpp) or at exit, and exit
      // never returns, so no frame suspended under it resumes.
      "signal", "sigaction", "atexit", "on_exit", "exit", "_Exit", "err",
      "errx", "warn", "warnx", "mlockall", "munlockall",
      // libevent's registration API: it records handlers, and only the
      // loop (event_base_loop, event_dispatch...) runs them. Buffer,
      // bufferevent, http and dns functions may run callbacks and are not
      // listed.
      "event_init", "event_base_new", "event_base_new_with_config",
      "event_base_free", "event_base_set", "event_set", "event_assign",
      "event_new", "event_free", "event_add", "event_del", "event_pending",
      "event_initialized", "event_get_fd", "event_get_base",
      "event_base_loopexit", "event_base_loopbreak", "event_loopexit",
      "event_loopbreak", "event_reinit", "event_get_version",
      "event_base_get_method", "event_priority_init", "event_priority_set",
      "event_base_priority_init", "event_config_new", "event_config_free",
      "evutil_make_socket_nonblocking", "evutil_closesocket",
      "evutil_socketpair", "evutil_gettimeofday",
      // <math.h>
      "sqrt", "pow", "floor", "ceil", "fabs", "log", "log10", "exp", "fmod",
      "round", "lround", "trunc"};
  return Names;
}
} // namespace

bool dsu::libraryMayCallBack(llvm::StringRef Name) {
  // The runtime's entry points (update points, heap tracking, thread
  // registration) run transformers of the new version, never old code.
  if (Name.starts_with("__dsu") || Name.starts_with("dsu_") ||
      Name.starts_with("llvm."))
    return false;
  return !leafFunctions().count(Name.str());
}
