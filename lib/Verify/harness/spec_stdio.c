/* Preloaded by lib/Verify/SpecRun.cpp into a real process whose requests
 * come on standard input, for a native run of a post-update spec: its
 * standard output is made unbuffered, so that what it has written when it
 * asks for the next request is in the file already (the reply to a request
 * is cut there, as dsu verify's harness cuts it). A program that sets its
 * own buffering of standard output (line-buffered, or a buffer of its own)
 * keeps it unbuffered: the bytes are the same, only the moments they reach
 * the file differ.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

__attribute__((constructor)) static void dsu_spec_unbuffered(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
}

int setvbuf(FILE *f, char *buf, int mode, size_t size) {
  static int (*real)(FILE *, char *, int, size_t);
  if (!real)
    real = (int (*)(FILE *, char *, int, size_t))dlsym(RTLD_NEXT, "setvbuf");
  if (!real)
    return -1;
  if (f == stdout) {
    buf = NULL;
    mode = _IONBF;
    size = 0;
  }
  return real(f, buf, mode, size);
}

void setbuf(FILE *f, char *buf) {
  setvbuf(f, buf, buf ? _IOFBF : _IONBF, BUFSIZ);
}

void setbuffer(FILE *f, char *buf, size_t size) {
  setvbuf(f, buf, buf ? _IOFBF : _IONBF, size);
}

void setlinebuf(FILE *f) { setvbuf(f, NULL, _IOLBF, 0); }
