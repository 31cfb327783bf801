// dsu-symex-driver: a test-only front end that dispatches `symex` and
// `replay` to the same entry points `dsu symex` / `dsu replay` use.
#include "SymexCommand.h"

#include <cstdio>
#include <cstring>

int main(int argc, char **argv) {
  if (argc >= 2 && std::strcmp(argv[1], "symex") == 0)
    return dsuSymexMain(argc - 1, argv + 1);
  if (argc >= 2 && std::strcmp(argv[1], "replay") == 0)
    return dsuReplayMain(argc - 1, argv + 1);
  std::fprintf(stderr, "usage: dsu-symex-driver symex|replay ...\n");
  return 3;
}
