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
  contains "$WORK/lm1.model" 'loop-arg local total "int" i32 size=4 init=0'
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

# --- reproducers from a review, each updated by the runtime's synchronous
# test mode at a fixed update-point visit (DSU_TEST_UPDATE_AT)
sync_run() { # sync_run NAME PROG PATCH K [PATCH2]: output in $WORK/NAME.out
  DSU_TEST_PATCH="$WORK/$3" DSU_TEST_PATCH2="${5:+$WORK/$5}" \
    DSU_TEST_UPDATE_AT="$4" "$WORK/$2" > "$WORK/$1.out" 2> "$WORK/$1.err"
}
# Locals the new body takes in another order: a new function, not a rebind
# that would swap them (before: "small 301 big 103").
build order1 "$P/looporder/v1/main.c"
build order2 "$P/looporder/v2/main.c"
make_patch order1 order2 order.patch
sync_run order order1 order.patch 3
check "a loop body taking its locals in another order is not mixed up" \
  test "$(sed -n 4p "$WORK/order.out")" = "small 4 big 400 (v2)"
# An inner loop run again by the old outer loop keeps its migrated block
# (before: the total fell back to the old frame's at each round).
build nested1 "$P/loopnested/v1/main.c"
build nested2 "$P/loopnested/v2/main.c"
make_patch nested1 nested2 nested.patch
sync_run nested nested1 nested.patch 3
check "a migrated inner loop keeps its locals across the outer loop's rounds" \
  test "$(tail -1 "$WORK/nested.out")" = "round 2 i 3 total 12 (v2)"
# A second update point in the loop gives its body one more of clang's
# temporaries: fresh storage for it in the block (before: refused, "the C
# type of the new local 'atomic-temp2' is not known").
build points1 "$P/looppoints/v1/main.c"
build points2 "$P/looppoints/v2/main.c"
make_patch points1 points2 points.patch
sync_run points points1 points.patch 3
check "a loop that gains an update point goes on with the new body" \
  test "$(tail -1 "$WORK/points.out")" = "turn 7 a 28 b 56 done 8 (v2)"
# Two exits after the loop whose values the new body returns swapped.
build gotos1 "$P/loopgotos/v1/main.c"
build gotos2 "$P/loopgotos/v2/main.c"
"$DSU" diff "$WORK/gotos1" "$WORK/gotos2" > "$WORK/gotos.diff"
check "a loop whose exit values changed meaning is not migrated" \
  contains "$WORK/gotos.diff" "(it cannot take over the running loop: the loop's exits differ between the versions"
# v1 -> v2 replaces main (not the loop), v2 -> v3 would migrate the loop:
# refused in a process that came from v1, whose main reads the counter
# after the loop; taken by a process started on v2.
build lc1 "$P/loopchain/v1/main.c"
build lc2 "$P/loopchain/v2/main.c"
build lc3 "$P/loopchain/v3/main.c"
make_patch lc1 lc2 lc12.patch
make_patch lc2 lc3 lc23.patch
sync_run lcchain lc1 lc12.patch 2,4 lc23.patch
check "a migration over a function an earlier update replaced is refused" \
  contains "$WORK/lcchain.err" "was replaced by an earlier update, so an older version of it may still run the loop"
sync_run lcv2 lc2 lc23.patch 3
check "the same migration applies to a process started on v2" \
  test "$(tail -2 "$WORK/lcv2.out" | head -1)" = "x 8 (v3)"

# --- framestate: main reads the changed local after its loop, so the new
# body cannot take the loop over: the update stays partial, and says why
build fs1 "$P/framestate/v1/main.c"
build fs2 "$P/framestate/v2/main.c"
"$DSU" diff "$WORK/fs1" "$WORK/fs2" > "$WORK/fs.diff"
check "diff: a local main uses after the loop keeps the update partial" \
  contains "$WORK/fs.diff" "(it cannot take over the running loop: the old main uses the local 'sess' ('struct session') outside its loop body, and the new body keeps it in another form ('struct session')"
finish
