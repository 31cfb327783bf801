#!/usr/bin/env bash
# Update pause as a function of the number of objects a patch transforms:
# bench/programs/grow holds a linked list of N small nodes; v2 adds a field,
# so the update allocates N new nodes, runs the generated transformer on
# each, redirects N pointers and frees the old nodes, all inside the pause.
# Also: the cost of heap tracking, as the time to build the list in a dsu-cc
# build against a plain clang-19 build (same run).
# usage: bench/transform.sh [N...]   (default 10000 100000 1000000)
source "$(dirname "$0")/common.sh"
SIZES=("$@"); [ ${#SIZES[@]} -gt 0 ] || SIZES=(10000 100000 1000000)
P="$ROOT/bench/programs/grow"
for v in v1 v2; do (cd "$WORK" && "$BIN/dsu-cc" -O2 -o "$v" "$P/$v/main.c"); done
"$BIN/dsu" patch "$WORK/v1" "$WORK/v2" -o "$WORK/patch" > /dev/null
for n in "${SIZES[@]}"; do
  rm -f "$WORK/in"; mkfifo "$WORK/in"
  DSU_TRANSFORM_PROFILE=1 "$WORK/v1" "$n" < "$WORK/in" > "$WORK/out" 2> "$WORK/err" &
  pid=$!
  exec 3> "$WORK/in"
  echo s >&3
  for _ in $(seq 500); do [ -s "$WORK/out" ] && break; sleep 0.02; done
  "$BIN/dsu" apply "$pid" "$WORK/patch" --timeout 60 > "$WORK/apply" &
  ap=$!
  sleep 0.2
  echo s >&3
  wait "$ap"
  exec 3>&-
  wait "$pid"
  ns=$(sed -n 's/.*pause \([0-9]*\) ns.*/\1/p' "$WORK/apply")
  objs=$(sed -n 's/.* \([0-9]*\) objects and.*/\1/p' "$WORK/apply")
  [ "$(sed -n 2p "$WORK/out")" = "sum2 $n $(sed -n 1p "$WORK/out" | cut -d' ' -f3)" ] || { echo "wrong output after update"; cat "$WORK/out"; exit 1; }
  awk -v n="$objs" -v ns="$ns" 'BEGIN {printf "transform %8d objects: pause %8.2f ms, %6.1f million objects/s\n", n, ns / 1e6, n / (ns / 1e9) / 1e6}'
  sed -n 's/^dsu: transform phases (\([^)]*\)): /  phases (\1): /p' "$WORK/err"
done
