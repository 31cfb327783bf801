# Writes OUTPUT: a C++ raw-string definition NAME (default
# EmbeddedVerifyHarness) of a C file of lib/Verify/harness (the verify
# harness, the socket model), which dsu verify links with the programs.
# Invoked at build time: cmake -DRUNTIME=.. -DOUTPUT=.. [-DNAME=..] -P Embed.cmake
if(NOT NAME)
  set(NAME EmbeddedVerifyHarness)
endif()
file(READ "${RUNTIME}" runtime)
get_filename_component(source "${RUNTIME}" NAME)
set(text "// Generated from lib/Verify/harness/${source}; do not edit.\n")
string(APPEND text "static const char ${NAME}[] = R\"DSUEMBED(${runtime})DSUEMBED\";\n")
file(WRITE "${OUTPUT}.tmp" "${text}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
