#include <stdio.h>
#include <string.h>
#include "greet.h"

#ifndef GREETING
#define GREETING "hello"
#endif

static int count;

void greet(const char *who) {
  count++;
  printf("%s %.*s #%d\n", GREETING, (int)strcspn(who, "\n"), who, count);
}
