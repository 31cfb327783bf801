#!/usr/bin/env bash
# Update safety: a patch that changes struct counter is not applied at the
# update point where phase_one() holds a pointer to a counter; the runtime
# waits for the safe point of phase two. Forced at the unsafe point, the same
# update really corrupts the process, which is why the check exists.
source "$(dirname "$0")/lib.sh"
# stop, bounded: some runs here are forced into corrupting the process,
# which may then never exit; kill it after 10 s rather than hang the test.
stop() {
  exec 7>&-
  for _ in $(seq 200); do kill -0 "$PID" 2>/dev/null || break; sleep 0.05; done
  kill -9 "$PID" 2>/dev/null && echo "note: process $PID did not exit, killed"
  wait "$PID" 2>/dev/null
}
P="$E2E_DIR/programs/phases"
UNSAFE_LINE=$(grep -n 'DSU_UPDATE_POINT(); /\* unsafe' "$P/v1/main.c" | cut -d: -f1)
SAFE_LINE=$(grep -n 'DSU_UPDATE_POINT(); /\* safe' "$P/v1/main.c" | cut -d: -f1)
HELD_LINE=$(grep -n 'bump(c);' "$P/v1/main.c" | cut -d: -f1)
build ph1 "$P/v1/main.c"
build ph2 "$P/v2/main.c"
make_patch ph1 ph2 ph.patch
"$DSU" diff "$WORK/ph1" "$WORK/ph2" > "$WORK/ph.diff"
check "dsu diff reports the unsafe update point and why" \
  contains "$WORK/ph.diff" "update-point main.c:$UNSAFE_LINE unsafe: function 'phase_one' (main.c:22), which may be active here, uses struct counter at main.c:$HELD_LINE after the update (held in its frame, where dsu cannot update it), which this patch changes"
check "the safe update point is not reported unsafe" \
  bash -c "! grep -q 'main.c:$SAFE_LINE unsafe' '$WORK/ph.diff'"

# Safe run: requested during phase one, applied in phase two.
start ph1
send b b
wait_lines "$WORK/ph1.out" 2
"$DSU" apply "$PID" "$WORK/ph.patch" --timeout 10 > "$WORK/safe.log" 2>&1 &
AP=$!
wait_pending
send b n
sleep 0.3
check "the update waits while only the unsafe point is reached" kill -0 "$AP"
send r
wait "$AP"
check "the update is applied at the safe point" test $? -eq 0
check "... and says where" contains "$WORK/safe.log" "at main.c:$SAFE_LINE"
wait_lines "$WORK/ph1.out" 4
stop
printf 'hits 1\nhits 2\nhits 3\ntotal hits 3 misses 0\n' > "$WORK/safe.expected"
check "the output is right" cmp "$WORK/ph1.out" "$WORK/safe.expected"

# Only unsafe points within the timeout: refused, with the reason.
start ph1
send b
wait_lines "$WORK/ph1.out" 1
"$DSU" apply "$PID" "$WORK/ph.patch" --timeout 1 > "$WORK/refused.log" 2>&1 &
AP=$!
wait_pending
send b
wait "$AP"
check "refused when only unsafe points are reached" test $? -ne 0
check "the refusal names the point, the function and the type" \
  contains "$WORK/refused.log" "unsafe at every update point reached (last main.c:$UNSAFE_LINE: function 'phase_one'"
send b
wait_lines "$WORK/ph1.out" 3
stop
check "the process goes on as version 1" bash -c "[ \"\$(sed -n 3p '$WORK/ph1.out')\" = 'hits 3' ]"

# Forced at the unsafe point: the old frame keeps using the freed counter.
start ph1
send b b
wait_lines "$WORK/ph1.out" 2
"$DSU" apply "$PID" "$WORK/ph.patch" --timeout 5 --force-at other.c:3,other.c:4 --force-at "main.c:$UNSAFE_LINE" > "$WORK/forced.log" 2>&1 &
AP=$!
wait_pending
send b
wait "$AP"
check "the forced update is applied" test $? -eq 0
check "dsu apply says loudly what it skipped" contains "$WORK/forced.log" "FORCED at an update point found unsafe"
check "and warns before" contains "$WORK/forced.log" "WARNING"
"$DSU" status "$PID" > "$WORK/forced.status"
check "dsu status records the forced commit, where and why it was unsafe" \
  contains "$WORK/forced.status" "FORCED at an update point found unsafe: main.c:$UNSAFE_LINE: function 'phase_one'"
send n r
wait_lines "$WORK/ph1.out" 4
stop
check "forced at the unsafe point, the program goes wrong" \
  bash -c "! cmp -s '$WORK/ph1.out' '$WORK/safe.expected'"

# The continuation analysis: what matters is what a frame uses after the
# point, not what its body mentions.
A="$E2E_DIR/programs/afteruse"
BEFORE_LINE=$(grep -n 'DSU_UPDATE_POINT(); /\* before' "$A/v1/main.c" | cut -d: -f1)
AFTER_LINE=$(grep -n 'DSU_UPDATE_POINT(); /\* after' "$A/v1/main.c" | cut -d: -f1)
USE_LINE=$((BEFORE_LINE + 1))
build au1 "$A/v1/main.c"
build au2 "$A/v2/main.c"
make_patch au1 au2 au.patch
"$DSU" diff "$WORK/au1" "$WORK/au2" > "$WORK/au.diff"
check "a point before a field access of the changed type is unsafe, naming the use" \
  contains "$WORK/au.diff" "update-point main.c:$BEFORE_LINE unsafe: function 'before' (main.c:$((BEFORE_LINE - 1))), which may be active here, uses struct item at main.c:$USE_LINE after the update (a field access), which this patch changes"
check "a point after the last use (then only passing a pointer along) is safe" \
  bash -c "! grep -q 'main.c:$AFTER_LINE unsafe' '$WORK/au.diff'"
check "main, which initialises the struct before its loop, blocks no point" \
  bash -c "[ \$(grep -c unsafe '$WORK/au.diff') -eq 1 ] && ! grep -q \"function 'main'\" '$WORK/au.diff'"

start au1
send a
wait_lines "$WORK/au1.out" 2
"$DSU" apply "$PID" "$WORK/au.patch" --timeout 10 > "$WORK/au.log" 2>&1 &
AP=$!
wait_pending
send b
sleep 0.3
check "the update waits at the point before the use" kill -0 "$AP"
send a
wait "$AP"
check "the update is applied at the point after the last use" test $? -eq 0
check "... and says where" contains "$WORK/au.log" "at main.c:$AFTER_LINE"
send b
stop
printf 'after 10\nn 10\nbefore 11\nafter 21\nn 21 seen 1\nbefore 22\nbye\n' > "$WORK/au.expected"
check "new code reads the transformed object" cmp "$WORK/au1.out" "$WORK/au.expected"

start au1
"$DSU" apply "$PID" "$WORK/au.patch" --timeout 2 > "$WORK/au-refused.log" 2>&1 &
AP=$!
wait_pending
send b
wait "$AP"
check "refused when only the point before the use is reached" test $? -ne 0
check "the refusal names the frame, the use and the type" \
  contains "$WORK/au-refused.log" "function 'before' (main.c:$((BEFORE_LINE - 1))), which may be active here, uses struct item at main.c:$USE_LINE"
stop

# --force-at all: the first point reached commits, and status says so.
start au1
"$DSU" apply "$PID" "$WORK/au.patch" --timeout 5 --force-at all > "$WORK/au-all.log" 2>&1 &
AP=$!
wait_pending
send b
wait "$AP"
check "--force-at all applies at the first point reached" test $? -eq 0
check "... which was the unsafe one" contains "$WORK/au-all.log" "FORCED at an update point found unsafe: main.c:$BEFORE_LINE"
check "the warning says any point" contains "$WORK/au-all.log" "may be applied at any update point"
"$DSU" status "$PID" > "$WORK/au-all.status"
check "dsu status records it" contains "$WORK/au-all.status" "FORCED at an update point found unsafe: main.c:$BEFORE_LINE"
stop

# An update point in a callback under libevent's loop: only main (below
# event_base_dispatch) and the callback are on the stack, not every function
# that calls printf, so a patch to struct stats is safe there.
V="$E2E_DIR/programs/evloop"
CB_LINE=$(grep -n 'DSU_UPDATE_POINT(); /\* in the callback' "$V/v1/main.c" | cut -d: -f1)
[ -f /usr/include/event2/event.h ] || fail "libevent-dev is not installed (scripts/setup.sh installs it)"
build ev1 "$V/v1/main.c" -levent
build ev2 "$V/v2/main.c" -levent
make_patch ev1 ev2 ev.patch
"$DSU" diff "$WORK/ev1" "$WORK/ev2" > "$WORK/ev.diff"
check "the callback's update point is safe for a change to struct stats" \
  bash -c "grep -q 'type changed struct stats' '$WORK/ev.diff' && ! grep -q unsafe '$WORK/ev.diff'"
start ev1
send a b
wait_lines "$WORK/ev1.out" 2
"$DSU" apply "$PID" "$WORK/ev.patch" --timeout 5 > "$WORK/ev.log" 2>&1 &
AP=$!
wait_pending
send c
wait "$AP"
check "the update commits in the callback under event_base_dispatch" test $? -eq 0
check "... at its update point" contains "$WORK/ev.log" "at main.c:$CB_LINE"
send d
stop
printf 'line\nline\nline 3\nline 4\nbye\n' > "$WORK/ev.expected"
check "new code counts on in the transformed struct" cmp "$WORK/ev1.out" "$WORK/ev.expected"

# While an update waits for a safe point, dsu_update_fd() must not stay
# readable: a poll loop that reached only an unsafe point would spin.
W="$E2E_DIR/programs/pollwait"
build pw1 "$W/v1/main.c"
build pw2 "$W/v2/main.c"
make_patch pw1 pw2 pw.patch
start pw1
send a
wait_lines "$WORK/pw1.out" 1
"$DSU" apply "$PID" "$WORK/pw.patch" --timeout 1.5 > "$WORK/pw.log" 2>&1
check "the update is refused: the loop's only point is unsafe" test $? -ne 0
send b
stop
WAKEUPS=$(sed -n 's/^wakeups //p' "$WORK/pw1.out")
check "the poll loop woke up a few times, not continuously (woke $WAKEUPS times)" \
  test "${WAKEUPS:-999999}" -lt 20

# Another thread parked in a blocking call is quiescent only where the rest
# of its frames does not use what the patch changes.
K="$E2E_DIR/programs/parked"
READ_AT=$(grep -n 'parked: unsafe' "$K/v1/main.c" | cut -d: -f1)
build pk1 "$K/v1/main.c" -pthread
build pk2 "$K/v2/main.c" -pthread
make_patch pk1 pk2 pk.patch
"$DSU" diff "$WORK/pk1" "$WORK/pk2" > "$WORK/pk.diff"
check "the worker's read is an unsafe place to be parked, and why" \
  contains "$WORK/pk.diff" "blocking-call main.c:$READ_AT unsafe: a thread may be parked in read here; function 'worker'"
check "main's own update point is safe" bash -c "! grep -q '^update-point' '$WORK/pk.diff'"
start pk1
send a
wait_lines "$WORK/pk1.out" 1
"$DSU" apply "$PID" "$WORK/pk.patch" --timeout 2 > "$WORK/pk.log" 2>&1 &
AP=$!
wait_pending
send b
wait "$AP"
check "no commit while the worker is parked where it would use the old object" test $? -ne 0
check "the refusal names the parked thread and where" \
  contains "$WORK/pk.log" "(worker), parked in read main.c:$READ_AT where the update is unsafe"
send c
stop
printf 'done 1\ndone 2\ndone 3\n' > "$WORK/pk.expected"
check "the process goes on as version 1" cmp "$WORK/pk1.out" "$WORK/pk.expected"
start pk1
send a
wait_lines "$WORK/pk1.out" 1
"$DSU" apply "$PID" "$WORK/pk.patch" --timeout 5 --force-at "main.c:$READ_AT" > "$WORK/pk-forced.log" 2>&1 &
AP=$!
wait_pending
send b
wait "$AP"
check "forced past the parked thread, the update commits" test $? -eq 0
check "... and says so" contains "$WORK/pk-forced.log" "FORCED at an update point found unsafe: a thread may be parked in read here"
stop

# A changed struct held in main's frame and read after the loop (vsftpd's
# session): still refused.
F="$E2E_DIR/programs/framestate"
LOOP_LINE=$(grep -n 'DSU_UPDATE_POINT(); /\* unsafe' "$F/v1/main.c" | cut -d: -f1)
READ_LINE=$(grep -n 'printf("requests' "$F/v1/main.c" | cut -d: -f1)
build fs1 "$F/v1/main.c"
build fs2 "$F/v2/main.c"
# The loop body's frame holds the session, so the body is a new function:
# dsu patch also says the loop would stay old; allowed here, since what is
# tested is the runtime's refusal at the unsafe point.
"$DSU" patch "$WORK/fs1" "$WORK/fs2" -o "$WORK/fs.patch" > "$WORK/fs.plog" 2>&1
check "dsu patch says the loop would keep its old body" \
  contains "$WORK/fs.plog" "the update would take effect only in part"
"$DSU" patch "$WORK/fs1" "$WORK/fs2" -o "$WORK/fs.patch" --allow-partial \
  > "$WORK/fs.plog" 2>&1 || { cat "$WORK/fs.plog"; fail "dsu patch fs1 fs2"; }
"$DSU" diff "$WORK/fs1" "$WORK/fs2" > "$WORK/fs.diff"
check "a struct held in main's frame makes the loop's point unsafe" \
  contains "$WORK/fs.diff" "update-point main.c:$LOOP_LINE unsafe: function 'main'"
"$DSU" model "$WORK/fs1" > "$WORK/fs.model"
check "the model records main's read of it after the loop" \
  grep -q "type struct session (field) at .*v1/main.c:$READ_LINE" "$WORK/fs.model"
start fs1
send one
wait_lines "$WORK/fs1.out" 1
"$DSU" apply "$PID" "$WORK/fs.patch" --timeout 2 > "$WORK/fs.log" 2>&1 &
AP=$!
wait_pending
send two
wait "$AP"
check "the update is refused" test $? -ne 0
check "... naming main and struct session" \
  contains "$WORK/fs.log" "function 'main' (main.c:"
send three
stop
check "the process goes on as version 1" \
  bash -c "[ \"\$(tail -1 '$WORK/fs1.out')\" = 'requests 3' ]"
finish
