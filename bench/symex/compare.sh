#!/usr/bin/env bash
# Before/after figures of dsu symex: every program of tests/symex/programs
# and the kvparse 3-byte run, once each, with two drivers.
# Usage: bench/symex/compare.sh BEFORE_DRIVER AFTER_DRIVER
# Options the BEFORE driver may not know (--max-concretize-values,
# --symbolic-time) are dropped from its runs.
BEFORE=$1 AFTER=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
kv=$root/examples/kvserver/v1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
run() { local drv=$1; shift; local log=$(mktemp); "$drv" symex --quiet --output-dir "$tmp" "$@" >"$log" 2>/dev/null; local rc=$?
  local verdict=$(tail -n 1 "$log" | sed 's/^verdict: //; s/ (.*//'); [ $rc -ge 128 ] && verdict="crash (signal $((rc-128)))"
  local time=$(sed -n 's/^  time: \([0-9.]*\)s/\1/p' "$log")
  local paths=$(sed -n 's/^  paths: \([0-9]*\) completed, \([0-9]*\) with errors, \([0-9]*\) stopped early.*/\1 \2 \3/p' "$log" | awk '{print $1+$2+$3}')
  local q=$(sed -n 's/^  solver: \([0-9]*\) queries.*/\1/p' "$log"); local z=$(sed -n 's/^  solver: .* \([0-9]*\) to z3.*/\1/p' "$log")
  rm -f "$log"; echo "$verdict|${time:--}|${paths:--}|${q:--}|${z:--}"; }
echo "| program | verdict before | after | time (s) before | after | paths before | after | queries before | after | to z3 before | after |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
row() { local name=$1; shift; local b=() skip=0; for a in "$@"; do if [ $skip = 1 ]; then skip=0; continue; fi; case $a in --max-concretize-values) skip=1 ;; --symbolic-time) ;; *) b+=("$a") ;; esac; done
  IFS='|' read -r v1 t1 p1 q1 z1 < <(run "$BEFORE" "${b[@]}"); IFS='|' read -r v2 t2 p2 q2 z2 < <(run "$AFTER" "$@")
  echo "| $name | $v1 | $v2 | $t1 | $t2 | $p1 | $p2 | $q1 | $q2 | $z1 | $z2 |"; }
for prog in $root/tests/symex/programs/*.c; do name=$(basename $prog .c); args=$(sed -n 's|^// ARGS: ||p' $prog); row "$name" $args $prog; done
row "kvparse (request of 3 bytes)" --max-time 300 $root/bench/symex/kvparse.c $kv/commands.c $kv/store.c $kv/stats.c $kv/util.c -- -I $kv -I $root/include/dsu -DKVPARSE_LEN=3
