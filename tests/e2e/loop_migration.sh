#!/usr/bin/env bash
# Control migration (lib/Patch/LoopMigration.cpp): a running loop whose body
# needs its frame in another form goes on with the new body at its next
# turn, with the locals that changed converted by the local-state
# transformer; where that is not sound the update stays partial and says
# why; a loop migrated once is not migrated again by a later patch.
source "$(dirname "$0")/lib.sh"
P="$E2E_DIR/programs"

# --- loopmigrate: an int total that becomes a long long, and a new local
# with a constant initialiser: migrated with no code of the user's
build lm1 "$P/loopmigrate/v1/main.c"
build lm2 "$P/loopmigrate/v2/main.c"
build lm3 "$P/loopmigrate/v3/main.c"
"$DSU" diff "$WORK/lm1" "$WORK/lm2" > "$WORK/lm12.diff"
check "diff: the running loop is migrated, with its converted and new locals" \
  contains "$WORK/lm12.diff" "migrated main.c:18: the running loop main.loop0 goes on with the new body; its locals total ('int' -> 'long long'), peak (new, = -1)"
check "diff: nothing is left partial" not_contains "$WORK/lm12.diff" "partial "
"$DSU" model "$WORK/lm1" > "$WORK/lm1.model"
check "model: the loop body's locals, with what main does with them" \
  contains "$WORK/lm1.model" 'loop-arg local total "int" i32 init=0'
make_patch lm1 lm2 lm12.patch
make_patch lm2 lm3 lm23.patch
start lm1
send "add 5" "add 7" p
wait_lines "$WORK/lm1.out" 1
apply_during lm12.patch lm12.log "add 1"
check "the update applies" test $? -eq 0
# The turn that met the update finishes in the old body: it reads "add 30"
# (so the peak is the next sample's), and the new body runs from "p" on.
send "add 30" p "add 4" peak
wait_lines "$WORK/lm1.out" 3
check "the new body runs the loop, with the total carried over" \
  test "$(sed -n 2p "$WORK/lm1.out")" = "total 43 samples 4"
check "the new local starts at its initialiser and the new command works" \
  test "$(sed -n 3p "$WORK/lm1.out")" = "peak 4"
"$DSU" apply "$PID" "$WORK/lm23.patch" --timeout 5 > "$WORK/lm23.log" 2>&1
check "a second migration of the same running loop is refused" test $? -ne 0
check "the refusal names the loop and says why" \
  contains "$WORK/lm23.log" "the running loop main.loop0 (main.c:13) already goes on with the body an earlier update migrated it to"
send "add 2" p
wait_lines "$WORK/lm1.out" 4
stop
check "the program goes on with v2 after the refusal" \
  test "$(sed -n 4p "$WORK/lm1.out")" = "total 49 samples 6"
# A process that starts on v2 has no migrated loop: v2 -> v3 migrates it.
start lm2
send "add 3" p
wait_lines "$WORK/lm2.out" 1
apply_during lm23.patch lm23b.log "add 4"
check "v2 -> v3 applies on a process started on v2" test $? -eq 0
send p p
wait_lines "$WORK/lm2.out" 3
stop
check "the total became a double, converted by the generated transformer" \
  test "$(sed -n 3p "$WORK/lm2.out")" = "total 7 samples 2 mean 3.5"

# --- loopframe: an int local that becomes a struct has no default
# conversion: the patch is refused until the user writes it
build loopframe1 "$P/loopframe/v1/main.c"
build loopframe2 "$P/loopframe/v2/main.c"
"$DSU" diff "$WORK/loopframe1" "$WORK/loopframe2" > "$WORK/loopframe.diff"
check "diff: the loop body whose frame changed is a new function" \
  contains "$WORK/loopframe.diff" "function signature-changed main.loop0"
check "diff: the running loop is migrated" \
  contains "$WORK/loopframe.diff" "migrated main.c:20: the running loop main.loop0 goes on with the new body; its locals last ('int' -> 'struct outcome')"
"$DSU" patch "$WORK/loopframe1" "$WORK/loopframe2" -o "$WORK/loopframe.patch" \
  --emit-transformers "$WORK/loopframe.c" > "$WORK/loopframe.plog" 2>&1
check "without the conversion the patch is refused" test $? -ne 0
check "the refusal names the local to convert" \
  contains "$WORK/loopframe.plog" "__dsu_to->last: 'int' -> 'struct outcome' has no default conversion"
sed -i 's|^ */\* DSU-TODO __dsu_to->last.*|  __dsu_to->last.code = *__dsu_old_last;\n  __dsu_to->last.bytes = 2 * *__dsu_old_last;|' \
  "$WORK/loopframe.c"
"$DSU" patch "$WORK/loopframe1" "$WORK/loopframe2" -o "$WORK/loopframe.patch" \
  --transformers "$WORK/loopframe.c" > "$WORK/loopframe.plog" 2>&1
check "with the user's conversion the patch builds" test $? -eq 0
start loopframe1
send "n alpha" "n be" p
wait_lines "$WORK/loopframe1.out" 1
apply_during loopframe.patch loopframe.log "n gamma"
check "the update applies" test $? -eq 0
send "n delta" p "n epsilon" p
wait_lines "$WORK/loopframe1.out" 3
stop
printf 'served 2 last 2 guard 12345\nserved 4 last 5/10 guard 12345\nserved 5 last 7/14 guard 12345\n' \
  > "$WORK/loopframe.expected"
check "the new body runs the loop; the old frame's other locals are intact" \
  cmp "$WORK/loopframe1.out" "$WORK/loopframe.expected"

# --- framestate: main reads the changed local after its loop, so the new
# body cannot take the loop over: the update stays partial, and says why
build fs1 "$P/framestate/v1/main.c"
build fs2 "$P/framestate/v2/main.c"
"$DSU" diff "$WORK/fs1" "$WORK/fs2" > "$WORK/fs.diff"
check "diff: a local main uses after the loop keeps the update partial" \
  contains "$WORK/fs.diff" "(it cannot take over the running loop: the old main uses the local 'sess' ('struct session') outside its loop body, and the new body keeps it in another form ('struct session')"
finish
