//===- SymexCommand.h - dsu symex / dsu replay ------------------*- C++ -*-===//

#ifndef DSU_TOOLS_DSU_SYMEXCOMMAND_H
#define DSU_TOOLS_DSU_SYMEXCOMMAND_H

/// `dsu symex [options] FILE.c... [-- clang flags]`; argv[0] is "symex".
/// Exit status: 0 holds, 1 error, 2 unknown, 3 usage or tool failure.
int dsuSymexMain(int argc, char **argv);

/// `dsu replay [options] CASE FILE.c... [-- clang flags]`; argv[0] is
/// "replay". Exit status: 1 when the error reproduced, 0 when the program
/// ran without error, 3 on usage or tool failure.
int dsuReplayMain(int argc, char **argv);

#endif
