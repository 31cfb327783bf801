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
# --- flags that change a program's meaning reach the code dsu-cc generates,
# the link-time recompilation and the patch build
F="$E2E_DIR/programs/flags"
FLAGS=(-O2 -fcommon -fno-strict-aliasing -fwrapv -fno-builtin -std=gnu89
       -fgnu89-inline -funsigned-char -DVALUE=7 -DDEBUG -UDEBUG -mno-red-zone)
"$DSU_CLANG" "${FLAGS[@]}" -I"$DSU_BIN/../include" \
  -o "$WORK/flags-plain" "$F/v1/main.c" "$F/other.c" \
  "$DSU_BIN/../lib/libdsu.a" -ldl -pthread > "$WORK/flags-plain.log" 2>&1
check "the flags program builds with clang-19" test -x "$WORK/flags-plain"
"$DSU_CC" "${FLAGS[@]}" -o "$WORK/flags1" "$F/v1/main.c" "$F/other.c" > "$WORK/flags1.log" 2>&1
check "dsu-cc builds it with the same flags (-fcommon tentative definitions)" test -x "$WORK/flags1"
"$DSU_CC" "${FLAGS[@]}" -o "$WORK/flags2" "$F/v2/main.c" "$F/other.c" > "$WORK/flags2.log" 2>&1
printf 'r\nr\np\n' | "$WORK/flags-plain" > "$WORK/flags-plain.out" 2>&1
printf 'r\nr\np\n' | "$WORK/flags1" > "$WORK/flags1.out" 2>&1
check "the flags take effect: unsigned char, wrapping, -D" \
  contains "$WORK/flags-plain.out" "char unsigned, wrap 1, value 7, twice 14, requests 2, port 8080"
check "dsu-cc's build behaves as clang-19's" cmp "$WORK/flags-plain.out" "$WORK/flags1.out"
"$DSU" patch "$WORK/flags1" "$WORK/flags2" -o "$WORK/flags.patch" --keep "$WORK/flags-keep" > "$WORK/flags-patch.log" 2>&1
check "the patch builds" test -s "$WORK/flags.patch"
check "-fno-builtin reaches the patch build: the zeroing loop stays a loop" \
  bash -c "! objdump -d '$WORK/flags-keep/patch.so' | grep -q 'call.*memset'"
check "the plain build with builtins would call memset (the check can fail)" \
  bash -c "'$DSU_CLANG' -O2 -shared -fPIC -o '$WORK/b.so' '$F/v1/main.c' -DVALUE=1 -I'$DSU_BIN/../include' -Dmain=main2 2>/dev/null; objdump -d '$WORK/b.so' | grep -q 'call.*memset'"
start flags1
send r p
wait_lines "$WORK/flags1.out" 1
apply_during flags.patch flags-apply.log r
check "the flags program is updated live" test $? -eq 0
send p
wait_lines "$WORK/flags1.out" 2
stop
check "after the update, the same flags hold in the new code" \
  test "$(sed -n 2p "$WORK/flags1.out")" = "v2 char unsigned, wrap 1, value 7, twice 14, requests 2, port 8080"
# --- a unit in a static library linked with -L/-l: the version id embedded
# in the program is the one dsu computes from it, so patches apply
for v in 1 2; do
  mkdir -p "$WORK/lib$v"
  greeting=""; [ $v = 2 ] && greeting='-DGREETING="hej"'
  (cd "$WORK/lib$v" && "$DSU_CC" -O2 $greeting -c "$SRC/greet.c" -o greet.o &&
     ar rcs libgreet.a greet.o &&
     "$DSU_CC" -O2 -c "$SRC/main.c" -o main.o &&
     "$DSU_CC" -O2 -o greeter main.o -L. -lgreet) > "$WORK/lib$v.log" 2>&1
done
check "a program linked against a dsu-cc archive with -l builds" test -x "$WORK/lib1/greeter"
cp "$WORK/lib1/greeter" "$WORK/lg1"; cp "$WORK/lib2/greeter" "$WORK/lg2"
start lg1
send ann
wait_lines "$WORK/lg1.out" 1
"$DSU" status "$PID" > "$WORK/lg.status"
check "the process runs the version dsu model computes" \
  contains "$WORK/lg.status" "$("$DSU" model "$WORK/lg1" | sed -n 's/^version //p')"
make_patch lg1 lg2 lg.patch
apply_during lg.patch lg.apply bob
check "a patch between two such builds applies" test $? -eq 0
send cid
wait_lines "$WORK/lg1.out" 3
stop
check "the archive's unit runs new code" test "$(sed -n 3p "$WORK/lg1.out")" = "hej cid #3"
finish
