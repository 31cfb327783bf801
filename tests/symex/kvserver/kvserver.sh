#!/usr/bin/env bash
# dsu symex on merged programs of the key-value server (examples/kvserver):
# every update timing in one run, with symbolic requests from a client
# (kvserver_env.c stands in for the network), and no spec: the merged
# program's own safety check is the only assertion.
#   kvserver.sh BIN CHECK OUT      (BIN holds dsu and dsu-cc)
# CHECK is one of
#   v3v4    v3 -> v4, the update that changes struct entry (every stored
#           entry is transformed) and the global struct stats: holds, with 2
#           requests (SET k v, GET k, DEL k; keys and values one byte of
#           "ab") and every timing of the update (never, or at any of the 5
#           update-point visits; bench/symex-merge.sh runs 3 requests, 2.5
#           times longer); with 1 request, the paths' test cases show
#           each timing once per request path, and one of them replays
#           natively to the same replies with the update committed
#   unsafe  the same pair with a loop that sizes its poll set from
#           stats.connections_active (old code that reads the changed global
#           after its update point): unforced, the update is never safe and
#           never commits (holds); merged with --force-at all, as `dsu apply
#           --force-at all` would apply it, the run finds the old loop
#           reading the transformed global: error, replayed natively
#   chain   v2 -> v3 -> v4 merged as a chain (two updates): holds with 1
#           request over every timing (never, K1, K1 < K2), each timing on
#           the same request paths; one with both updates replays natively
set -u
bin=$(cd "$1" && pwd) check=$2 out=$3
R=$(cd "$(dirname "$0")" && pwd)
EX=$R/../../../examples/kvserver
ENV=$R/kvserver_env.c
DSU=$bin/dsu
fail() { echo "FAIL: $*"; exit 1; }

rm -rf "$out"; mkdir -p "$out"

# build SRC_PARENT VERSION : the version's server, built by dsu-cc
build() {
  make -s -C "$1" VERSION="$2" CC="$bin/dsu-cc" BUILD="$out/kv" kvserver \
    > "$out/build-$2.log" 2>&1 || { cat "$out/build-$2.log"; fail "make kvserver $2"; }
}

# symex NAME MERGED.bc REQUESTS [OPTIONS...] : runs dsu symex, prints its log
symex() {
  local name=$1 merged=$2 n=$3
  shift 3
  local start end
  start=$(date +%s.%N)
  "$DSU" symex --quiet --output-dir "$out/$name" "$@" "$merged" "$ENV" -- \
    -DKV_REQUESTS="$n" > "$out/$name.log" 2> "$out/$name.err"
  STATUS=$?
  end=$(date +%s.%N)
  echo "== $name ($n requests): $(echo "$end - $start" | bc) s"
  grep -v '^  test case' "$out/$name.log"
  LAST=$(tail -n 1 "$out/$name.log")
}

# expect VERDICT STATUS
expect() {
  [ "$LAST" = "verdict: $1" ] && [ "$STATUS" -eq "$2" ] ||
    { cat "$out"/*.err; fail "expected verdict: $1 (exit status $2), got '$LAST' ($STATUS)"; }
}

case $check in
v3v4)
  build "$EX" v3
  build "$EX" v4
  "$DSU" merge "$out/kv/v3/kvserver" "$out/kv/v4/kvserver" -o "$out/merged.bc" ||
    fail "dsu merge"
  symex timings2 "$out/merged.bc" 2
  expect holds 0
  # Each timing on its own paths: the first dsu_merge_choose object that is
  # 1 is the visit of the update (none: the run without it).
  symex timings1 "$out/merged.bc" 1 --write-paths
  expect holds 0
  for c in "$out"/timings1/path-*.case; do
    awk '/^object dsu_merge_choose /{n++; if ($4 == "01000000") {print n; f=1; exit}}
         END {if (!f) print "never"}' "$c"
  done | sort | uniq -c > "$out/timings"
  cat "$out/timings"
  [ "$(awk '{print $2}' "$out/timings" | tr '\n' ' ')" = "1 2 3 4 never " ] ||
    fail "the paths do not cover every timing (never, visits 1-4)"
  [ "$(awk '{print $1}' "$out/timings" | sort -u | wc -l)" -eq 1 ] ||
    fail "the timings do not have the same request paths"
  # A path where the update commits after a SET (visit 3, after the first
  # request was served), replayed natively: the same replies, the update
  # committed where the executor chose.
  replayed=""
  for c in "$out"/timings1/path-*.case; do
    t=$(awk '/^object dsu_merge_choose /{n++; if ($4 == "01000000") {print n; exit}}' "$c")
    if [ "$t" = 3 ] && grep -q '^object request.cmd 4 00000000' "$c"; then
      replayed=$c
      break
    fi
  done
  [ -n "$replayed" ] || fail "no path with SET and the update at visit 3"
  "$DSU" replay "$replayed" "$out/merged.bc" "$ENV" -- -DKV_REQUESTS=1 \
    > "$out/replay.log" 2> "$out/replay.err"
  rs=$?
  cat "$out/replay.log"
  [ $rs -eq 0 ] && grep -q '^replay: no error (exit status 0)' "$out/replay.log" ||
    fail "$replayed did not replay cleanly"
  ! grep -q 'output differs' "$out/replay.log" || fail "the replayed replies differ"
  grep -q '^dsu: merge: updated at update point 3 (loop.c:' "$out/replay.err" ||
    { cat "$out/replay.err"; fail "the replay did not update at visit 3"; }
  ;;
unsafe)
  # The example's sources with the loop reading the changed global.
  mkdir -p "$out/src"
  cp "$EX/Makefile" "$out/src/"
  for v in v3 v4; do
    cp -r "$EX/$v" "$out/src/$v"
    sed -i -e 's|^#include "server.h"$|#include "server.h"\n#include "stats.h"|' \
      -e 's|want = server_conn_slots() + 2;|want = stats.connections_active + 2;|' \
      "$out/src/$v/loop.c"
    grep -q 'stats.connections_active' "$out/src/$v/loop.c" || fail "cannot edit loop.c"
    build "$out/src" "$v"
  done
  "$DSU" merge "$out/kv/v3/kvserver" "$out/kv/v4/kvserver" --explain | grep '^point' |
    grep -q 'update not allowed' || fail "the loop's update point is not unsafe"
  "$DSU" merge "$out/kv/v3/kvserver" "$out/kv/v4/kvserver" -o "$out/merged.bc" ||
    fail "dsu merge"
  symex unforced "$out/merged.bc" 2
  expect holds 0
  "$DSU" merge "$out/kv/v3/kvserver" "$out/kv/v4/kvserver" --force-at all \
    -o "$out/forced.bc" || fail "dsu merge --force-at all"
  symex forced "$out/forced.bc" 2
  expect error 1
  grep -q "^\(.*/\)\?loop.c:[0-9]*: error: after the update at loop.c:[0-9]*, old code of function 'server_run.loop0' uses global 'stats', which the update changed" \
    "$out/forced.log" || fail "the error does not name the place, the function and the global"
  n=0
  for c in "$out"/forced/error-*.case; do
    [ -f "$c" ] || continue
    n=$((n + 1))
    grep -q '^kind: update-safety$' "$c" || fail "$c: not an update-safety error"
    "$DSU" replay "$c" "$out/forced.bc" "$ENV" -- -DKV_REQUESTS=2 > "$out/replay-$n.log" 2>&1
    rs=$?
    tail -n 1 "$out/replay-$n.log"
    [ $rs -eq 1 ] || { cat "$c" "$out/replay-$n.log"; fail "$c did not reproduce natively"; }
  done
  [ $n -ge 1 ] || fail "no test case written"
  ;;
chain)
  # v2 -> v3 -> v4 in one merged program: after the first update commits,
  # dsu_merge_choose is asked again at every later visit, for the second.
  # With 1 request the paths cover every timing: never, K1 alone, and every
  # K1 < K2, each on the same request paths; a path with both updates
  # replays natively, committing both where the executor chose.
  for v in v2 v3 v4; do build "$EX" "$v"; done
  "$DSU" merge "$out/kv/v2/kvserver" "$out/kv/v3/kvserver" "$out/kv/v4/kvserver" \
    -o "$out/merged.bc" || fail "dsu merge of the chain"
  symex chain1 "$out/merged.bc" 1 --write-paths
  expect holds 0
  # A path's timing: the visits whose dsu_merge_choose object is 1 (each
  # visit asks once while an update is still to come).
  timing() {
    awk '/^object dsu_merge_choose /{n++; if ($4 == "01000000") t = t (t ? "," : "") n}
         END {print (t ? t : "never")}' "$1"
  }
  for c in "$out"/chain1/path-*.case; do timing "$c"; done | sort | uniq -c > "$out/timings"
  cat "$out/timings"
  [ "$(awk '{print $2}' "$out/timings" | tr '\n' ' ')" = "1 1,2 1,3 1,4 2 2,3 2,4 3 3,4 4 never " ] ||
    fail "the paths do not cover every timing of the chain"
  [ "$(awk '{print $1}' "$out/timings" | sort -u | wc -l)" -eq 1 ] ||
    fail "the timings do not have the same request paths"
  replayed=""
  for c in "$out"/chain1/path-*.case; do
    [ "$(timing "$c")" = "1,3" ] && { replayed=$c; break; }
  done
  [ -n "$replayed" ] || fail "no path with the updates at visits 1 and 3"
  "$DSU" replay "$replayed" "$out/merged.bc" "$ENV" -- -DKV_REQUESTS=1 \
    > "$out/replay.log" 2> "$out/replay.err"
  rs=$?
  cat "$out/replay.log"
  [ $rs -eq 0 ] && grep -q '^replay: no error (exit status 0)' "$out/replay.log" ||
    fail "$replayed did not replay cleanly"
  [ "$(grep -c '^dsu: merge: updated at update point [13] (loop.c:' "$out/replay.err")" -eq 2 ] ||
    { cat "$out/replay.err"; fail "the replay did not update at visits 1 and 3"; }
  ;;
*) fail "unknown check $check" ;;
esac
echo PASS
