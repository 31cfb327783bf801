#!/usr/bin/env bash
# The cost of the build (issue 10 item 4): a program linked with
# -fdsu-model-file keeps its stored modules beside itself (PROGRAM.dsu), is
# smaller, and is still diffed, patched and updated live; without its model
# file the tools say which file is missing. Objects are compiled once: the
# link keeps every object whose direct calls it agrees with, and compiles
# again the archive members it does not agree with.
source "$(dirname "$0")/lib.sh"
SRC="$E2E_DIR/programs/buildsys"
for v in 1 2; do
  mkdir -p "$WORK/m$v" "$WORK/i$v"
  cp "$SRC"/*.c "$SRC"/*.h "$SRC/Makefile" "$WORK/m$v/"
  cp "$SRC"/*.c "$SRC"/*.h "$SRC/Makefile" "$WORK/i$v/"
done
make -s -C "$WORK/m1" CC="$DSU_CC" CFLAGS="-O2 -fdsu-model-file" > "$WORK/m1.log" 2>&1
check "make CC=dsu-cc CFLAGS=-fdsu-model-file builds" test -x "$WORK/m1/greeter"
make -s -C "$WORK/m2" CC="$DSU_CC" CFLAGS='-O2 -fdsu-model-file -DGREETING=\"bonjour\"' > "$WORK/m2.log" 2>&1
make -s -C "$WORK/i1" CC="$DSU_CC" > "$WORK/i1.log" 2>&1
check "the model file is beside the program" test -s "$WORK/m1/greeter.dsu"
check "no model file without the option" test ! -e "$WORK/i1/greeter.dsu"
check "the program holds no .dsu.tu section" \
  bash -c "! readelf -SW '$WORK/m1/greeter' | grep -q '\.dsu\.tu'"
check "the program names its model file" \
  bash -c "readelf -SW '$WORK/m1/greeter' | grep -q '\.dsu\.modelfile'"
SM=$(stat -c %s "$WORK/m1/greeter"); SI=$(stat -c %s "$WORK/i1/greeter")
echo "program with -fdsu-model-file: $SM bytes (+ $(stat -c %s "$WORK/m1/greeter.dsu") in greeter.dsu); without: $SI bytes"
check "the program is smaller than with its modules inside" test "$SM" -lt "$SI"
check "dsu model reads the model file (the same version as the build without it)" \
  test "$("$DSU" model "$WORK/m1/greeter" | head -1)" = "$("$DSU" model "$WORK/i1/greeter" | head -1)"

# Builds copied under other names keep their model files beside them.
for v in 1 2; do
  cp "$WORK/m$v/greeter" "$WORK/g$v"; cp "$WORK/m$v/greeter.dsu" "$WORK/g$v.dsu"
done
"$DSU" diff "$WORK/g1" "$WORK/g2" > "$WORK/g.diff"
check "dsu diff: only greet changed" \
  bash -c "[ \"\$(grep '^function' '$WORK/g.diff')\" = 'function changed greet' ]"
make_patch g1 g2 g.patch
start g1
send ann
wait_lines "$WORK/g1.out" 1
apply_during g.patch g.apply bob
check "the patch applies live" test $? -eq 0
wait_lines "$WORK/g1.out" 2
stop
printf 'hello ann #1\nbonjour bob #2\n' > "$WORK/g.expected"
check "the static counter survives, the new greeting shows" cmp "$WORK/g1.out" "$WORK/g.expected"

# Without its model file, nothing can be patched: the error names the file.
mv "$WORK/g1.dsu" "$WORK/g1.dsu.away"
"$DSU" patch "$WORK/g1" "$WORK/g2" -o "$WORK/nomodel.patch" > "$WORK/nomodel.log" 2>&1
check "dsu patch fails without the model file" test $? -ne 0
check "the error names the missing file" \
  contains "$WORK/nomodel.log" "dsu: error: $WORK/g1: its stored modules are kept in $WORK/g1.dsu"
check "no patch was written" test ! -e "$WORK/nomodel.patch"
# Another build's model file is refused.
cp "$WORK/g2.dsu" "$WORK/g1.dsu"
"$DSU" model "$WORK/g1" > "$WORK/wrong.log" 2>&1
check "another build's model file is refused" \
  contains "$WORK/wrong.log" "$WORK/g1.dsu: the model file of another build"

# --- compiled once: an archive member that the program does not allow to
# call directly (its loop calls the handler holding the update point) is
# compiled again at the link, the others are kept.
A="$E2E_DIR/programs/archloop"
(cd "$WORK" && "$DSU_CC" -O2 -c "$A/loop.c" -o loop.o && ar rcs libloop.a loop.o &&
   "$DSU_CC" -O2 -c "$A/main.c" -o main.o &&
   "$DSU_CC" -O2 -fdsu-verbose -o archloop main.o -L. -lloop) > "$WORK/archloop.log" 2>&1
check "the archive program builds" test -x "$WORK/archloop"
cat "$WORK/archloop.log"
"$DSU" model "$WORK/archloop" > "$WORK/archloop.model"
# Before the link, main.o looks right (the archive is not known yet); the
# member the link took makes main() and loop() active at the update point.
check "the member and the object are compiled again once the link took the member" \
  contains "$WORK/archloop.log" "dsu-cc: link: with the archive members it took, 1 objects and 1 archive members compiled again; linking again"
check "main calls through slots in the program" \
  bash -c "grep '^  function main ' '$WORK/archloop.model' | grep -qv direct-calls"
check "the member's loop calls through slots in the program" \
  bash -c "grep '^  function loop ' '$WORK/archloop.model' | grep -qv direct-calls"
check "the member's model, alone, would have called directly" \
  bash -c "'$DSU' model '$WORK/loop.o' | grep '^  function loop ' | grep -q direct-calls"
printf 'a\nb\n' | "$WORK/archloop" > "$WORK/archloop.out"
check "the program runs" cmp "$WORK/archloop.out" <(printf 'got a\ngot b\n')
finish
