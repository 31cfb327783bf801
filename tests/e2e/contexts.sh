#!/usr/bin/env bash
# Update safety per context: an update point that is unsafe when reached
# through one call (main's start-up call of the handler, after which main
# uses struct settings) and safe when reached through another (the event
# loop). The runtime checks the calls the thread is actually in: the update
# waits through the start-up call and is applied from the loop.
source "$(dirname "$0")/lib.sh"
P="$E2E_DIR/programs/contexts"
POINT=$(grep -n 'DSU_UPDATE_POINT();' "$P/v1/main.c" | cut -d: -f1)
CALL=$(grep -n 'handle(); /\* the first tick' "$P/v1/main.c" | cut -d: -f1)
USE=$(grep -n 'settings.verbose = 1;' "$P/v1/main.c" | cut -d: -f1)
MAIN=$(grep -n '^int main' "$P/v1/main.c" | cut -d: -f1)
build ctx1 "$P/v1/main.c"
build ctx2 "$P/v2/main.c"
make_patch ctx1 ctx2 ctx.patch
"$DSU" diff "$WORK/ctx1" "$WORK/ctx2" > "$WORK/ctx.diff"
check "dsu diff names the unsafe context and says the others are safe" \
  contains "$WORK/ctx.diff" "update-point main.c:$POINT unsafe: function 'main' (main.c:$MAIN), which may be active here through its call at main.c:$CALL, uses struct settings at main.c:$USE after the update (a field access), which this patch changes; safe when reached otherwise (checked at run time)"
check "dsu diff leads with a summary" \
  bash -c "sed -n 2p '$WORK/ctx.diff' | grep -qx 'summary: 2 functions changed, 1 global changed, 1 type changed, 1 place where the update must wait (1 only through some calls)'"
"$DSU" model "$WORK/ctx1" > "$WORK/ctx1.model"
check "the model lists main's two calls as separate frames" \
  bash -c "grep -c '  frame main\..* suspended at [0-9]* site [0-9a-f]*$' '$WORK/ctx1.model' | grep -qx 2"

# Requested before the first tick: reached from the start-up call it waits,
# reached from the loop it is applied.
start ctx1
"$DSU" apply "$PID" "$WORK/ctx.patch" --timeout 10 > "$WORK/apply.log" 2>&1 &
AP=$!
wait_pending
send a
wait_lines "$WORK/ctx1.out" 2
sleep 0.3
check "the update waits at the point reached through the start-up call" kill -0 "$AP"
send b
wait "$AP"
check "the update is applied at the point reached from the loop" test $? -eq 0
check "... and says where" contains "$WORK/apply.log" "at main.c:$POINT"
send c
stop
printf 'v1 tick 1: a\nlistening on 11211\nv1 tick 2: b\nv2 tick 3: c\nbye after 3 ticks\n' > "$WORK/ctx.expected"
check "the output is right (the tick that committed finishes in v1)" \
  cmp "$WORK/ctx1.out" "$WORK/ctx.expected"

# Only the start-up context within the timeout: refused, naming it.
start ctx1
"$DSU" apply "$PID" "$WORK/ctx.patch" --timeout 1 > "$WORK/refused.log" 2>&1 &
AP=$!
wait_pending
send a
wait "$AP"
check "refused when the point is reached only through the unsafe call" test $? -ne 0
check "the refusal names the call" \
  contains "$WORK/refused.log" "through its call at main.c:$CALL"
send b
stop
check "the process went on in v1" contains "$WORK/ctx1.out" "v1 tick 2: b"

# A chain: v1 -> v2 changes main (which goes on running v1's body), v2 -> v3
# changes struct stats, which v1's main reads after its loop and v2's does
# not. The v2 -> v3 patch is safe for a process started in v2, and refused
# for one that came from v1, naming v1's frame.
C="$E2E_DIR/programs/chain"
build ch1 "$C/v1/main.c"
build ch2 "$C/v2/main.c"
build ch3 "$C/v3/main.c"
make_patch ch1 ch2 ch12.patch
make_patch ch2 ch3 ch23.patch
start ch2
send a
wait_lines "$WORK/ch2.out" 2
apply_bg() { "$DSU" apply "$PID" "$WORK/$1" --timeout "$2" > "$WORK/$3" 2>&1 & AP=$!; wait_pending; }
apply_bg ch23.patch 10 ch23-fresh.log
send b
wait "$AP"
check "v2 -> v3 is applied in a process started in v2" test $? -eq 0
send c
stop
check "... which then runs v3" contains "$WORK/ch2.out" "v3 tick 3"

start ch1
send a
wait_lines "$WORK/ch1.out" 2
apply_bg ch12.patch 10 ch12.log
send b
wait "$AP"
check "v1 -> v2 is applied" test $? -eq 0
wait_lines "$WORK/ch1.out" 3
apply_bg ch23.patch 1 ch23.log
send c
wait "$AP"
check "v2 -> v3 is refused while v1's main is still running" test $? -ne 0
check "the refusal names v1's frame and what it uses" \
  contains "$WORK/ch23.log" "function 'main' at main.c:$(grep -n 'event_loop(handle);' "$C/v1/main.c" | cut -d: -f1), left running from an earlier version, uses"
send d
stop
check "v1's main still reads its statistics right" \
  contains "$WORK/ch1.out" "bye: 4 ticks, 8 bytes"
finish
