#!/usr/bin/env bash
# The update pause for a code-only patch: from the moment the update point
# starts the update to the commit (the runtime measures it; loading and
# checking happen before, while the program runs). kvserver v1 -> v2 under
# load from 8 connections, on a fresh server each round.
# usage: bench/pause.sh [ROUNDS]
source "$(dirname "$0")/common.sh"
ROUNDS=${1:-9}
EX="$ROOT/examples/kvserver"
for v in v1 v2; do
  make -s -C "$EX" VERSION=$v CC="$BIN/dsu-cc" BUILD="$WORK/b" > /dev/null
done
cc -O2 -o "$WORK/kvload" "$EX/client/kvload.c"
"$BIN/dsu" patch "$WORK/b/v1/kvserver" "$WORK/b/v2/kvserver" -o "$WORK/p" > /dev/null
for _ in $(seq "$ROUNDS"); do
  "$WORK/b/v1/kvserver" -p 0 > "$WORK/srv.out" 2>/dev/null &
  pid=$!
  for _ in $(seq 100); do grep -q '^listening on' "$WORK/srv.out" && break; sleep 0.05; done
  port=$(sed -n 's/^listening on //p' "$WORK/srv.out")
  "$WORK/kvload" "$port" 8 2 --keys 10000 > /dev/null &
  load=$!
  sleep 0.5
  start=$(date +%s%N)
  out=$("$BIN/dsu" apply "$pid" "$WORK/p")
  end=$(date +%s%N)
  echo "$out" | sed -n 's/.*pause \([0-9]*\) ns.*/\1/p' >> "$WORK/pause"
  echo $(( (end - start) / 1000 )) >> "$WORK/apply"
  wait "$load"
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
echo "code-only patch (kvserver v1->v2, $(sed -n 's/.*, \([0-9]*\) functions.*/\1/p' <<< "$("$BIN/dsu" patch "$WORK/b/v1/kvserver" "$WORK/b/v2/kvserver" -o "$WORK/p2")") functions), $ROUNDS rounds under load:"
echo "  pause at the update point: median $(median < "$WORK/pause") ns, max $(sort -g "$WORK/pause" | tail -1) ns"
echo "  whole dsu apply (check, load, wait, commit, reply): median $(median < "$WORK/apply") us"
