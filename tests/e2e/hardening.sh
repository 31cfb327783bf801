#!/usr/bin/env bash
# Hardening (issue 11): what an attacker or a careless operator does to a live
# process and its control socket must not fool dsu, leak, or take the process
# down. Each section is one item of the issue.
source "$(dirname "$0")/lib.sh"
P="$E2E_DIR/programs/harden"
build h1 "$P/v1/main.c"
build h2 "$P/v2/main.c"
build h3 "$P/v3/main.c"
make_patch h1 h2 12.patch
make_patch h2 h1 21.patch
make_patch h1 h3 13.patch
V1=$("$DSU" model "$WORK/h1" | head -1 | cut -d' ' -f2)
V2=$("$DSU" model "$WORK/h2" | head -1 | cut -d' ' -f2)
for name in stop many flood fd; do cp "$WORK/h1" "$WORK/$name"; done

fds() { ls "/proc/$1/fd" | wc -l; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
# start_spin NAME LIMIT : runs $WORK/NAME spin (an update point every
# millisecond) with `ulimit -n LIMIT`; sets PID; input through fd 7.
start_spin() {
  rm -f "$WORK/$1.in"; mkfifo "$WORK/$1.in"
  (ulimit -n "$2"; exec "$WORK/$1" spin < "$WORK/$1.in" > "$WORK/$1.out" 2> "$WORK/$1.err") &
  PID=$!; PIDS+=("$PID")
  exec 7> "$WORK/$1.in"
  for _ in $(seq 100); do [ -S "$DSU_RUNTIME_DIR/$PID.sock" ] && break; sleep 0.02; done
}

# --- item 2: a request the CLI gave up on is never applied. The process is
# stopped before its control thread took the request; dsu apply waits, says
# it failed, and the process then resumes with an update point right away.
start stop
send a
wait_lines "$WORK/stop.out" 1
kill -STOP "$PID"
"$DSU" apply "$PID" "$WORK/12.patch" --timeout 1 > "$WORK/stopped.log" 2>&1
check "dsu apply to a stopped process fails" test $? -ne 0
check "and says the request was withdrawn" contains "$WORK/stopped.log" "withdrawn"
send b
kill -CONT "$PID"
sleep 0.3
send c
wait_lines "$WORK/stop.out" 3
check "the withdrawn request was never applied" \
  bash -c "tail -2 '$WORK/stop.out' | tr '\n' ' ' | grep -qx 'v1 b v1 c '"
"$DSU" status "$PID" > "$WORK/stopped.status" 2>&1
check "status shows version 1 and no update" \
  bash -c "grep -q 'version $V1' '$WORK/stopped.status' && ! grep -q '^update ' '$WORK/stopped.status'"
# Stopped after the request was published, past the CLI's wait: the CLI
# withdraws it, or reports it applied only if it was.
"$DSU" apply "$PID" "$WORK/12.patch" --timeout 1 > "$WORK/stopped2.log" 2>&1 &
AP=$!
sleep 0.5
kill -STOP "$PID"
wait "$AP"; RC=$?
send d
kill -CONT "$PID"
sleep 0.5
send e
wait_lines "$WORK/stop.out" 5
if [ "$RC" -eq 0 ]; then
  check "dsu apply said applied, and it was" contains "$WORK/stop.out" "v2 e"
else
  check "dsu apply said failed, and nothing was applied" contains "$WORK/stop.out" "v1 e"
fi
# And an ordinary request still applies.
apply_during 12.patch normal.log f
check "an ordinary update still applies" test $? -eq 0
wait_lines "$WORK/stop.out" 6
check "and runs version 2" contains "$WORK/stop.out" "v2 f"
stop

# Stopped in the middle of the commit (its state transformer stops it) and
# past the CLI's wait: the CLI cannot withdraw any more, so it says so, waits
# for the outcome, and reports the update applied once it is.
(cd "$P/widen/v1" && "$DSU_CC" -O2 -o "$WORK/w1" main.c) &&
  (cd "$P/widen/v2" && "$DSU_CC" -O2 -o "$WORK/w2" main.c) ||
  { fail "build widen"; finish; }
"$DSU" patch "$WORK/w1" "$WORK/w2" -o "$WORK/w.patch" --emit-transformers "$WORK/w.c" > /dev/null 2>&1
sed -i 's/^#include <stddef.h>/#include <signal.h>\n#include <stddef.h>/; s/^  return 0;/  raise(SIGSTOP);\n  return 0;/' "$WORK/w.c"
"$DSU" patch "$WORK/w1" "$WORK/w2" -o "$WORK/wstop.patch" --transformers "$WORK/w.c" > "$WORK/wstop.log" 2>&1
check "a patch whose transformer stops the process builds" grep -q raise "$WORK/w.c"
start w1
send a
wait_lines "$WORK/w1.out" 1
"$DSU" apply "$PID" "$WORK/wstop.patch" --timeout 1 > "$WORK/wstop.apply" 2>&1 &
AP=$!
sleep 0.3
send b
for _ in $(seq 100); do [ "$(awk '{print $3}' "/proc/$PID/stat")" = T ] && break; sleep 0.05; done
sleep 6.5 # past dsu apply's wait (1 s + 5 s)
check "dsu apply still waits for the commit in progress" kill -0 "$AP"
check "and says so" contains "$WORK/wstop.apply" "is committing the update"
kill -CONT "$PID"
wait "$AP"
check "dsu apply reports the update applied" test $? -eq 0
wait_lines "$WORK/w1.out" 2
check "and it was" contains "$WORK/w1.out" "v2 2"
stop

# --- items 9 and 10: updates back and forth, more of them than the
# process may open descriptors; nothing leaks, status answers in full.
N=80
start_spin many 64
send warm
wait_lines "$WORK/many.out" 1
FD0=$(fds "$PID"); RSS0=$(rss_kb "$PID")
OK=0
for i in $(seq "$N"); do
  if [ $((i % 2)) -eq 1 ]; then p=12.patch; else p=21.patch; fi
  "$DSU" apply "$PID" "$WORK/$p" --timeout 5 > "$WORK/many.log" 2>&1 && OK=$((OK + 1)) ||
    { cat "$WORK/many.log"; break; }
done
FD1=$(fds "$PID"); RSS1=$(rss_kb "$PID")
echo "descriptors $FD0 -> $FD1, RSS $RSS0 kB -> $RSS1 kB after $OK updates" \
  "($(( (RSS1 - RSS0) * 1024 / (OK > 0 ? OK : 1) )) bytes per update)"
check "$N updates back and forth under ulimit -n 64 all applied" test "$OK" -eq "$N"
check "no descriptor leaked ($FD0 -> $FD1)" test "$FD1" -le "$FD0"
"$DSU" status --json "$PID" > "$WORK/many.json" 2> "$WORK/many.json.err"
check "status --json after $N updates is complete JSON" \
  python3 -c "import json,sys; j=json.load(open('$WORK/many.json')); sys.exit(len(j['updates']) < 1)"
"$DSU" status "$PID" > "$WORK/many.status" 2>&1
check "status after $N updates" test $? -eq 0

# --- item 11: control connections are bounded, and a request must arrive
# whole within its deadline.
stop
start_spin flood 64
send warm
wait_lines "$WORK/flood.out" 1
FD1=$(fds "$PID")
SOCK="$DSU_RUNTIME_DIR/$PID.sock"
python3 "$E2E_DIR/flood.py" "$SOCK" 1 6 > "$WORK/trickle.log" 2>&1
check "a connection that trickles its request is closed at the deadline" \
  bash -c "grep -qx 'connected 1 closed 1' '$WORK/trickle.log'"
python3 "$E2E_DIR/flood.py" "$SOCK" 100 6 > "$WORK/flood.log" 2>&1 &
FLOOD=$!
sleep 3
FDF=$(fds "$PID")
check "100 connections cost the process at most a few descriptors ($FD1 -> $FDF)" \
  test "$FDF" -le $((FD1 + 4))
wait "$FLOOD"
"$DSU" status "$PID" > /dev/null 2>&1
check "the process answers status after the flood" test $? -eq 0
send more
wait_lines "$WORK/flood.out" 2
check "the program still runs" contains "$WORK/flood.out" "more"
stop

# --- item 5: dsu trusts only the target process's own socket in a directory
# owned by the process's user.
sleep 60 & SLEEPER=$!; PIDS+=("$SLEEPER")
python3 "$E2E_DIR/fakeserver.py" "$DSU_RUNTIME_DIR/$SLEEPER.sock" "$WORK/fake.log" &
FAKE=$!; PIDS+=("$FAKE")
for _ in $(seq 100); do [ -S "$DSU_RUNTIME_DIR/$SLEEPER.sock" ] && break; sleep 0.02; done
"$DSU" apply "$SLEEPER" "$WORK/12.patch" > "$WORK/fake-apply.log" 2>&1
check "apply refuses a socket served by another process" test $? -ne 0
check "and names the impostor" contains "$WORK/fake-apply.log" "served by pid $FAKE"
"$DSU" status "$SLEEPER" > "$WORK/fake-status.log" 2>&1
check "status refuses a socket served by another process" test $? -ne 0
check "the impostor learnt nothing" test ! -s "$WORK/fake.log"
kill "$FAKE"
EVIL="$WORK/evil"
mkdir -m 777 "$EVIL"; chown nobody "$EVIL"
python3 "$E2E_DIR/fakeserver.py" "$EVIL/$SLEEPER.sock" "$WORK/fake2.log" &
FAKE=$!; PIDS+=("$FAKE")
for _ in $(seq 100); do [ -S "$EVIL/$SLEEPER.sock" ] && break; sleep 0.02; done
DSU_RUNTIME_DIR="$EVIL" "$DSU" apply "$SLEEPER" "$WORK/12.patch" > "$WORK/evil-apply.log" 2>&1
check "apply refuses a runtime directory owned by someone else" test $? -ne 0
check "and says why" contains "$WORK/evil-apply.log" "owned by uid"
DSU_RUNTIME_DIR="$EVIL" "$DSU" status "$SLEEPER" > "$WORK/evil-status.log" 2>&1
check "status refuses it too" test $? -ne 0
check "the impostor learnt nothing here either" test ! -s "$WORK/fake2.log"
kill "$FAKE"

# --- item 6: the patch is passed as an open descriptor: what dsu checked is
# what the process loads, and a FIFO cannot wedge either side.
start fd
send a
wait_lines "$WORK/fd.out" 1
mkfifo "$WORK/fifo.patch"
timeout 10 "$DSU" apply "$PID" "$WORK/fifo.patch" --timeout 2 > "$WORK/fifo.log" 2>&1
RC=$?
check "apply refuses a FIFO at once (exit $RC)" test "$RC" -ne 0 -a "$RC" -ne 124
check "and says it is not a regular file" contains "$WORK/fifo.log" "not a regular file"
# A newline in the path: the file dsu checks is the one the process loads.
cp "$WORK/13.patch" "$WORK/nl"
cp "$WORK/12.patch" "$WORK/nl
x.patch"
"$DSU" apply "$PID" "$WORK/nl
x.patch" --timeout 5 > "$WORK/nl.log" 2>&1 &
AP=$!
sleep 0.3
send b
wait "$AP"
check "a patch whose name holds a newline applies" test $? -eq 0
wait_lines "$WORK/fd.out" 2
check "and it is that patch (v2), not another file (v3)" contains "$WORK/fd.out" "v2 b"
stop

# --- item 4: a set-user-ID program ignores DSU_* variables set by the user
# who runs it (its test hooks would write anywhere as root, and a runtime
# directory from the environment would be created as root).
SU=$(mktemp -d /tmp/dsu-suid.XXXXXX); chmod 755 "$SU"
cp "$WORK/h1" "$SU/h1"; chown root "$SU/h1"; chmod 4755 "$SU/h1"
echo "root's data" > "$SU/victim"; chmod 644 "$SU/victim"
setpriv --reuid=nobody --regid=nogroup --clear-groups \
  env DSU_TEST_COUNT_FILE="$SU/victim" DSU_RUNTIME_DIR="$SU/made-by-root" \
  "$SU/h1" < /dev/null > "$WORK/suid.out" 2>&1
check "the set-user-ID program ran" test $? -eq 0
check "DSU_TEST_COUNT_FILE did not overwrite a root-owned file" \
  bash -c "[ \"\$(cat '$SU/victim')\" = \"root's data\" ]"
check "DSU_RUNTIME_DIR did not create a directory as root" test ! -e "$SU/made-by-root"
rm -rf "$SU"

# --- libdsu is invisible to a careful daemon: it closes every descriptor at
# start-up, forks children that dup2() onto low numbers and exec, and forks
# a child that sandboxes itself with seccomp and exits.
build d1 "$P/daemon/v1/main.c"
build d2 "$P/daemon/v2/main.c"
make_patch d1 d2 d12.patch
start d1
send fd
wait_lines "$WORK/d1.out" 1
check "after closefrom(3), dsu_update_fd() is libdsu's own again" contains "$WORK/d1.out" "fd: ok"
sleep 1.5 # the control thread notices its socket is gone within a second
"$DSU" status "$PID" > "$WORK/d1.status" 2>&1
check "after closefrom(3), the process still answers status" test $? -eq 0
send fork
wait_lines "$WORK/d1.out" 2
check "a child's descriptors are its own and dup2 onto 5 and 6 works" contains "$WORK/d1.out" "fork: exited 0"
send seccomp
wait_lines "$WORK/d1.out" 3
check "a sandboxed child exits at once" contains "$WORK/d1.out" "seccomp: exited 0"
apply_during d12.patch d12.log hello
check "and the daemon can still be updated" test $? -eq 0
wait_lines "$WORK/d1.out" 4
check "to version 2" contains "$WORK/d1.out" "v2 hello"
# Its main thread killed alone by its own seccomp filter: libdsu's threads
# must not keep the process alive, and it ends as its main thread did.
send die
for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
check "the process ends when its main thread is killed" bash -c "! kill -0 $PID 2>/dev/null"
kill -9 "$PID" 2>/dev/null
exec 7>&-; wait "$PID"
check "as the main thread did (SIGSYS)" test $? -eq $((128 + 31))

# --- item 7: dsu patch -o OUT replaces OUT; it never writes through it.
echo "other data" > "$WORK/linked"; ln "$WORK/linked" "$WORK/out.patch"
"$DSU" patch "$WORK/h1" "$WORK/h2" -o "$WORK/out.patch" > /dev/null 2>&1
check "dsu patch over a hard link writes a new file" \
  bash -c "[ \"\$(cat '$WORK/linked')\" = 'other data' ] && cmp -s '$WORK/out.patch' '$WORK/12.patch'"
mknod "$WORK/null" c 1 3; chmod 666 "$WORK/null"
"$DSU" patch "$WORK/h1" "$WORK/h2" -o "$WORK/null" > "$WORK/null.log" 2>&1
check "dsu patch refuses to replace a device" test $? -ne 0
check "and leaves its mode alone" bash -c "[ \"\$(stat -c %a:%F '$WORK/null')\" = '666:character special file' ]"

# --- item 13: messages and exit codes.
start h1
send a
wait_lines "$WORK/h1.out" 1
"$DSU" apply "$PID" "$WORK/12.patch" --timeout 1e12 > "$WORK/badtimeout.log" 2>&1
check "a bad --timeout is refused by dsu" test $? -ne 0
check "with dsu's own message, not the runtime's" \
  bash -c "grep -q -- '--timeout takes a number of seconds' '$WORK/badtimeout.log' && ! grep -q malformed '$WORK/badtimeout.log'"
"$DSU" status "$PID" > /dev/full 2> "$WORK/full.log"
check "output to a full disk is dsu's error, not LLVM's" \
  bash -c "grep -q '^dsu: error: cannot write the output: No space left on device' '$WORK/full.log' && ! grep -q 'LLVM ERROR' '$WORK/full.log'"
setpriv --reuid=nobody --regid=nogroup --clear-groups "$DSU" status "$PID" > "$WORK/denied.log" 2>&1
check "status by another user fails" test $? -ne 0
check "and says permission denied, not 'not an updatable program'" \
  bash -c "grep -q 'Permission denied' '$WORK/denied.log' && ! grep -q 'not an updatable' '$WORK/denied.log'"
stop
build b1 "$P/blocked/v1/main.c" -pthread
build b2 "$P/blocked/v2/main.c" -pthread
make_patch b1 b2 b12.patch
start b1
wait_lines "$WORK/b1.out" 1
"$DSU" apply "$PID" "$WORK/b12.patch" --timeout 1 > "$WORK/blocked.log" 2>&1
check "an update waiting for a thread blocked in an unbracketed read() times out" test $? -ne 0
check "and says the thread is blocked in read(), not running" \
  contains "$WORK/blocked.log" "(reader) blocked in read(), not known to be a safe place"
kill "$PID"; exec 7>&-; wait "$PID" 2>/dev/null
LONG="$WORK/$(printf 'd%.0s' $(seq 120))"
DSU_RUNTIME_DIR="$LONG" "$WORK/h1" < /dev/null > /dev/null 2> "$WORK/long.err"
check "a DSU_RUNTIME_DIR too long for a socket is named, not truncated" \
  bash -c "grep -q 'too long' '$WORK/long.err' && [ -z \"\$(ls '$WORK' | grep '^ddddd')\" ]"
DSU_QUIET= DSU_RUNTIME_DIR="$LONG" "$WORK/h1" < /dev/null > /dev/null 2> "$WORK/quiet.err"
check "DSU_QUIET= (empty) does not silence warnings" contains "$WORK/quiet.err" "warning"
DSU_QUIET=1 DSU_RUNTIME_DIR="$LONG" "$WORK/h1" < /dev/null > /dev/null 2> "$WORK/quiet1.err"
check "DSU_QUIET=1 does" test ! -s "$WORK/quiet1.err"
finish
