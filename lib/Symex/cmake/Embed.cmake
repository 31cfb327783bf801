# Writes OUTPUT: C++ raw-string definitions of the shipped C sources
# (libc-model/libc.c, libc-model/replay.c, include/dsu/klee/klee.h and
# dsu_request.h).
# Invoked at build time: cmake -DLIBC=.. -DREPLAY=.. -DKLEE=.. -DREQUEST=.. -DOUTPUT=.. -P Embed.cmake
file(READ "${LIBC}" libc)
file(READ "${REPLAY}" replay)
file(READ "${KLEE}" klee)
file(READ "${REQUEST}" request)
set(text "// Generated from lib/Symex/libc-model and include/dsu/klee; do not edit.\n")
string(APPEND text "static const char EmbeddedLibc[] = R\"DSUEMBED(${libc})DSUEMBED\";\n")
string(APPEND text "static const char EmbeddedReplay[] = R\"DSUEMBED(${replay})DSUEMBED\";\n")
string(APPEND text "static const char EmbeddedKleeHeader[] = R\"DSUEMBED(${klee})DSUEMBED\";\n")
string(APPEND text "static const char EmbeddedRequestHeader[] = R\"DSUEMBED(${request})DSUEMBED\";\n")
file(WRITE "${OUTPUT}.tmp" "${text}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
