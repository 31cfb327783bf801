#!/usr/bin/env bash
# dsu symex on the merged program of the key-value server's v3 -> v4 (issue
# 12): one run that explores every update timing (the merge runtime's
# choice made symbolic: the paths part at each update-point visit and share
# what came before it), against one run per timing (the choice fixed by
# tests/symex/kvserver/kvserver_env.c's -DKV_UPDATE_AT=K, the baseline: the
# same executions, each prefix explored again). REQUESTS symbolic requests
# (SET k v, GET k, DEL k; one byte of "ab" each), so REQUESTS + 3 visits.
# Prints the time to verdict and the paths of each, best of RUNS.
# usage: bench/symex-merge.sh [REQUESTS] [RUNS]      (default 3 1)
source "$(dirname "$0")/common.sh"
REQUESTS=${1:-3}
RUNS=${2:-1}
EX="$ROOT/examples/kvserver"
ENV="$ROOT/tests/symex/kvserver/kvserver_env.c"
for v in v3 v4; do
  make -s -C "$EX" VERSION=$v CC="$BIN/dsu-cc" BUILD="$WORK/kv" kvserver > /dev/null
done
"$BIN/dsu" merge "$WORK/kv/v3/kvserver" "$WORK/kv/v4/kvserver" -o "$WORK/m.bc" > /dev/null
# run FLAGS... : "SECONDS PATHS VERDICT" of the best of RUNS runs
run() {
  local best="" line
  for _ in $(seq "$RUNS"); do
    "$BIN/dsu" symex --quiet --output-dir "$WORK/out" "$WORK/m.bc" "$ENV" -- \
      -DKV_REQUESTS="$REQUESTS" "$@" > "$WORK/log" 2> /dev/null || true
    line="$(sed -n 's/^  time: \([0-9.]*\)s$/\1/p' "$WORK/log") $(sed -n 's/^  paths: \([0-9]*\) completed.*/\1/p' "$WORK/log") $(tail -n 1 "$WORK/log" | sed 's/^verdict: //')"
    if [ -z "$best" ] || awk -v a="${line%% *}" -v b="${best%% *}" 'BEGIN {exit !(a < b)}'; then
      best=$line
    fi
  done
  echo "$best"
}
visits=$((REQUESTS + 3))
read -r T P V <<< "$(run)"
echo "| run | time to verdict | paths | verdict |"
echo "| --- | --- | --- | --- |"
echo "| every timing in one run | ${T} s | ${P} | ${V} |"
sumT=0 sumP=0
for k in $(seq 0 "$visits"); do
  read -r t p v <<< "$(run -DKV_UPDATE_AT="$k")"
  echo "| update at visit $k$([ "$k" = 0 ] && echo " (never)") | ${t} s | ${p} | ${v} |"
  sumT=$(awk -v a="$sumT" -v b="$t" 'BEGIN {print a + b}')
  sumP=$((sumP + p))
done
echo "| one run per timing, total | ${sumT} s ($(ratio "$sumT" "$T")x) | ${sumP} | |"
