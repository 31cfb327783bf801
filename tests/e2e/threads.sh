#!/usr/bin/env bash
# Multi-threaded programs: an update commits only when every thread is at an
# update point or parked in a safe blocking call (here pthread_cond_wait);
# a thread that never gets there makes the update time out, named.
source "$(dirname "$0")/lib.sh"
P="$E2E_DIR/programs/threads"
build th1 "$P/v1/main.c" -pthread
build th2 "$P/v2/main.c" -pthread
make_patch th1 th2 th.patch
start th1
send 2
wait_lines "$WORK/th1.out" 1
apply_during th.patch th.log 3
check "the update commits with three workers parked in pthread_cond_wait" test $? -eq 0
send 4
wait_lines "$WORK/th1.out" 3
printf '2 -> 4\n3 -> 27\n4 -> 64\n' > "$WORK/th.expected"
check "the workers run the new code after the update" cmp "$WORK/th1.out" "$WORK/th.expected"
stop

start th1
send spin
wait_lines "$WORK/th1.out" 1
"$DSU" apply "$PID" "$WORK/th.patch" --timeout 1 > "$WORK/spin.log" 2>&1 &
AP=$!
sleep 0.3
send 5
wait "$AP"
check "a busy thread makes the update time out" test $? -ne 0
check "the refusal names the thread that never got there" contains "$WORK/spin.log" "still running: thread"
check "... by its start routine" contains "$WORK/spin.log" "(worker)"
wait_lines "$WORK/th1.out" 2
send stop
wait_lines "$WORK/th1.out" 3
apply_during th.patch th2.log 6
check "once the thread is back the update commits" test $? -eq 0
wait_lines "$WORK/th1.out" 4
stop
printf 'spinning\n5 -> 25\nstopped\n6 -> 216\n' > "$WORK/spin.expected"
check "version 1 until then, version 2 after" cmp "$WORK/th1.out" "$WORK/spin.expected"

# Regression: main blocks in read() right after creating its only worker;
# the update commits through the worker's update point while main waits.
build race1 "$E2E_DIR/programs/race/v1/main.c" -pthread
build race2 "$E2E_DIR/programs/race/v2/main.c" -pthread
make_patch race1 race2 race.patch
start race1
send 1
wait_lines "$WORK/race1.out" 1
"$DSU" apply "$PID" "$WORK/race.patch" --timeout 3 > "$WORK/race.log" 2>&1
check "the update commits while main is blocked in read()" test $? -eq 0
send 1
wait_lines "$WORK/race1.out" 2
stop
printf '2\n101\n' > "$WORK/race.expected"
check "main's next request runs the new code" cmp "$WORK/race1.out" "$WORK/race.expected"
finish
