#!/usr/bin/env bash
# Live code updates of real processes: a function on the stack keeps its old
# body, recursion, function-pointer tables in const static data, added and
# removed functions, variadic functions, `dsu status`.
source "$(dirname "$0")/lib.sh"
P="$E2E_DIR/programs"

# --- on-stack function and recursion
build onstack1 "$P/onstack/v1/main.c"
build onstack2 "$P/onstack/v2/main.c"
make_patch onstack1 onstack2 onstack.patch
"$DSU" diff "$WORK/onstack1" "$WORK/onstack2" > "$WORK/onstack.diff"
check "diff names the three changed functions" \
  bash -c "grep -c '^function changed' '$WORK/onstack.diff' | grep -qx 3"
start onstack1
send 3
wait_lines "$WORK/onstack1.out" 1
"$DSU" apply "$PID" "$WORK/onstack.patch" --timeout 5 > "$WORK/apply1.log" 2>&1 &
AP=$!
sleep 0.3
send 3 4
check "apply succeeds" wait "$AP"
wait_lines "$WORK/onstack1.out" 3
"$DSU" status "$PID" > "$WORK/status.txt"
stop
# The update happens at the update point of the second request: the rest of
# that iteration runs in the old loop body (still "serve1") but its calls
# reach the new label() and depth_sum(); the next iteration runs the new
# body, since dsu-cc extracted the loop body into serve.loop0.
printf 'serve1 v1 6\nserve1 v2 12\nserve2 v2 20\n' > "$WORK/onstack.expected"
check "the running iteration keeps its body, its calls and the next iteration are new" \
  cmp "$WORK/onstack1.out" "$WORK/onstack.expected"
check "the loop body is its own function" contains "$WORK/onstack.diff" "function changed serve.loop0"
check "status lists the update" contains "$WORK/status.txt" "update "
check "status shows the new version" \
  contains "$WORK/status.txt" "version $("$DSU" model "$WORK/onstack2" | head -1 | cut -d' ' -f2)"

# --- dispatch table, added/removed functions, varargs
build dispatch1 "$P/dispatch/v1/main.c"
build dispatch2 "$P/dispatch/v2/main.c"
make_patch dispatch1 dispatch2 dispatch.patch
"$DSU" diff "$WORK/dispatch1" "$WORK/dispatch2" > "$WORK/dispatch.diff"
check "diff: do_sub added" contains "$WORK/dispatch.diff" "function added do_sub"
check "diff: do_old removed" contains "$WORK/dispatch.diff" "function removed do_old"
check "diff: const table replaced" contains "$WORK/dispatch.diff" "global const-replaced cmds"
"$DSU" diff --json "$WORK/dispatch1" "$WORK/dispatch2" > "$WORK/dispatch.json"
check "diff --json is JSON" python3 -c "import json,sys; json.load(open('$WORK/dispatch.json'))"
start dispatch1
send "add 2 3" "mul 2 3" "old 5 1"
wait_lines "$WORK/dispatch1.out" 3
"$DSU" apply "$PID" "$WORK/dispatch.patch" > "$WORK/apply2.log" 2>&1 &
AP=$!
sleep 0.3
send "add 2 3"
check "apply succeeds" wait "$AP"
send "mul 2 3" "sub 5 1" "old 5 1"
wait_lines "$WORK/dispatch1.out" 7
stop
cat > "$WORK/dispatch.expected" <<'OUT'
add=5 (1)
mul=6 (2)
old=-996 (3)
v2: add=5 (4)
v2: mul=60 (5)
v2: sub=4 (6)
v2: unknown old (7)
OUT
check "dispatch output after update" cmp "$WORK/dispatch1.out" "$WORK/dispatch.expected"
# --- loop extraction: main's own loop changes
build loop1 "$P/loop/v1/main.c"
build loop2 "$P/loop/v2/main.c"
"$DSU" diff "$WORK/loop1" "$WORK/loop2" > "$WORK/loop.diff"
check "only the extracted loop body changed" \
  bash -c "[ \"\$(grep '^function' '$WORK/loop.diff')\" = 'function changed main.loop0 (static in main.c)' ]"
make_patch loop1 loop2 loop.patch
start loop1
send hello
wait_lines "$WORK/loop1.out" 1
apply_during loop.patch loop.log world
check "apply succeeds" test $? -eq 0
send again quit
wait_lines "$WORK/loop1.out" 4
stop
printf 'v1 line 1: hello\nv1 line 2: world\nv2 line 3: 5 chars\nbye after 4 lines\n' > "$WORK/loop.expected"
check "the next iteration of main's loop runs the new body, with main's locals" \
  cmp "$WORK/loop1.out" "$WORK/loop.expected"

# --- direct calls and inlining: a changed callee rebuilds its direct callers
build inlined1 "$P/inlined/v1/main.c"
build inlined2 "$P/inlined/v2/main.c"
"$DSU" model "$WORK/inlined1" > "$WORK/inlined.model"
check "functions never active at an update point call directly" \
  bash -c "grep -q 'function score static direct-calls' '$WORK/inlined.model'"
check "main, which holds the update point, calls through slots" \
  bash -c "grep 'function main ' '$WORK/inlined.model' | grep -vq direct-calls"
"$DSU" diff "$WORK/inlined1" "$WORK/inlined2" > "$WORK/inlined.diff"
check "diff rebuilds score, which calls weight directly" \
  contains "$WORK/inlined.diff" "function changed score (static in main.c) (rebuilt: calls weight directly)"
check "diff rebuilds handle, which calls score directly" \
  contains "$WORK/inlined.diff" "function changed handle (static in main.c) (rebuilt: calls score directly)"
make_patch inlined1 inlined2 inlined.patch
start inlined1
send 5
wait_lines "$WORK/inlined1.out" 1
"$DSU" apply "$PID" "$WORK/inlined.patch" > "$WORK/apply3.log" 2>&1 &
AP=$!
sleep 0.3
send 5
check "apply succeeds" wait "$AP"
wait_lines "$WORK/inlined1.out" 2
stop
printf '11\n16\n' > "$WORK/inlined.expected"
check "the new weight() is used even where it was inlined" cmp "$WORK/inlined1.out" "$WORK/inlined.expected"
# (a loop body whose frame changed: tests/e2e/loop_migration.sh)
# --- a const global read through an extern declaration in another file:
# the functions that read it are rebuilt and read the new value
build ec1 "$P/externconst/v1/main.c" "$P/externconst/v1/limits.c"
build ec2 "$P/externconst/v2/main.c" "$P/externconst/v2/limits.c"
"$DSU" diff "$WORK/ec1" "$WORK/ec2" > "$WORK/ec.diff"
check "diff: the readers of the changed constant in other files are rebuilt" \
  contains "$WORK/ec.diff" "function changed add (static in main.c) (rebuilt: reads const global 'max_items', whose value changed)"
make_patch ec1 ec2 ec.patch
start ec1
send a a a a p
wait_lines "$WORK/ec1.out" 1
apply_during ec.patch ec.log p
check "the update applies" test $? -eq 0
send a a a a p
wait_lines "$WORK/ec1.out" 3
stop
check "the new value is read after the update" \
  test "$(sed -n 3p "$WORK/ec1.out")" = "5 of 5"
# --- a single-threaded program waiting for input reached no update point:
# that is what the refusal says, with what its thread is doing
start ec1
"$DSU" apply "$PID" "$WORK/ec.patch" --timeout 1 > "$WORK/idle.log" 2>&1
check "an idle program times out" test $? -ne 0
check "the time-out says no update point was reached, and where the program waits" \
  contains "$WORK/idle.log" "the program reached no update point (its main thread is blocked in read())"
stop
finish
