# Helpers for end-to-end tests: build programs with dsu-cc, run them with a
# line-oriented stdin we control, apply patches, compare outputs.
# Each test script sources this file; it needs DSU_BIN (the tools directory).
set -u
: "${DSU_BIN:?DSU_BIN must name the directory of dsu-cc and dsu}"
DSU_CC="$DSU_BIN/dsu-cc"
DSU="$DSU_BIN/dsu"
# The clang dsu was built with (CMake's DSU_CLANG, passed by ctest).
DSU_CLANG=${DSU_CLANG:-clang-19}
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dsu-e2e.XXXXXX")
export DSU_RUNTIME_DIR="$WORK/run"
mkdir -m 700 "$DSU_RUNTIME_DIR"
FAILURES=0
CHECKS=0
PIDS=()

cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  if [ "$FAILURES" -eq 0 ]; then rm -rf "$WORK"; else echo "kept $WORK"; fi
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; FAILURES=$((FAILURES + 1)); }
pass() { echo "ok: $*"; }
check() { # check DESCRIPTION COMMAND...
  local what=$1; shift
  CHECKS=$((CHECKS + 1))
  if "$@"; then pass "$what"; else fail "$what"; fi
}
contains() { grep -qF -- "$2" "$1"; }
not_contains() { ! grep -qF -- "$2" "$1"; }

# build NAME SRC... : builds $WORK/NAME with dsu-cc -O2
build() {
  local name=$1; shift
  "$DSU_CC" -O2 -o "$WORK/$name" "$@" > "$WORK/$name.build.log" 2>&1 ||
    { cat "$WORK/$name.build.log"; fail "dsu-cc could not build $name"; finish; }
}

# make_patch OLD NEW PATCH
make_patch() {
  "$DSU" patch "$WORK/$1" "$WORK/$2" -o "$WORK/$3" > "$WORK/$3.log" 2>&1 ||
    { cat "$WORK/$3.log"; fail "dsu patch $1 $2"; finish; }
}

# start NAME : runs $WORK/NAME with stdin from a fifo; sets PID; send with `send`
start() {
  local name=$1
  rm -f "$WORK/$name.in"
  mkfifo "$WORK/$name.in"
  "$WORK/$name" < "$WORK/$name.in" > "$WORK/$name.out" 2> "$WORK/$name.err" &
  PID=$!
  PIDS+=("$PID")
  exec 7> "$WORK/$name.in"
  # Wait for the control socket so requests never race the constructor.
  for _ in $(seq 100); do [ -S "$DSU_RUNTIME_DIR/$PID.sock" ] && break; sleep 0.02; done
}
send() { printf '%s\n' "$@" >&7; }

# start_server BINARY LOG : starts a server that prints "listening on PORT"
# (given -p 0); sets PID and PORT. Its output goes to $WORK/LOG.out/.err.
start_server() {
  "$1" -p 0 > "$WORK/$2.out" 2> "$WORK/$2.err" &
  PID=$!
  PIDS+=("$PID")
  for _ in $(seq 100); do grep -q '^listening on' "$WORK/$2.out" && break; sleep 0.05; done
  PORT=$(sed -n 's/^listening on //p' "$WORK/$2.out")
}
# wait_lines FILE N : waits until FILE has at least N lines (max 5 s)
wait_lines() {
  for _ in $(seq 250); do
    [ "$(wc -l < "$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
    sleep 0.02
  done
  return 1
}
stop() { exec 7>&-; wait "$PID" 2>/dev/null; }
# apply_during PATCH LOG LINE : asks the running program ($PID) for the
# update, sends LINE (which reaches the update point) and returns dsu apply's
# exit status.
apply_during() {
  "$DSU" apply "$PID" "$WORK/$1" --timeout 5 > "$WORK/$2" 2>&1 &
  local ap=$!
  wait_pending
  send "$3"
  wait "$ap"
}
# wait_pending : waits until the process ($PID) has an update request
# pending (max 5 s), so that what is sent next meets it even under load.
wait_pending() {
  for _ in $(seq 100); do
    # Listed while the patch still loads too: leave it a moment to publish.
    "$DSU" status "$PID" 2>/dev/null | grep -q '^pending none' ||
      { sleep 0.1; return 0; }
    sleep 0.05
  done
}

finish() {
  echo "$((CHECKS - FAILURES)) passed, $FAILURES failed"
  [ "$FAILURES" -eq 0 ] && exit 0 || exit 1
}

# first_difference A B : "line N: real 'X', merged 'Y'" for two files
first_difference() {
  python3 - "$1" "$2" <<'PY'
import sys
a = open(sys.argv[1], 'rb').read().split(b'\n')
b = open(sys.argv[2], 'rb').read().split(b'\n')
for i in range(max(len(a), len(b))):
    x = a[i] if i < len(a) else b'<end>'
    y = b[i] if i < len(b) else b'<end>'
    if x != y:
        print("line %d: real '%s', merged '%s'" % (i + 1, x.decode(errors='replace'), y.decode(errors='replace')))
        break
PY
}

# compare_runs LABEL DIR REAL_RC MERGED_RC REAL_AT MERGED_AT WHAT : the real
# process's run and the merged program's (DIR/{real,merged}.{out,err}) must
# give the same output, exit status and commit places (WHAT: "update" or
# "updates", for the message); otherwise fails and keeps DIR's files under
# LABEL's last word.
compare_runs() {
  local label=$1 d=$2 rrc=$3 mrc=$4 rw=$5 mw=$6 what=$7
  if ! cmp -s "$d/real.out" "$d/merged.out"; then
    fail "$label: outputs differ, $(first_difference "$d/real.out" "$d/merged.out")"
  elif [ "$rrc" != "$mrc" ]; then
    fail "$label: exit status real $rrc, merged $mrc"
  elif [ "$rw" != "$mw" ]; then
    fail "$label: the $what committed at '${rw:-nowhere}' (real), '${mw:-nowhere}' (merged)"
  else
    return 0
  fi
  local tag=${label##*=}
  for f in real.out merged.out real.err merged.err; do cp "$d/$f" "$d/$tag.$f"; done
  return 1
}
