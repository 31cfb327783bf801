/* replay.c - the replay runtime for `dsu replay`.
 *
 * `dsu replay CASE FILE.c...` compiles the program natively with this file
 * and runs it with DSU_REPLAY_CASE=CASE. Every klee_make_symbolic call takes
 * the next object of the case file, in the order dsu symex created them, and
 * checks that its name and size match; klee_int and klee_range do the same.
 * A `stdin` line becomes the process's standard input (through a temporary
 * file dup'ed onto fd 0) before main runs. Errors (klee_assert, a failed
 * assume that should have held) end the process with abort(), so the
 * replay driver sees a signal exactly when the program hit an error. A
 * merged program (dsu merge) takes its update timing from the case too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

struct object {
  char name[256];
  size_t size;
  unsigned char *bytes;
};

static struct object *objects;
static size_t nobjects, next_object;
static int loaded;

static int hexval(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static unsigned char *parse_hex(const char *hex, size_t size) {
  unsigned char *b = calloc(size ? size : 1, 1);
  for (size_t i = 0; i < size; ++i) {
    int hi = hexval((unsigned char)hex[2 * i]);
    int lo = hi < 0 ? -1 : hexval((unsigned char)hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      fprintf(stderr, "replay: error: malformed bytes in test case\n");
      exit(3);
    }
    b[i] = (unsigned char)(hi * 16 + lo);
  }
  return b;
}

static void load_case(void) {
  if (loaded)
    return;
  loaded = 1;
  const char *path = getenv("DSU_REPLAY_CASE");
  if (!path) {
    fprintf(stderr, "replay: error: DSU_REPLAY_CASE is not set\n");
    exit(3);
  }
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "%s: error: cannot open test case\n", path);
    exit(3);
  }
  static char line[1 << 20];
  static char hex[1 << 20];
  while (fgets(line, sizeof line, f)) {
    char name[256];
    size_t size;
    int n = sscanf(line, "object %255s %zu %1048575s", name, &size, hex);
    if (n >= 2) {
      if (n == 2)
        hex[0] = 0;
      objects = realloc(objects, (nobjects + 1) * sizeof *objects);
      struct object *o = &objects[nobjects++];
      strcpy(o->name, name);
      o->size = size;
      o->bytes = parse_hex(hex, size);
    } else if ((n = sscanf(line, "stdin %zu %1048575s", &size, hex)) >= 1) {
      if (n == 1)
        hex[0] = 0;
      unsigned char *b = parse_hex(hex, size);
      FILE *t = tmpfile();
      if (!t || fwrite(b, 1, size, t) != size) {
        fprintf(stderr, "replay: error: cannot stage stdin\n");
        exit(3);
      }
      fflush(t);
      rewind(t);
      dup2(fileno(t), 0);
      lseek(0, 0, SEEK_SET);
    }
  }
  fclose(f);
}

__attribute__((constructor)) static void replay_init(void) { load_case(); }

static struct object *take(const char *name, size_t size) {
  load_case();
  if (next_object >= nobjects) {
    fprintf(stderr, "replay: error: program makes more symbolic objects than "
                    "the test case holds\n");
    exit(3);
  }
  struct object *o = &objects[next_object++];
  if (o->size != size) {
    fprintf(stderr,
            "replay: error: object '%s' has %zu bytes in the test case, the "
            "program asks for %zu\n",
            o->name, o->size, size);
    exit(3);
  }
  (void)name;
  return o;
}

void klee_make_symbolic(void *addr, size_t nbytes, const char *name) {
  struct object *o = take(name, nbytes);
  memcpy(addr, o->bytes, nbytes);
}

int klee_int(const char *name) {
  int v;
  klee_make_symbolic(&v, sizeof v, name);
  return v;
}

int klee_range(int begin, int end, const char *name) {
  int v;
  klee_make_symbolic(&v, sizeof v, name);
  if (v < begin || v >= end) {
    fprintf(stderr, "replay: error: klee_range value %d outside [%d, %d)\n", v,
            begin, end);
    exit(3);
  }
  return v;
}

void klee_assume(uintptr_t condition) {
  if (!condition) {
    fprintf(stderr, "replay: error: klee_assume does not hold on this case\n");
    exit(3);
  }
}

void klee_silent_exit(int status) { exit(status); }

void __dsu_symex_excuse_errors(int on) { (void)on; }
void __dsu_symex_excused_exit(void) {}

/* The clock and the pid as dsu symex saw them (libc.c): a `time` object of
   the case when the run had --symbolic-time, else the fixed value. These
   definitions take the place of the C library's in the replayed program. */
static long replay_time(void) {
  load_case();
  if (next_object < nobjects && strcmp(objects[next_object].name, "time") == 0 &&
      objects[next_object].size == sizeof(long)) {
    long v;
    memcpy(&v, objects[next_object++].bytes, sizeof v);
    return v;
  }
  return 1700000000L;
}
time_t time(time_t *t) {
  time_t now = (time_t)replay_time();
  if (t)
    *t = now;
  return now;
}
int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
  (void)tz;
  if (tv) {
    tv->tv_sec = replay_time();
    tv->tv_usec = 0;
  }
  return 0;
}
int clock_gettime(clockid_t clock, struct timespec *ts) {
  (void)clock;
  if (ts) {
    ts->tv_sec = replay_time();
    ts->tv_nsec = 0;
  }
  return 0;
}
pid_t getpid(void) { return 4242; }

void klee_report_error(const char *file, int line, const char *message,
                       const char *suffix) {
  (void)suffix;
  fprintf(stderr, "%s:%d: error: %s\n", file, line, message);
  fflush(NULL);
  abort();
}

unsigned klee_is_symbolic(uintptr_t expr) {
  (void)expr;
  return 0;
}

void klee_prefer_cex(void *object, uintptr_t condition) {
  (void)object;
  (void)condition;
}

/* The hooks of a merged program's runtime (dsu merge): the update timing
   dsu symex chose at each update-point visit, and its safety check as an
   error (a signal, as every error of a replay). Unused by other programs;
   weak, so that a harness that fixes the timing itself keeps its own. */
__attribute__((weak)) int __dsu_merge_choice(int point, long visit) {
  int v;
  (void)point;
  (void)visit;
  klee_make_symbolic(&v, sizeof v, "dsu_merge_choose");
  return v != 0;
}

__attribute__((weak)) void __dsu_merge_violation(const char *message) {
  fprintf(stderr, "error: %s\n", message);
  fflush(NULL);
  abort();
}
