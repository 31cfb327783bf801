#!/usr/bin/env bash
# What DSU_UPDATE_POINT() costs when no update is pending (issue 15 item 3):
# instructions per iteration of a tight loop holding one update point
# (bench/programs/pointloop), counted by callgrind (exact on this VM, where
# hardware counters are not available), against the same loop built with
# clang-19 and the macro empty, in the same run. Three dsu-cc builds: as
# dsu-cc builds by default (the loop body extracted into a function called
# through its slot, so that a change to it takes effect at the next
# iteration), without loop extraction (the point alone), and without heap
# tracking (no difference expected: the loop allocates nothing).
# usage: bench/update_point.sh [ITERATIONS]   (default 1000000)
source "$(dirname "$0")/common.sh"
N=${1:-1000000}
P="$ROOT/bench/programs/pointloop/main.c"
command -v valgrind > /dev/null || { echo "valgrind is not installed"; exit 1; }
"$CLANG" -O2 -DNO_DSU -o "$WORK/plain" "$P"
"$BIN/dsu-cc" -O2 -o "$WORK/dsu" "$P"
"$BIN/dsu-cc" -O2 -fdsu-no-loop-extraction -o "$WORK/noextract" "$P"
# instructions BINARY N: total instructions of one run (callgrind's Ir).
instructions() {
  DSU_DISABLE=1 valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.out" \
    "$1" "$2" > /dev/null 2> "$WORK/cg.err"
  sed -n 's/^summary: //p' "$WORK/cg.out"
}
# per_iteration BINARY: instructions per iteration, from a run of N and a
# run of N/10 (their difference leaves out start-up and exit).
per_iteration() {
  local a b
  a=$(instructions "$1" "$N")
  b=$(instructions "$1" $((N / 10)))
  awk -v a="$a" -v b="$b" -v n="$N" 'BEGIN {printf "%.2f", (a - b) / (n - n / 10)}'
}
base=$(per_iteration "$WORK/plain")
echo "clang-19, no update point:        $base instructions per iteration"
for build in dsu noextract; do
  per=$(per_iteration "$WORK/$build")
  extra=$(awk -v a="$per" -v b="$base" 'BEGIN {printf "%.2f", a - b}')
  printf '%-33s %s instructions per iteration (+%s), ratio %s\n' \
    "dsu-cc ($build):" "$per" "$extra" "$(ratio "$per" "$base")"
done
