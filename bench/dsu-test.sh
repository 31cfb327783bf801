#!/usr/bin/env bash
# How long systematic update testing takes: `dsu test` on every shared
# scenario (its session without the @update lines as the client script), one
# run per update point reached. Prints points, runs that differ from the run
# without an update (expected for patches that change behaviour), and time.
# usage: bench/dsu-test.sh [SCENARIOS-DIR]
source "$(dirname "$0")/common.sh"
S=${1:-$ROOT/../shared/scenarios}
printf '%-16s %8s %8s %10s\n' scenario points differ seconds
for d in "$S"/*/; do
  n=$(basename "$d")
  for v in v1 v2; do
    mkdir -p "$WORK/$n/$v"
    (cd "$WORK/$n/$v" && "$BIN/dsu-cc" -O2 -o prog "$d/$v"/*.c) > /dev/null 2>&1 || continue 2
  done
  "$BIN/dsu" patch "$WORK/$n/v1/prog" "$WORK/$n/v2/prog" -o "$WORK/$n/patch" > /dev/null 2>&1 || continue
  grep -v '^@' "$d/session" > "$WORK/$n/input"
  "$BIN/dsu" test "$WORK/$n/v1/prog" "$WORK/$n/patch" --input "$WORK/$n/input" > "$WORK/$n/out" 2>&1 || true
  points=$(sed -n 's/.*: \([0-9]*\) update points reached.*/\1/p' "$WORK/$n/out")
  secs=$(sed -n 's/.* runs in \([0-9.]*\) s/\1/p' "$WORK/$n/out")
  differ=$(sed -n 's/^[0-9]* passed, \([0-9]*\) failed/\1/p' "$WORK/$n/out")
  printf '%-16s %8s %8s %10s\n' "$n" "$points" "$differ" "$secs"
done
