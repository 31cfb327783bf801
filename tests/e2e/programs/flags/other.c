#include "common.h"
void count_request(void) { requests++; }
