# Writes OUTPUT: a C++ raw-string definition of the merge runtime
# (runtime/merge_runtime.c), which dsu merge compiles into every merged program.
# Invoked at build time: cmake -DRUNTIME=.. -DOUTPUT=.. -P Embed.cmake
file(READ "${RUNTIME}" runtime)
set(text "// Generated from lib/Merge/runtime/merge_runtime.c; do not edit.\n")
string(APPEND text "static const char EmbeddedMergeRuntime[] = R\"DSUEMBED(${runtime})DSUEMBED\";\n")
file(WRITE "${OUTPUT}.tmp" "${text}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
