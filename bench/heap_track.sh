#!/usr/bin/env bash
# Cost of typed-heap tracking on the allocation path (issue 15 item 0):
# bench/programs/heaptrack (a data set of LIVE objects, and a stream of
# objects each freed INFLIGHT allocations later, through a header-adding
# allocator named to dsu) linked three ways in the same run: with stubs
# (the calls alone), with this build's libdsu, and with BASE's libdsu (a
# build of an earlier commit, e.g. main's: BASE=/work/main/build). Builds
# alternate ROUNDS times; medians of ns per step (one allocation and one
# free) and peak RSS, as ratios against the stubs.
# usage: [BASE=DIR] bench/heap_track.sh [STEPS] [LIVE] [INFLIGHT] [ROUNDS]
source "$(dirname "$0")/common.sh"
STEPS=${1:-20000000}
LIVE=${2:-100000}
INFLIGHT=${3:-20000}
ROUNDS=${4:-5}
P="$ROOT/bench/programs/heaptrack"
$CLANG -O2 -c -o "$WORK/main.o" "$P/main.c"
$CLANG -O2 -o "$WORK/stubs" "$WORK/main.o" "$P/stubs.c"
$CLANG -O2 -o "$WORK/new" "$WORK/main.o" "$ROOT/build/lib/libdsu.a" -pthread -ldl
BUILDS=(stubs new)
if [ -n "${BASE:-}" ]; then
  $CLANG -O2 -o "$WORK/base" "$WORK/main.o" "$BASE/lib/libdsu.a" -pthread -ldl
  BUILDS+=(base)
fi
for _ in $(seq "$ROUNDS"); do
  for b in "${BUILDS[@]}"; do
    DSU_DISABLE=1 "$WORK/$b" "$STEPS" "$LIVE" "$INFLIGHT" > "$WORK/out"
    sed -n 's/^\([0-9.]*\) ns.*/\1/p' "$WORK/out" >> "$WORK/ns.$b"
    sed -n 's/.*peak RSS \([0-9]*\) kB/\1/p' "$WORK/out" >> "$WORK/kb.$b"
  done
done
echo "heaptrack: $STEPS steps, $LIVE live objects, $INFLIGHT in flight, $ROUNDS rounds (medians)"
S=$(median < "$WORK/ns.stubs"); SK=$(median < "$WORK/kb.stubs")
for b in "${BUILDS[@]}"; do
  n=$(median < "$WORK/ns.$b"); k=$(median < "$WORK/kb.$b")
  printf '%-6s %8.2f ns/step (%sx stubs, +%.2f ns)  peak RSS %6d kB (%sx)\n' \
    "$b" "$n" "$(ratio "$n" "$S")" "$(awk -v a="$n" -v b="$S" 'BEGIN {print a - b}')" "$k" "$(ratio "$k" "$SK")"
done
