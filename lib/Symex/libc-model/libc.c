/* libc.c - the C library that dsu symex links into every program.
 *
 * The symbolic executor interprets LLVM IR; it cannot call the host's libc
 * on symbolic data. Instead, the libc functions that servers and tests use
 * are written here in plain C, compiled by clang-19 to bitcode and linked
 * (only what the program needs) after the program's own modules. Because
 * the engine executes them like user code, they work on symbolic bytes:
 * strlen over a symbolic buffer forks once per possible length, atoi forks
 * on each digit, printf("%d") of a symbolic value forks on its digit count.
 *
 * Only a handful of primitives are built into the engine (written in C++):
 * the malloc family, memcpy/memmove/memset with concrete sizes, exit/abort,
 * the klee_* intrinsics and the __dsu_* hooks declared below.
 *
 * This file includes no system header: it must compile to the same bitcode
 * on any host, and it defines objects (stdin, stdout, errno) that the system
 * headers only declare. Every definition is weak so a program may define its
 * own version of any of these functions.
 */

typedef unsigned long size_t;
typedef long ssize_t;
typedef __builtin_va_list va_list;
#define va_start(ap, last) __builtin_va_start(ap, last)
#define va_arg(ap, type) __builtin_va_arg(ap, type)
#define va_end(ap) __builtin_va_end(ap)
#define va_copy(d, s) __builtin_va_copy(d, s)
#define NULL ((void *)0)
#define W __attribute__((weak))
#define LONG_MAX 9223372036854775807L
#define LONG_MIN (-LONG_MAX - 1L)
#define ULONG_MAX 18446744073709551615UL

/* Engine primitives. */
void *malloc(size_t);
void free(void *);
void *memcpy(void *, const void *, size_t);
void *memmove(void *, const void *, size_t);
void *memset(void *, int, size_t);
void exit(int) __attribute__((noreturn));
void abort(void) __attribute__((noreturn));
void __dsu_output(int fd, const char *buf, size_t n);
long __dsu_stdin_size(void);
void __dsu_symbolic_stdin(void *buf, size_t n);
long __dsu_time(void);

/* ---- FILE objects and errno ------------------------------------------- */

static char dsu_files[3];
W void *stdin = &dsu_files[0];
W void *stdout = &dsu_files[1];
W void *stderr = &dsu_files[2];
static int dsu_errno;
W int *__errno_location(void) { return &dsu_errno; }

static int file_fd(void *f) {
  if (f == stdin)
    return 0;
  if (f == stdout)
    return 1;
  if (f == stderr)
    return 2;
  return -1;
}

/* ---- ctype.h ---------------------------------------------------------- */

/* Branch-free (ranges as one unsigned comparison, | and & rather than ||
 * and &&): a symbolic character gives one term, not a fork per test. Each
 * fork of tolower() inside strcasecmp() doubled kvparse's paths. */
#define IN_RANGE(c, lo, hi)                                                    \
  ((unsigned)(c) - (unsigned)(lo) <= (unsigned)(hi) - (unsigned)(lo))
W int isdigit(int c) { return IN_RANGE(c, '0', '9'); }
W int isupper(int c) { return IN_RANGE(c, 'A', 'Z'); }
W int islower(int c) { return IN_RANGE(c, 'a', 'z'); }
W int isalpha(int c) { return isupper(c) | islower(c); }
W int isalnum(int c) { return isalpha(c) | isdigit(c); }
W int isxdigit(int c) {
  return isdigit(c) | IN_RANGE(c, 'a', 'f') | IN_RANGE(c, 'A', 'F');
}
W int isspace(int c) { return (c == ' ') | IN_RANGE(c, '\t', '\r'); }
W int isblank(int c) { return (c == ' ') | (c == '\t'); }
W int iscntrl(int c) { return IN_RANGE(c, 0, 31) | (c == 127); }
W int isprint(int c) { return IN_RANGE(c, 32, 126); }
W int isgraph(int c) { return IN_RANGE(c, 33, 126); }
W int ispunct(int c) { return isgraph(c) & !isalnum(c); }
W int toupper(int c) { return c - (islower(c) << 5); }
W int tolower(int c) { return c + (isupper(c) << 5); }

/* glibc's <ctype.h> macros index these tables (offset by 128). */
static unsigned short ctype_b[384];
static int ctype_upper[384], ctype_lower[384];
static const unsigned short *ctype_b_ptr;
static const int *ctype_upper_ptr, *ctype_lower_ptr;

static void ctype_init(void) {
  if (ctype_b_ptr)
    return;
  for (int i = 0; i < 384; ++i) {
    int c = i - 128;
    unsigned short m = 0;
    if (c >= 0 && c < 128) {
      /* glibc bit assignment (little-endian): _ISupper=1<<8, _ISlower=1<<9,
         _ISalpha=1<<10, _ISdigit=1<<11, _ISxdigit=1<<12, _ISspace=1<<13,
         _ISprint=1<<14, _ISgraph=1<<15, _ISblank=1<<0, _IScntrl=1<<1,
         _ISpunct=1<<2, _ISalnum=1<<3. */
      if (isupper(c))
        m |= 1 << 8;
      if (islower(c))
        m |= 1 << 9;
      if (isalpha(c))
        m |= 1 << 10;
      if (isdigit(c))
        m |= 1 << 11;
      if (isxdigit(c))
        m |= 1 << 12;
      if (isspace(c))
        m |= 1 << 13;
      if (isprint(c))
        m |= 1 << 14;
      if (isgraph(c))
        m |= 1 << 15;
      if (isblank(c))
        m |= 1 << 0;
      if (iscntrl(c))
        m |= 1 << 1;
      if (ispunct(c))
        m |= 1 << 2;
      if (isalnum(c))
        m |= 1 << 3;
    }
    ctype_b[i] = m;
    ctype_upper[i] = (c >= 0 && c < 128) ? toupper(c) : c;
    ctype_lower[i] = (c >= 0 && c < 128) ? tolower(c) : c;
  }
  ctype_b_ptr = ctype_b + 128;
  ctype_upper_ptr = ctype_upper + 128;
  ctype_lower_ptr = ctype_lower + 128;
}
W const unsigned short **__ctype_b_loc(void) {
  ctype_init();
  return &ctype_b_ptr;
}
W const int **__ctype_toupper_loc(void) {
  ctype_init();
  return &ctype_upper_ptr;
}
W const int **__ctype_tolower_loc(void) {
  ctype_init();
  return &ctype_lower_ptr;
}

/* ---- string.h --------------------------------------------------------- */

W size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n])
    ++n;
  return n;
}
W size_t strnlen(const char *s, size_t max) {
  size_t n = 0;
  while (n < max && s[n])
    ++n;
  return n;
}
W int strcmp(const char *a, const char *b) {
  while (*a && *a == *b)
    ++a, ++b;
  return (unsigned char)*a - (unsigned char)*b;
}
W int strncmp(const char *a, const char *b, size_t n) {
  for (; n; --n, ++a, ++b) {
    if (*a != *b)
      return (unsigned char)*a - (unsigned char)*b;
    if (!*a)
      return 0;
  }
  return 0;
}
W int strcasecmp(const char *a, const char *b) {
  while (*a && tolower((unsigned char)*a) == tolower((unsigned char)*b))
    ++a, ++b;
  return tolower((unsigned char)*a) - tolower((unsigned char)*b);
}
W int strncasecmp(const char *a, const char *b, size_t n) {
  for (; n; --n, ++a, ++b) {
    int x = tolower((unsigned char)*a), y = tolower((unsigned char)*b);
    if (x != y)
      return x - y;
    if (!x)
      return 0;
  }
  return 0;
}
W char *strcpy(char *d, const char *s) {
  char *r = d;
  while ((*d++ = *s++))
    ;
  return r;
}
W char *strncpy(char *d, const char *s, size_t n) {
  size_t i = 0;
  for (; i < n && s[i]; ++i)
    d[i] = s[i];
  for (; i < n; ++i)
    d[i] = 0;
  return d;
}
W char *strcat(char *d, const char *s) {
  strcpy(d + strlen(d), s);
  return d;
}
W char *strncat(char *d, const char *s, size_t n) {
  char *e = d + strlen(d);
  size_t i = 0;
  for (; i < n && s[i]; ++i)
    e[i] = s[i];
  e[i] = 0;
  return d;
}
W char *strchr(const char *s, int c) {
  for (;; ++s) {
    if (*s == (char)c)
      return (char *)s;
    if (!*s)
      return NULL;
  }
}
W char *strrchr(const char *s, int c) {
  const char *r = NULL;
  for (;; ++s) {
    if (*s == (char)c)
      r = s;
    if (!*s)
      return (char *)r;
  }
}
W char *strstr(const char *h, const char *n) {
  if (!*n)
    return (char *)h;
  for (; *h; ++h) {
    size_t i = 0;
    while (n[i] && h[i] == n[i])
      ++i;
    if (!n[i])
      return (char *)h;
  }
  return NULL;
}
W size_t strspn(const char *s, const char *accept) {
  size_t n = 0;
  while (s[n] && strchr(accept, s[n]))
    ++n;
  return n;
}
W size_t strcspn(const char *s, const char *reject) {
  size_t n = 0;
  while (s[n] && !strchr(reject, s[n]))
    ++n;
  return n;
}
W char *strpbrk(const char *s, const char *accept) {
  s += strcspn(s, accept);
  return *s ? (char *)s : NULL;
}
W char *strtok_r(char *s, const char *delim, char **save) {
  if (!s)
    s = *save;
  if (!s)
    return NULL;
  s += strspn(s, delim);
  if (!*s) {
    *save = NULL;
    return NULL;
  }
  char *e = s + strcspn(s, delim);
  if (*e) {
    *e = 0;
    *save = e + 1;
  } else {
    *save = NULL;
  }
  return s;
}
static char *strtok_save;
W char *strtok(char *s, const char *delim) {
  return strtok_r(s, delim, &strtok_save);
}
W char *strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d)
    memcpy(d, s, n);
  return d;
}
W char *strndup(const char *s, size_t max) {
  size_t n = strnlen(s, max);
  char *d = malloc(n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = 0;
  }
  return d;
}
/* Branch-free: the difference at the first byte that differs, built from
 * the last byte back (a mask keeps the later result where this byte is
 * equal). A test per byte forked a path per position of the first
 * difference, and each such path asked the solver to show the bytes before
 * it equal: for a number printed back and compared with its text (redis's
 * integer encoding), one hard question per digit instead of one. */
W int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *x = a, *y = b;
  int r = 0;
  for (size_t i = n; i > 0; --i) {
    int d = x[i - 1] - y[i - 1];
    r = d | (-(d == 0) & r);
  }
  return r;
}
W int bcmp(const void *a, const void *b, size_t n) { return memcmp(a, b, n); }
W char *stpcpy(char *d, const char *s) {
  while ((*d = *s++))
    ++d;
  return d;
}
W void *mempcpy(void *d, const void *s, size_t n) {
  return (char *)memcpy(d, s, n) + n;
}
W void *memchr(const void *s, int c, size_t n) {
  const unsigned char *p = s;
  for (size_t i = 0; i < n; ++i)
    if (p[i] == (unsigned char)c)
      return (void *)(p + i);
  return NULL;
}

/* Byte loops the engine falls back to when a size is symbolic. */
W void *__dsu_memcpy_loop(void *d, const void *s, size_t n) {
  unsigned char *x = d;
  const unsigned char *y = s;
  for (size_t i = 0; i < n; ++i)
    x[i] = y[i];
  return d;
}
W void *__dsu_memmove_loop(void *d, const void *s, size_t n) {
  unsigned char *x = d;
  const unsigned char *y = s;
  if (x < y) {
    for (size_t i = 0; i < n; ++i)
      x[i] = y[i];
  } else {
    for (size_t i = n; i; --i)
      x[i - 1] = y[i - 1];
  }
  return d;
}
W void *__dsu_memset_loop(void *d, int c, size_t n) {
  unsigned char *x = d;
  for (size_t i = 0; i < n; ++i)
    x[i] = (unsigned char)c;
  return d;
}

/* ---- stdlib.h conversions --------------------------------------------- */

/* The value of character c as a digit of base (2-36), or base when it is
 * not one. Written for a symbolic c: for a base up to 10 the test is one
 * unsigned range comparison (one fork, "digit or not"), and letters are
 * tested only for a larger base; a test per range ('0'-'9', 'a'-'z',
 * 'A'-'Z') split every non-digit character into several paths that all stop
 * the number. The digit is computed in 8 bits and widened, so the value
 * built from it has no sign extension in it. */
static unsigned digit_in_base(unsigned c, unsigned base) {
  unsigned decimal = base < 10 ? base : 10;
  if (IN_RANGE(c, '0', '0' + decimal - 1))
    return (unsigned char)(c - '0');
  if (base > 10 && IN_RANGE(c | 0x20, 'a', 'a' + base - 11))
    return (unsigned char)((c | 0x20) - 'a' + 10);
  return base;
}

/* Digits of base from s, after blanks and a sign. *most is the largest
 * value the digits read could have made (concrete: base^n - 1 for n
 * digits): while base * most + base - 1 fits, no overflow test is built at
 * all, so a short symbolic number costs no 64-bit comparison; past that
 * the test is one branch-free term. */
static unsigned long parse_unsigned(const char *s, char **end, int base,
                                    int *neg, int *overflow,
                                    unsigned long *most) {
  const char *p = s;
  while (isspace((unsigned char)*p))
    ++p;
  *neg = 0;
  if (*p == '-') {
    *neg = 1;
    ++p;
  } else if (*p == '+') {
    ++p;
  }
  if ((base == 0 || base == 16) && p[0] == '0' &&
      (p[1] == 'x' || p[1] == 'X') &&
      digit_in_base((unsigned char)p[2], 16) < 16) {
    p += 2;
    base = 16;
  } else if (base == 0) {
    base = p[0] == '0' ? 8 : 10;
  }
  unsigned long v = 0;
  const char *start = p;
  const unsigned long limit = ULONG_MAX / (unsigned)base,
                      last = ULONG_MAX % (unsigned)base;
  *overflow = 0;
  *most = 0;
  for (;; ++p) {
    unsigned d = digit_in_base((unsigned char)*p, (unsigned)base);
    if (d >= (unsigned)base)
      break;
    if (*most > (ULONG_MAX - (unsigned)base + 1) / (unsigned)base) {
      *overflow |= (v > limit) | ((v == limit) & (d > last));
      *most = ULONG_MAX;
    } else {
      *most = *most * (unsigned)base + (unsigned)base - 1;
    }
    v = v * (unsigned)base + d;
  }
  if (end)
    *end = (char *)(p == start ? s : p);
  return v;
}

W long strtol(const char *s, char **end, int base) {
  int neg, ov;
  unsigned long most;
  unsigned long v = parse_unsigned(s, end, base, &neg, &ov, &most);
  /* Out of range only if the digits could make more than LONG_MAX. */
  if (most > (unsigned long)LONG_MAX &&
      (ov || (!neg && v > (unsigned long)LONG_MAX) ||
       (neg && v > (unsigned long)LONG_MAX + 1))) {
    dsu_errno = 34;
    return neg ? LONG_MIN : LONG_MAX;
  }
  return neg ? (long)(0 - v) : (long)v;
}
W unsigned long strtoul(const char *s, char **end, int base) {
  int neg, ov;
  unsigned long most;
  unsigned long v = parse_unsigned(s, end, base, &neg, &ov, &most);
  if (ov) {
    dsu_errno = 34;
    return ULONG_MAX;
  }
  return neg ? 0 - v : v;
}
W long long strtoll(const char *s, char **end, int base) {
  return strtol(s, end, base);
}
W unsigned long long strtoull(const char *s, char **end, int base) {
  return strtoul(s, end, base);
}
/* atoi as the C standard describes it, without strtol's overflow checks. */
W int atoi(const char *s) {
  while (isspace((unsigned char)*s))
    ++s;
  int neg = 0;
  if (*s == '+' || *s == '-')
    neg = *s++ == '-';
  int v = 0;
  while (isdigit((unsigned char)*s))
    v = v * 10 + (*s++ - '0');
  return neg ? -v : v;
}
W long atol(const char *s) { return strtol(s, NULL, 10); }
W long long atoll(const char *s) { return strtol(s, NULL, 10); }
W int abs(int x) { return x < 0 ? -x : x; }
W long labs(long x) { return x < 0 ? -x : x; }
W long long llabs(long long x) { return x < 0 ? -x : x; }
W char *getenv(const char *name) { return NULL; }

/* ---- the calls servers make at start-up and per request --------------- */

/* The clock: whole seconds from the engine (a fixed value, 1700000000 =
   2023-11-14 22:13:20 UTC, or with --symbolic-time a fresh symbolic value
   per call, never below the previous one); the parts below a second are 0,
   so two calls in one second are equal. */
struct dsu_timeval {
  long tv_sec;
  long tv_usec;
};
struct dsu_timespec {
  long tv_sec;
  long tv_nsec;
};
W long time(long *t) {
  long now = __dsu_time();
  if (t)
    *t = now;
  return now;
}
W int gettimeofday(struct dsu_timeval *tv, void *tz) {
  if (tv) {
    tv->tv_sec = __dsu_time();
    tv->tv_usec = 0;
  }
  return 0;
}
W int clock_gettime(int clock, struct dsu_timespec *ts) {
  if (ts) {
    ts->tv_sec = __dsu_time();
    ts->tv_nsec = 0;
  }
  return 0;
}
/* One process (pid 4242, as the replay runtime says too) with one thread. */
W int getpid(void) { return 4242; }
W unsigned long pthread_self(void) { return 1; }
W int pthread_equal(unsigned long a, unsigned long b) { return a == b; }
/* Signals never arrive: installing a handler does nothing. */
W void *signal(int sig, void *handler) { return NULL; }
W int sigaction(int sig, const void *act, void *old) {
  if (old)
    memset(old, 0, 152); /* sizeof(struct sigaction) on x86-64 glibc */
  return 0;
}
W int sigemptyset(void *set) { return 0; }
W int sigfillset(void *set) { return 0; }
W int sigaddset(void *set, int sig) { return 0; }
W int sigdelset(void *set, int sig) { return 0; }
static unsigned long rand_state = 1;
W int rand(void) {
  rand_state = rand_state * 1103515245 + 12345;
  return (int)((rand_state / 65536) % 32768);
}
W void srand(unsigned seed) { rand_state = seed; }
W void qsort(void *base, size_t n, size_t size,
             int (*cmp)(const void *, const void *)) {
  unsigned char *b = base;
  for (size_t i = 1; i < n; ++i)
    for (size_t j = i; j > 0 && cmp(b + (j - 1) * size, b + j * size) > 0; --j)
      for (size_t k = 0; k < size; ++k) {
        unsigned char t = b[(j - 1) * size + k];
        b[(j - 1) * size + k] = b[j * size + k];
        b[j * size + k] = t;
      }
}

/* ---- input: stdin is a symbolic byte stream of --sym-stdin bytes ------- */

static unsigned char *in_buf;
static long in_len = -1, in_pos;
static int in_pushback = -1;

static void in_init(void) {
  if (in_len >= 0)
    return;
  in_len = __dsu_stdin_size();
  if (in_len > 0) {
    in_buf = malloc(in_len);
    __dsu_symbolic_stdin(in_buf, in_len);
  }
}
/* The stream itself, behind two hooks: `dsu verify` links several programs
 * into one harness and gives each its own position in the one input
 * (lib/Verify redirects these two to the harness's). */
W int __dsu_stdin_getc(void) {
  in_init();
  if (in_pos >= in_len)
    return -1;
  return in_buf[in_pos++];
}
W int __dsu_stdin_eof(void) { return in_len >= 0 && in_pos >= in_len; }
static int in_getc(void) {
  if (in_pushback >= 0) {
    int c = in_pushback;
    in_pushback = -1;
    return c;
  }
  return __dsu_stdin_getc();
}

/* Every file descriptor except 1 and 2 reads from the one symbolic input. */
W ssize_t read(int fd, void *buf, size_t n) {
  if (fd == 1 || fd == 2)
    return -1;
  unsigned char *p = buf;
  size_t i = 0;
  for (; i < n; ++i) {
    int c = in_getc();
    if (c < 0)
      break;
    p[i] = (unsigned char)c;
  }
  return (ssize_t)i;
}
W ssize_t recv(int fd, void *buf, size_t n, int flags) {
  return read(fd, buf, n);
}
W int getchar(void) { return in_getc(); }
W int fgetc(void *f) { return file_fd(f) == 0 ? in_getc() : -1; }
W int getc(void *f) { return fgetc(f); }
W int ungetc(int c, void *f) {
  if (c < 0 || file_fd(f) != 0)
    return -1;
  in_pushback = (unsigned char)c;
  return c;
}
W char *fgets(char *s, int n, void *f) {
  if (file_fd(f) != 0 || n <= 0)
    return NULL;
  int i = 0;
  while (i < n - 1) {
    int c = in_getc();
    if (c < 0)
      break;
    s[i++] = (char)c;
    if (c == '\n')
      break;
  }
  if (i == 0)
    return NULL;
  s[i] = 0;
  return s;
}
W size_t fread(void *buf, size_t size, size_t count, void *f) {
  if (file_fd(f) != 0 || size == 0)
    return 0;
  ssize_t got = read(0, buf, size * count);
  return (size_t)got / size;
}
W int feof(void *f) {
  return file_fd(f) == 0 && in_pushback < 0 && __dsu_stdin_eof();
}
W int ferror(void *f) { return 0; }
W int isatty(int fd) { return 0; }
W int close(int fd) { return 0; }

/* ---- output: captured by the engine as the program's output trace ----- */

W ssize_t write(int fd, const void *buf, size_t n) {
  __dsu_output(fd, buf, n);
  return (ssize_t)n;
}
W ssize_t send(int fd, const void *buf, size_t n, int flags) {
  return write(fd, buf, n);
}
W int fflush(void *f) { return 0; }
W int setvbuf(void *f, char *buf, int mode, size_t size) { return 0; }
W void setbuf(void *f, char *buf) {}
W int fputc(int c, void *f) {
  char ch = (char)c;
  int fd = file_fd(f);
  if (fd < 1)
    return -1;
  __dsu_output(fd, &ch, 1);
  return (unsigned char)c;
}
W int putc(int c, void *f) { return fputc(c, f); }
W int putchar(int c) { return fputc(c, stdout); }
W int fputs(const char *s, void *f) {
  int fd = file_fd(f);
  if (fd < 1)
    return -1;
  __dsu_output(fd, s, strlen(s));
  return 0;
}
W int puts(const char *s) {
  fputs(s, stdout);
  return putchar('\n') < 0 ? -1 : 0;
}
W size_t fwrite(const void *buf, size_t size, size_t count, void *f) {
  int fd = file_fd(f);
  if (fd < 1)
    return 0;
  __dsu_output(fd, buf, size * count);
  return count;
}

/* The printf engine: a sink is either a bounded buffer or a file descriptor
   (buffered here, flushed to the engine in chunks). */
struct sink {
  char *buf;
  size_t cap;
  size_t len;
  int fd;
  char chunk[128];
  int used;
};

static void sink_put(struct sink *k, char c) {
  if (k->fd >= 0) {
    k->chunk[k->used++] = c;
    if (k->used == (int)sizeof(k->chunk)) {
      __dsu_output(k->fd, k->chunk, k->used);
      k->used = 0;
    }
  } else if (k->cap && k->len < k->cap - 1) {
    k->buf[k->len] = c;
  }
  k->len++;
}

static void sink_pad(struct sink *k, char c, int n) {
  for (; n > 0; --n)
    sink_put(k, c);
}

static void fmt_unsigned(struct sink *k, unsigned long long v, unsigned base,
                         int upper, const char *prefix, int width, int prec,
                         int left, int zero) {
  char digits[32];
  int n = 0;
  const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  while (v) {
    digits[n++] = set[v % base];
    v /= base;
  }
  if (prec < 0)
    prec = 1;
  int zeros = prec > n ? prec - n : 0;
  int plen = (int)strlen(prefix);
  int total = plen + zeros + n;
  if (!left && !zero)
    sink_pad(k, ' ', width - total);
  for (int i = 0; i < plen; ++i)
    sink_put(k, prefix[i]);
  if (!left && zero)
    sink_pad(k, '0', width - total);
  sink_pad(k, '0', zeros);
  while (n)
    sink_put(k, digits[--n]);
  if (left)
    sink_pad(k, ' ', width - total);
}

static int vformat(struct sink *k, const char *f, va_list ap) {
  for (; *f; ++f) {
    if (*f != '%') {
      sink_put(k, *f);
      continue;
    }
    ++f;
    int left = 0, zero = 0, plus = 0, space = 0, alt = 0;
    for (;; ++f) {
      if (*f == '-')
        left = 1;
      else if (*f == '0')
        zero = 1;
      else if (*f == '+')
        plus = 1;
      else if (*f == ' ')
        space = 1;
      else if (*f == '#')
        alt = 1;
      else
        break;
    }
    int width = 0, prec = -1;
    if (*f == '*') {
      width = va_arg(ap, int);
      if (width < 0)
        left = 1, width = -width;
      ++f;
    } else {
      while (*f >= '0' && *f <= '9')
        width = width * 10 + (*f++ - '0');
    }
    if (*f == '.') {
      ++f;
      prec = 0;
      if (*f == '*') {
        prec = va_arg(ap, int);
        ++f;
      } else {
        while (*f >= '0' && *f <= '9')
          prec = prec * 10 + (*f++ - '0');
      }
    }
    int lng = 0; /* -2 hh, -1 h, 0 int, 1 long, 2 long long/size_t */
    for (;; ++f) {
      if (*f == 'h')
        --lng;
      else if (*f == 'l')
        ++lng;
      else if (*f == 'z' || *f == 'j' || *f == 't')
        lng = 2;
      else
        break;
    }
    char c = *f;
    if (!c)
      break;
    if (prec >= 0)
      zero = 0;
    switch (c) {
    case 'd':
    case 'i': {
      long long v = lng >= 1 ? va_arg(ap, long long) : va_arg(ap, int);
      if (lng == -1)
        v = (short)v;
      else if (lng == -2)
        v = (signed char)v;
      unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : v;
      const char *prefix = v < 0 ? "-" : plus ? "+" : space ? " " : "";
      fmt_unsigned(k, u, 10, 0, prefix, width, prec, left, zero);
      break;
    }
    case 'u':
    case 'x':
    case 'X':
    case 'o': {
      unsigned long long v =
          lng >= 1 ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned);
      if (lng == -1)
        v = (unsigned short)v;
      else if (lng == -2)
        v = (unsigned char)v;
      unsigned base = c == 'u' ? 10 : c == 'o' ? 8 : 16;
      const char *prefix = "";
      if (alt && v && base == 16)
        prefix = c == 'x' ? "0x" : "0X";
      else if (alt && base == 8)
        prefix = "0";
      fmt_unsigned(k, v, base, c == 'X', prefix, width, prec, left, zero);
      break;
    }
    case 'p': {
      unsigned long v = (unsigned long)va_arg(ap, void *);
      fmt_unsigned(k, v, 16, 0, "0x", width, -1, left, 0);
      break;
    }
    case 'c': {
      char ch = (char)va_arg(ap, int);
      if (!left)
        sink_pad(k, ' ', width - 1);
      sink_put(k, ch);
      if (left)
        sink_pad(k, ' ', width - 1);
      break;
    }
    case 's': {
      const char *s = va_arg(ap, const char *);
      if (!s)
        s = "(null)";
      int n = 0;
      while ((prec < 0 || n < prec) && s[n])
        ++n;
      if (!left)
        sink_pad(k, ' ', width - n);
      for (int i = 0; i < n; ++i)
        sink_put(k, s[i]);
      if (left)
        sink_pad(k, ' ', width - n);
      break;
    }
    case 'f':
    case 'F':
    case 'g':
    case 'e': {
      double v = va_arg(ap, double);
      if (prec < 0)
        prec = 6;
      const char *prefix = "";
      if (v < 0) {
        prefix = "-";
        v = -v;
      } else if (plus) {
        prefix = "+";
      }
      unsigned long long scale = 1;
      for (int i = 0; i < prec; ++i)
        scale *= 10;
      unsigned long long ip = (unsigned long long)v;
      unsigned long long fp =
          (unsigned long long)((v - (double)ip) * (double)scale + 0.5);
      if (fp >= scale) {
        ++ip;
        fp -= scale;
      }
      int w = width - (prec ? prec + 1 : 0);
      fmt_unsigned(k, ip, 10, 0, prefix, w, -1, 0, zero);
      if (prec) {
        sink_put(k, '.');
        fmt_unsigned(k, fp, 10, 0, "", prec, prec, 0, 1);
      }
      break;
    }
    case 'n':
      *va_arg(ap, int *) = (int)k->len;
      break;
    case '%':
      sink_put(k, '%');
      break;
    default:
      sink_put(k, '%');
      sink_put(k, c);
      break;
    }
  }
  return (int)k->len;
}

static int format_to_fd(int fd, const char *f, va_list ap) {
  struct sink k;
  k.buf = NULL;
  k.cap = 0;
  k.len = 0;
  k.fd = fd;
  k.used = 0;
  int n = vformat(&k, f, ap);
  if (k.used)
    __dsu_output(fd, k.chunk, k.used);
  return n;
}

W int vsnprintf(char *buf, size_t cap, const char *f, va_list ap) {
  struct sink k;
  k.buf = buf;
  k.cap = cap;
  k.len = 0;
  k.fd = -1;
  k.used = 0;
  int n = vformat(&k, f, ap);
  if (cap)
    buf[k.len < cap ? k.len : cap - 1] = 0;
  return n;
}
W int vsprintf(char *buf, const char *f, va_list ap) {
  return vsnprintf(buf, ~0UL >> 1, f, ap);
}
W int snprintf(char *buf, size_t cap, const char *f, ...) {
  va_list ap;
  va_start(ap, f);
  int n = vsnprintf(buf, cap, f, ap);
  va_end(ap);
  return n;
}
W int sprintf(char *buf, const char *f, ...) {
  va_list ap;
  va_start(ap, f);
  int n = vsnprintf(buf, ~0UL >> 1, f, ap);
  va_end(ap);
  return n;
}
W int vfprintf(void *file, const char *f, va_list ap) {
  int fd = file_fd(file);
  if (fd < 1)
    return -1;
  return format_to_fd(fd, f, ap);
}
W int vprintf(const char *f, va_list ap) { return format_to_fd(1, f, ap); }
W int fprintf(void *file, const char *f, ...) {
  va_list ap;
  va_start(ap, f);
  int n = vfprintf(file, f, ap);
  va_end(ap);
  return n;
}
W int printf(const char *f, ...) {
  va_list ap;
  va_start(ap, f);
  int n = format_to_fd(1, f, ap);
  va_end(ap);
  return n;
}
W int dprintf(int fd, const char *f, ...) {
  va_list ap;
  va_start(ap, f);
  int n = format_to_fd(fd, f, ap);
  va_end(ap);
  return n;
}
W void perror(const char *s) {
  if (s && *s) {
    fputs(s, stderr);
    fputs(": error\n", stderr);
  }
}
