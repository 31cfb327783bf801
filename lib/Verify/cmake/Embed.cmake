# Writes OUTPUT: a C++ raw-string definition of the verify harness
# (harness/verify_harness.c), which dsu verify links with the programs.
# Invoked at build time: cmake -DRUNTIME=.. -DOUTPUT=.. -P Embed.cmake
file(READ "${RUNTIME}" runtime)
set(text "// Generated from lib/Verify/harness/verify_harness.c; do not edit.\n")
string(APPEND text "static const char EmbeddedVerifyHarness[] = R\"DSUEMBED(${runtime})DSUEMBED\";\n")
file(WRITE "${OUTPUT}.tmp" "${text}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
