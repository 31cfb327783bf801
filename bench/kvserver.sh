#!/usr/bin/env bash
# Throughput of the example key-value server built with dsu-cc against the
# same sources built with plain clang-19 -O2 (linked with libdsu, so both
# have the same update points and runtime: the difference is the updatable
# compilation). Alternates the two builds ROUNDS times and reports medians.
# The same pair again for a variant whose allocations all go through a
# header-adding wrapper like redis's zmalloc (bench/programs/zwrap, included
# into every source; the dsu-cc build names it with -fdsu-allocator, so
# every allocation of a struct is a typed site and every object starts 8
# bytes into its block): "wrap" is clang-19 + libdsu, "dsu-wrap" dsu-cc.
# usage: bench/kvserver.sh [SECONDS-PER-RUN] [ROUNDS]
source "$(dirname "$0")/common.sh"
SECS=${1:-3}
ROUNDS=${2:-3}
EX="$ROOT/examples/kvserver"
make -s -C "$EX" VERSION=v1 CC="$BIN/dsu-cc" BUILD="$WORK/dsu" > /dev/null
make -s -C "$EX" VERSION=v1 CC="$CLANG" BUILD="$WORK/plain" DSU_LIBDIR="$ROOT/build/lib" > /dev/null
make -s -C "$EX" VERSION=v1 CC="$BIN/dsu-cc" CFLAGS="-O2 -fdsu-no-heap-tracking" BUILD="$WORK/notrack" > /dev/null
ZW="$ROOT/bench/programs/zwrap"
mkdir -p "$WORK/wrapsrc"
cp "$EX/v1/"*.[ch] "$ZW/zmalloc.c" "$ZW/zmalloc.h" "$WORK/wrapsrc/"
make -s -C "$EX" VERSION=v1 SRCDIR="$WORK/wrapsrc" CC="$CLANG" BUILD="$WORK/wrap" \
  DSU_LIBDIR="$ROOT/build/lib" CPPFLAGS="-include $WORK/wrapsrc/zmalloc.h" > /dev/null
make -s -C "$EX" VERSION=v1 SRCDIR="$WORK/wrapsrc" CC="$BIN/dsu-cc" BUILD="$WORK/dsu-wrap" \
  CPPFLAGS="-include $WORK/wrapsrc/zmalloc.h" \
  CFLAGS="-O2 -fdsu-allocator=zmalloc:zfree,zcalloc:zfree,zrealloc:zfree" > /dev/null
cc -O2 -o "$WORK/kvload" "$EX/client/kvload.c"
run() { # run BUILD -> prints rps
  # Removed first: the child truncates it only once it runs, and until then
  # the last server's "listening on" line would send the load to a dead port.
  rm -f "$WORK/srv.out"
  "$WORK/$1/v1/kvserver" -p 0 > "$WORK/srv.out" 2>/dev/null &
  local pid=$!
  for _ in $(seq 100); do grep -q '^listening on' "$WORK/srv.out" && break; sleep 0.05; done
  local port; port=$(sed -n 's/^listening on //p' "$WORK/srv.out")
  "$WORK/kvload" "$port" 4 --requests 10000 --keys 10000 --fill > /dev/null
  local t0; t0=$(awk '{print $14 + $15}' /proc/$pid/stat)
  "$WORK/kvload" "$port" 8 "$SECS" --keys 10000 --set-ratio 0.1 --pipeline 16 | tail -1 > "$WORK/last"
  local t1; t1=$(awk '{print $14 + $15}' /proc/$pid/stat)
  local req; req=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' "$WORK/last")
  awk -v t=$((t1 - t0)) -v n="$req" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f\n", t / hz * 1e9 / n}' >> "$WORK/cpu.$1"
  sed -n 's/.*rps=\([0-9.]*\).*/\1/p' "$WORK/last"
  local rss; rss=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
  echo "$rss" >> "$WORK/rss.$1"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
for _ in $(seq "$ROUNDS"); do
  run plain >> "$WORK/rps.plain"
  run dsu >> "$WORK/rps.dsu"
  run notrack >> "$WORK/rps.notrack"
  run wrap >> "$WORK/rps.wrap"
  run dsu-wrap >> "$WORK/rps.dsu-wrap"
done
RN=$(median < "$WORK/rps.notrack"); MN=$(median < "$WORK/rss.notrack")
CP=$(median < "$WORK/cpu.plain"); CD=$(median < "$WORK/cpu.dsu"); CN=$(median < "$WORK/cpu.notrack")
# Instructions executed by the server for a fixed request sequence, under
# callgrind: exact and repeatable, unlike throughput on a shared 2-core VM.
for b in plain dsu notrack wrap dsu-wrap; do
  valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.$b" "$WORK/$b/v1/kvserver" -p 0 \
    > "$WORK/cgsrv.$b" 2> "$WORK/vg.$b" &
  vpid=$!
  for _ in $(seq 200); do grep -q '^listening on' "$WORK/cgsrv.$b" && break; sleep 0.05; done
  port=$(sed -n 's/^listening on //p' "$WORK/cgsrv.$b")
  "$WORK/kvload" "$port" 4 --requests 2000 --keys 2000 --fill > /dev/null
  "$WORK/kvload" "$port" 4 --requests 20000 --keys 2000 --set-ratio 0.1 > /dev/null
  kill -INT "$vpid"; wait "$vpid" 2>/dev/null || true
  grep -o 'Collected : [0-9]*' "$WORK/vg.$b" | awk '{print $3}' > "$WORK/ir.$b"
done
IRP=$(cat "$WORK/ir.plain"); IRD=$(cat "$WORK/ir.dsu"); IRN=$(cat "$WORK/ir.notrack")
IRW=$(cat "$WORK/ir.wrap"); IRDW=$(cat "$WORK/ir.dsu-wrap")
RW=$(median < "$WORK/rps.wrap"); RDW=$(median < "$WORK/rps.dsu-wrap")
MW=$(median < "$WORK/rss.wrap"); MDW=$(median < "$WORK/rss.dsu-wrap")
CW=$(median < "$WORK/cpu.wrap"); CDW=$(median < "$WORK/cpu.dsu-wrap")

RP=$(median < "$WORK/rps.plain"); RD=$(median < "$WORK/rps.dsu")
MP=$(median < "$WORK/rss.plain"); MD=$(median < "$WORK/rss.dsu")
echo "kvserver throughput (median of $ROUNDS x ${SECS}s, 8 connections, pipeline 16): plain $RP rps, dsu-cc $RD rps, ratio $(ratio "$RD" "$RP")"
echo "kvserver peak RSS: plain ${MP} kB, dsu-cc ${MD} kB, ratio $(ratio "$MD" "$MP")"
echo "kvserver server CPU per request (user+sys): plain ${CP} ns, dsu-cc ${CD} ns (ratio $(ratio "$CD" "$CP")), without heap tracking ${CN} ns (ratio $(ratio "$CN" "$CP"))"
echo "kvserver instructions for 22,000 requests (callgrind): plain $IRP, dsu-cc $IRD (ratio $(ratio "$IRD" "$IRP")), without heap tracking $IRN (ratio $(ratio "$IRN" "$IRP"))"
echo "kvserver without heap tracking (-fdsu-no-heap-tracking): $RN rps, ratio $(ratio "$RN" "$RP"); peak RSS ${MN} kB, ratio $(ratio "$MN" "$MP")"
echo "kvserver with zmalloc-like wrapper, throughput: plain $RW rps, dsu-cc $RDW rps, ratio $(ratio "$RDW" "$RW")"
echo "kvserver with zmalloc-like wrapper, peak RSS: plain ${MW} kB, dsu-cc ${MDW} kB, ratio $(ratio "$MDW" "$MW")"
echo "kvserver with zmalloc-like wrapper, server CPU per request: plain ${CW} ns, dsu-cc ${CDW} ns, ratio $(ratio "$CDW" "$CW")"
echo "kvserver with zmalloc-like wrapper, instructions for 22,000 requests (callgrind): plain $IRW, dsu-cc $IRDW (ratio $(ratio "$IRDW" "$IRW"))"
