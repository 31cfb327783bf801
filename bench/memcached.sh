#!/usr/bin/env bash
# Steady-state cost of a dsu-cc build on memcached (issue 15 item 0):
# memcached VERSION from ../shared/realprogs built three ways in the same
# run: clang-19 as it ships (the baseline), dsu-cc as tests/realcode builds
# it for its live updates (recipes.sh: an update point, the slab allocator
# named with -fdsu-allocator=do_slabs_alloc:do_slabs_free, so every item is
# a tracked object), and the same without heap tracking
# (-fdsu-no-heap-tracking: what the rest of the updatable compilation
# costs). Each server is filled, then driven by bench/programs/mcload (8
# connections, pipelined GETs and SETs over KEYS keys), ROUNDS times, builds
# alternated; reported: requests per second, server CPU per request (utime
# + stime from /proc over the measured load) and peak RSS (VmHWM), medians,
# and the instructions of a fixed run under callgrind, each as a ratio
# against clang-19.
# usage: bench/memcached.sh [REQUESTS] [ROUNDS] [VERSION]   (default 400000 3 1.2.5)
source "$(dirname "$0")/common.sh"
N=${1:-400000}
ROUNDS=${2:-3}
V=${3:-1.2.5}
KEYS=${KEYS:-20000}
REAL=${DSU_REALPROGS:-$ROOT/../shared/realprogs}
[ -f "$REAL/memcached-$V.tar.gz" ] || { echo "no $REAL/memcached-$V.tar.gz"; exit 1; }
[ -f /usr/include/event.h ] || { echo "libevent-dev is not installed (scripts/setup.sh)"; exit 1; }
source "$ROOT/tests/realcode/recipes.sh"
$CLANG -O2 -o "$WORK/mcload" "$ROOT/bench/programs/mcload/mcload.c"
BUILDS=(clang dsu notrack)
mkdir -p "$WORK/clang"
tar xzf "$REAL/memcached-$V.tar.gz" -C "$WORK/clang"
(cd "$WORK/clang/memcached-$V" && ./autogen.sh && ./configure CC="$CLANG" \
  CFLAGS="-O2 -D_GNU_SOURCE -fgnu89-inline" && make memcached) > "$WORK/clang.build.log" 2>&1 ||
  { tail "$WORK/clang.build.log"; exit 1; }
for b in dsu notrack; do
  mkdir -p "$WORK/$b"
  extra=""; [ "$b" = notrack ] && extra=-fdsu-no-heap-tracking
  (WORK="$WORK/$b" DSU_CC="$BIN/dsu-cc" MC_EXTRA_CFLAGS="$extra" \
     recipe_memcached "$V" "$WORK/$b.build.log") || { tail "$WORK/$b.build.log"; exit 1; }
done
TICK=$(getconf CLK_TCK)
# run BUILD: one server, filled, then N requests; appends "rps" to
# $WORK/BUILD.rps and "cpu_ticks peak_kb" to $WORK/BUILD.cpu.
run() {
  local b=$1 port=$((21000 + RANDOM % 20000))
  DSU_DISABLE=1 "$WORK/$b/memcached-$V/memcached" -p "$port" -U 0 -u root -m 256 \
    > "$WORK/srv.out" 2>&1 &
  local pid=$!
  for _ in $(seq 100); do
    "$WORK/mcload" "$port" 1 1 1 > /dev/null 2>&1 && break
    sleep 0.05
  done
  "$WORK/mcload" "$port" 4 $((3 * KEYS)) "$KEYS" 1 16 > /dev/null
  local before; before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  "$WORK/mcload" "$port" 8 "$N" "$KEYS" 0.1 16 | tail -1 > "$WORK/last"
  local after; after=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  local peak; peak=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
  kill "$pid"; wait "$pid" 2> /dev/null || true
  grep -q 'errors=0' "$WORK/last" || { echo "$b: $(cat "$WORK/last")"; exit 1; }
  sed -n 's/.*rps=\([0-9.]*\).*/\1/p' "$WORK/last" >> "$WORK/$b.rps"
  echo "$(( after - before )) $peak" >> "$WORK/$b.cpu"
}
for _ in $(seq "$ROUNDS"); do for b in "${BUILDS[@]}"; do run "$b"; done; done
# Instructions executed by the server for a fixed request sequence (the
# same seed each time), under callgrind: exact and repeatable, unlike CPU
# time on a shared 2-core VM.
CGN=$((N / 8))
for b in "${BUILDS[@]}"; do
  port=$((21000 + RANDOM % 20000))
  DSU_DISABLE=1 valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.$b" \
    "$WORK/$b/memcached-$V/memcached" -p "$port" -U 0 -u root -m 256 > /dev/null 2> "$WORK/vg.$b" &
  vpid=$!
  for _ in $(seq 200); do
    "$WORK/mcload" "$port" 1 1 1 > /dev/null 2>&1 && break
    sleep 0.1
  done
  "$WORK/mcload" "$port" 4 $((3 * KEYS)) "$KEYS" 1 16 > /dev/null
  "$WORK/mcload" "$port" 8 "$CGN" "$KEYS" 0.1 16 > /dev/null
  kill -INT "$vpid"; wait "$vpid" 2> /dev/null || true
  grep -o 'Collected : [0-9]*' "$WORK/vg.$b" | awk '{print $3}' > "$WORK/ir.$b"
done
echo "memcached $V, $N requests (10% SET, $KEYS keys, 8 connections, pipeline 16), $ROUNDS rounds (medians)"
cpu() { awk -v tick="$TICK" -v n="$N" '{print $1 / tick / n * 1e6}' "$WORK/$1.cpu" | median; }
peak() { awk '{print $2}' "$WORK/$1.cpu" | median; }
base_rps=$(median < "$WORK/clang.rps"); base_cpu=$(cpu clang); base_peak=$(peak clang)
base_ir=$(cat "$WORK/ir.clang")
for b in "${BUILDS[@]}"; do
  r=$(median < "$WORK/$b.rps"); c=$(cpu "$b"); p=$(peak "$b"); i=$(cat "$WORK/ir.$b")
  printf '%-8s %8.0f rps (%sx), CPU per request %.2f us (%sx clang-19), peak RSS %s kB (%sx), instructions %s (%sx)\n' \
    "$b" "$r" "$(ratio "$r" "$base_rps")" "$c" "$(ratio "$c" "$base_cpu")" "$p" "$(ratio "$p" "$base_peak")" \
    "$i" "$(ratio "$i" "$base_ir")"
done
echo "(instructions: the server's, under callgrind, for the fill and $CGN requests)"
