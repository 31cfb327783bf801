/* A minimal JavaScript runner around Debian's duktape.c, used to check that
 * dsu-cc builds real code no one here wrote: the output of a dsu-cc build
 * must equal that of a plain clang-19 build. Usage: duk_main FILE.js */
#include <stdio.h>
#include <stdlib.h>
#include "duktape.h"

static duk_ret_t native_print(duk_context *ctx) {
  duk_push_string(ctx, " ");
  duk_insert(ctx, 0);
  duk_join(ctx, duk_get_top(ctx) - 1);
  printf("%s\n", duk_safe_to_string(ctx, -1));
  return 0;
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  if (buf)
    buf[n] = 0;
  fclose(f);
  return buf;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s FILE.js\n", argv[0]);
    return 2;
  }
  char *src = slurp(argv[1]);
  if (!src) {
    fprintf(stderr, "%s: cannot read\n", argv[1]);
    return 2;
  }
  duk_context *ctx = duk_create_heap_default();
  duk_push_c_function(ctx, native_print, DUK_VARARGS);
  duk_put_global_string(ctx, "print");
  int rc = 0;
  if (duk_peval_string(ctx, src) != 0) {
    printf("error: %s\n", duk_safe_to_string(ctx, -1));
    rc = 1;
  }
  duk_pop(ctx);
  duk_destroy_heap(ctx);
  free(src);
  return rc;
}
