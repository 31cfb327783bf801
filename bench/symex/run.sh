#!/usr/bin/env bash
# Benchmarks of dsu symex. Usage: bench/symex/run.sh [DRIVER]
# DRIVER is a binary taking `symex ...` (default: the dsu-symex-driver of
# build-symex, else build/bin/dsu). For each program of the test suite and
# for the key-value server's request parser fed a symbolic request, it runs
# the same exploration three times in this run -- default solver stack, no
# query cache, no independence slicing -- and prints a markdown table:
# verdict, time to verdict, instructions/s, paths/s, solver queries, and the
# slowdown ratios without the cache and without slicing.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
driver=${1:-}
if [ -z "$driver" ]; then
  for d in "$root/build-symex/bin/dsu-symex-driver" "$root/build/bin/dsu-symex-driver"; do
    [ -x "$d" ] && driver=$d && break
  done
fi
[ -x "$driver" ] || { echo "bench/symex: error: no driver binary found" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
kv=$root/examples/kvserver/v1

run() { # label args... ; prints "verdict time instr paths queries z3"
  local log=$tmp/log
  "$driver" symex --quiet --output-dir "$tmp/cases" "$@" >"$log" 2>/dev/null
  local verdict time instr paths queries z3
  verdict=$(tail -n 1 "$log" | sed 's/^verdict: //; s/ (.*//')
  time=$(sed -n 's/^  time: \([0-9.]*\)s/\1/p' "$log")
  instr=$(sed -n 's/^  instructions: \([0-9]*\) .*/\1/p' "$log")
  paths=$(sed -n 's/^  paths: \([0-9]*\) completed, \([0-9]*\) with errors, \([0-9]*\) stopped early.*/\1 \2 \3/p' "$log" | awk '{print $1+$2+$3}')
  queries=$(sed -n 's/^  solver: \([0-9]*\) queries.*/\1/p' "$log")
  z3=$(sed -n 's/^  solver: .* \([0-9]*\) to z3.*/\1/p' "$log")
  echo "$verdict ${time:-0} ${instr:-0} ${paths:-0} ${queries:-0} ${z3:-0}"
}

printf '| program | verdict | time (s) | instr/s | paths/s | queries | to z3 | no-cache time | ratio | no-slicing time | ratio |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|\n'
bench() { # name args...
  local name=$1; shift
  read -r v t i p q z < <(run "$@")
  read -r _ tc _ _ _ zc < <(run --no-cache "$@")
  read -r _ ti _ _ _ _ < <(run --no-independence "$@")
  awk -v n="$name" -v v="$v" -v t="$t" -v i="$i" -v p="$p" -v q="$q" -v z="$z" \
      -v tc="$tc" -v ti="$ti" 'BEGIN {
    tt = t > 0 ? t : 0.001;
    printf "| %s | %s | %.3f | %.0f | %.1f | %d | %d | %.3f | %.2fx | %.3f | %.2fx |\n",
      n, v, t, i / tt, p / tt, q, z, tc, tc / tt, ti, ti / tt }'
}
for prog in "$root"/tests/symex/programs/*.c; do
  name=$(basename "$prog" .c)
  # shellcheck disable=SC2046
  bench "$name" $(sed -n 's|^// ARGS: ||p' "$prog") "$prog"
done
for len in 3 4; do
  bench "kvparse (request of $len bytes)" --max-time 300 "$root/bench/symex/kvparse.c" \
    "$kv/commands.c" "$kv/store.c" "$kv/stats.c" "$kv/util.c" \
    -- -I "$kv" -I "$root/include/dsu" -DKVPARSE_LEN=$len
done
