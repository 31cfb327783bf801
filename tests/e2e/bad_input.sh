#!/usr/bin/env bash
# Bad input never harms the running process: every refusal names its reason
# and the process goes on serving version 1.
source "$(dirname "$0")/lib.sh"
P="$E2E_DIR/programs"
build v1 "$P/hits/v1/main.c"
build v2 "$P/hits/v2/main.c"
build other "$P/onstack/v1/main.c"
build other2 "$P/onstack/v2/main.c"
make_patch v1 v2 good.patch
make_patch other other2 wrongbase.patch
chmod 600 "$WORK"/*.patch

# Variants of the good patch.
python3 "$E2E_DIR/patchtool.py" "$WORK/good.patch" "$WORK/corrupt.patch" --flip 200
python3 "$E2E_DIR/patchtool.py" "$WORK/good.patch" "$WORK/truncated.patch" --truncate 300
head -c 100 /dev/urandom > "$WORK/garbage.patch"
"$DSU_CLANG" -shared -fPIC -o "$WORK/unresolved.so" "$P/bad/unresolved.c"
python3 "$E2E_DIR/patchtool.py" "$WORK/good.patch" "$WORK/unresolved.patch" --payload "$WORK/unresolved.so"
cp "$WORK/good.patch" "$WORK/writable.patch"; chmod 666 "$WORK/writable.patch"
chmod 600 "$WORK"/corrupt.patch "$WORK"/truncated.patch "$WORK"/garbage.patch "$WORK"/unresolved.patch

start v1
send a
wait_lines "$WORK/v1.out" 1
SOCK="$DSU_RUNTIME_DIR/$PID.sock"

expect_refusal() { # expect_refusal WHAT PATCH TEXT : both dsu apply and the runtime refuse
  local what=$1 patch=$2 text=$3
  "$DSU" apply "$PID" "$WORK/$patch" --timeout 2 > "$WORK/$patch.out" 2>&1
  local rc=$?
  check "dsu apply refuses $what (exit $rc)" test "$rc" -ne 0
  check "dsu apply names the reason for $what" contains "$WORK/$patch.out" "$text"
  python3 "$E2E_DIR/rawapply.py" "$SOCK" "APPLY 2000 $WORK/$patch" > "$WORK/$patch.raw" 2>&1
  check "runtime refuses $what" contains "$WORK/$patch.raw" "ERR"
  check "runtime names the reason for $what" contains "$WORK/$patch.raw" "$text"
}
expect_refusal "a patch for another version" wrongbase.patch "but the process runs version"
expect_refusal "a corrupt patch" corrupt.patch "checksum mismatch"
expect_refusal "a truncated patch" truncated.patch "truncated"
expect_refusal "a file that is no patch" garbage.patch "patch"
expect_refusal "an unresolved symbol" unresolved.patch "dsu_test_symbol_that_does_not_exist"
python3 "$E2E_DIR/rawapply.py" "$SOCK" "APPLY 2000 $WORK/writable.patch" > "$WORK/writable.raw"
check "runtime refuses a group/world-writable patch" contains "$WORK/writable.raw" "writable by group or others"

# Two requests at once: the first waits for an update point (none comes,
# stdin is quiet), the second is told the runtime is busy.
"$DSU" apply "$PID" "$WORK/good.patch" --timeout 2 > "$WORK/first.out" 2>&1 &
FIRST=$!
sleep 0.5
"$DSU" apply "$PID" "$WORK/good.patch" --timeout 2 > "$WORK/second.out" 2>&1
check "a second request while one is pending is refused" test $? -ne 0
check "the second request is told the runtime is busy" contains "$WORK/second.out" "busy"
wait "$FIRST"
check "the first request times out" test $? -ne 0
check "timeout is explained" contains "$WORK/first.out" "timed out"

# After all that the process still serves version 1 ...
send b
wait_lines "$WORK/v1.out" 2
check "process still runs version 1" contains "$WORK/v1.out" "[v1] 2 hits, last b"
# ... and a good patch still applies.
"$DSU" apply "$PID" "$WORK/good.patch" --timeout 5 > "$WORK/good.out" 2>&1 &
AP=$!
sleep 0.3
send c
check "the good patch applies afterwards" wait "$AP"
wait_lines "$WORK/v1.out" 3
check "process runs version 2" contains "$WORK/v1.out" "[v2] 3 hits, last c"
"$DSU" apply "$PID" "$WORK/good.patch" --timeout 2 > "$WORK/again.out" 2>&1
check "the same patch twice is refused (wrong base)" contains "$WORK/again.out" "is for version"
stop

# Processes that cannot be updated.
"$DSU" apply 999999 "$WORK/good.patch" > "$WORK/nopid.out" 2>&1
check "a pid that does not exist is named" contains "$WORK/nopid.out" "no process with pid 999999"
sleep 30 & SLEEPER=$!; PIDS+=("$SLEEPER")
"$DSU" apply "$SLEEPER" "$WORK/good.patch" > "$WORK/plain.out" 2>&1
check "a process not built with dsu-cc is named" contains "$WORK/plain.out" "not an updatable program"
"$DSU" status "$SLEEPER" > "$WORK/plainstatus.out" 2>&1
check "status of a plain process fails clearly" contains "$WORK/plainstatus.out" "not an updatable program"
"$DSU" patch "$WORK/v1" /bin/true -o "$WORK/x.patch" > "$WORK/notdsu.out" 2>&1
check "dsu patch on a program not built with dsu-cc" contains "$WORK/notdsu.out" "not built with dsu-cc"

# A C file that does not compile: clang's own diagnostic with file and line.
(cd "$WORK" && "$DSU_CC" -c "$P/bad/syntax_error.c" -o bad.o) > "$WORK/cc.out" 2>&1
check "dsu-cc fails on a syntax error" test $? -ne 0
check "the diagnostic names file and line" contains "$WORK/cc.out" "syntax_error.c:3:"
check "the diagnostic is clang's" contains "$WORK/cc.out" "error: expected expression"
# `dsu COMMAND --help` prints that command's usage and succeeds; an
# unknown command still fails.
for cmd in patch diff apply status model test merge verify keygen; do
  "$DSU" "$cmd" --help > "$WORK/help-$cmd.txt" 2>&1
  rc=$?
  check "dsu $cmd --help succeeds with its usage" \
    bash -c "[ $rc -eq 0 ] && head -1 '$WORK/help-$cmd.txt' | grep -q '^usage: dsu $cmd '"
done
"$DSU" nosuch --help > "$WORK/help-nosuch.txt" 2>&1
check "an unknown command with --help fails" test $? -ne 0
finish
