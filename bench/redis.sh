#!/usr/bin/env bash
# Steady-state cost of a dsu-cc build on a real server (issue 15 item 0):
# redis 2.0.4 from ../shared/realprogs built three ways in the same run:
# clang-19 (the baseline), dsu-cc, and dsu-cc with redis's allocator named
# (-fdsu-allocator=zmalloc:zfree,...: every zmalloc(sizeof(T)) is then a
# typed site in the tracking table, as an update that changes redis's types
# needs). Each server is driven by Debian's redis-benchmark (redis-tools,
# installed by scripts/setup.sh), ROUNDS times, builds alternated; reported:
# requests per second per test (median), server CPU per request (utime +
# stime from /proc over the whole run) and peak RSS (VmHWM), each as a
# ratio against clang-19.
# usage: bench/redis.sh [REQUESTS] [ROUNDS]   (default 50000 3)
source "$(dirname "$0")/common.sh"
N=${1:-50000}
ROUNDS=${2:-3}
REAL=${DSU_REALPROGS:-$ROOT/../shared/realprogs}
[ -f "$REAL/redis-2.0.4.tar.gz" ] || { echo "no $REAL/redis-2.0.4.tar.gz"; exit 1; }
command -v redis-benchmark > /dev/null || { echo "redis-benchmark is not installed (scripts/setup.sh)"; exit 1; }
TESTS=set,get,incr,lpush,lpop,lrange_100,hset,mset
declare -A FLAGS=([clang]="" [dsu]="" [dsu-zmalloc]="-fdsu-allocator=zmalloc:zfree,zcalloc:zfree,zrealloc:zfree")
declare -A CC=([clang]="$CLANG" [dsu]="$BIN/dsu-cc" [dsu-zmalloc]="$BIN/dsu-cc")
BUILDS=(clang dsu dsu-zmalloc)
for b in "${BUILDS[@]}"; do
  mkdir -p "$WORK/$b"
  tar xzf "$REAL/redis-2.0.4.tar.gz" -C "$WORK/$b"
  make -C "$WORK/$b/redis-2.0.4" CC="${CC[$b]}" OPTIMIZATION="-O2 ${FLAGS[$b]}" redis-server \
    > "$WORK/$b.build.log" 2>&1 || { tail "$WORK/$b.build.log"; exit 1; }
done
TICK=$(getconf CLK_TCK)
# run BUILD ROUND: one server, one redis-benchmark; appends "test rps" lines
# to $WORK/BUILD.rps and "cpu_seconds requests peak_kb" to $WORK/BUILD.cpu.
run() {
  local b=$1 port=$((21000 + RANDOM % 20000))
  # redis 2.0 reads its configuration from a file only (no "-").
  printf 'port %s\nbind 127.0.0.1\ndaemonize no\ndir %s\n' "$port" "$WORK" > "$WORK/redis.conf"
  DSU_DISABLE=1 "$WORK/$b/redis-2.0.4/redis-server" "$WORK/redis.conf" > /dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 100); do
    timeout 2 redis-benchmark -p "$port" -q -n 1 -t ping > /dev/null 2>&1 && break
    sleep 0.05
  done
  local before; before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  redis-benchmark -p "$port" -q -n "$N" -t "$TESTS" 2> /dev/null | tr '\r' '\n' |
    sed -n 's/^\([A-Z_0-9]*\).*: \([0-9.]*\) requests per second.*/\1 \2/p' >> "$WORK/$b.rps"
  local after; after=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  local peak; peak=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
  kill "$pid"; wait "$pid" 2> /dev/null || true
  echo "$(( after - before )) $peak" >> "$WORK/$b.cpu"
}
for r in $(seq "$ROUNDS"); do for b in "${BUILDS[@]}"; do run "$b"; done; done
ntests=$(tr ',' '\n' <<< "$TESTS" | wc -l)
echo "redis 2.0.4, $N requests per test, $ROUNDS rounds, tests $TESTS"
printf '%-12s %12s %12s %12s\n' test clang dsu dsu-zmalloc
for t in $(awk '{print $1}' "$WORK/clang.rps" | sort -u); do
  row="$t"
  for b in "${BUILDS[@]}"; do
    m=$(awk -v t="$t" '$1 == t {print $2}' "$WORK/$b.rps" | median)
    row="$row $m"
  done
  awk '{printf "%-12s %12.0f %12.0f %12.0f   %.3f %.3f\n", $1, $2, $3, $4, $3 / $2, $4 / $2}' <<< "$row"
done
cpu() { awk -v tick="$TICK" -v n="$N" -v k="$ntests" '{print $1 / tick / (n * k) * 1e6}' "$WORK/$1.cpu" | median; }
peak() { awk '{print $2}' "$WORK/$1.cpu" | median; }
base_cpu=$(cpu clang); base_peak=$(peak clang)
for b in "${BUILDS[@]}"; do
  c=$(cpu "$b"); p=$(peak "$b")
  printf '%-12s CPU per request %.2f us (%sx clang-19), peak RSS %s kB (%sx)\n' \
    "$b" "$c" "$(ratio "$c" "$base_cpu")" "$p" "$(ratio "$p" "$base_peak")"
done
