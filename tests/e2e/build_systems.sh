#!/usr/bin/env bash
# dsu-cc as a drop-in compiler: make CC=dsu-cc (separate -c and link steps,
# -D flags) and CMake with CMAKE_C_COMPILER=dsu-cc, then a live update between
# two such builds.
source "$(dirname "$0")/lib.sh"
SRC="$E2E_DIR/programs/buildsys"
for v in 1 2; do
  mkdir -p "$WORK/make$v"
  cp "$SRC"/*.c "$SRC"/*.h "$SRC/Makefile" "$WORK/make$v/"
done
make -s -C "$WORK/make1" CC="$DSU_CC" > "$WORK/make1.log" 2>&1
check "make CC=dsu-cc builds" test -x "$WORK/make1/greeter"
make -s -C "$WORK/make2" CC="$DSU_CC" CFLAGS='-O2 -DGREETING=\"bonjour\"' > "$WORK/make2.log" 2>&1
check "make CC=dsu-cc with -D builds" test -x "$WORK/make2/greeter"
check "objects carry their model" bash -c "'$DSU' model '$WORK/make1/greet.o' | grep -q 'function greet'"
cmake -S "$SRC" -B "$WORK/cmake" -G Ninja -DCMAKE_C_COMPILER="$DSU_CC" > "$WORK/cmake.log" 2>&1 &&
  cmake --build "$WORK/cmake" > "$WORK/cmake-build.log" 2>&1
check "cmake with CMAKE_C_COMPILER=dsu-cc builds" test -x "$WORK/cmake/greeter"
check "cmake identifies the compiler as clang" contains "$WORK/cmake.log" "The C compiler identification is Clang 19"
cp "$WORK/make1/greeter" "$WORK/g1"; cp "$WORK/make2/greeter" "$WORK/g2"
make_patch g1 g2 g.patch
"$DSU" diff "$WORK/g1" "$WORK/g2" > "$WORK/g.diff"
check "only greet changed" bash -c "[ \"\$(grep '^function' '$WORK/g.diff')\" = 'function changed greet' ]"
start g1
send ann
wait_lines "$WORK/g1.out" 1
"$DSU" apply "$PID" "$WORK/g.patch" > "$WORK/apply.log" 2>&1 & AP=$!
sleep 0.3
send bob
check "apply succeeds" wait "$AP"
wait_lines "$WORK/g1.out" 2
stop
printf 'hello ann #1\nbonjour bob #2\n' > "$WORK/g.expected"
check "the static counter survives, the new greeting shows" cmp "$WORK/g1.out" "$WORK/g.expected"
finish
