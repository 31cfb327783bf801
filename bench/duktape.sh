#!/usr/bin/env bash
# Slowdown of an updatable build against a plain clang-19 -O2 build of the
# same code, on a compute-bound program no one here wrote: duktape running a
# call-heavy script. Both builds are made and measured in this run.
#   instructions: valgrind --tool=callgrind (exact, repeatable)
#   wall time:    median of RUNS runs each
# usage: bench/duktape.sh [RUNS]
source "$(dirname "$0")/common.sh"
RUNS=${1:-7}
DUK=/usr/share/duktape
MAIN="$ROOT/tests/realcode/duk_main.c"
T0=$(date +%s%N)
"$CLANG" -O2 -I"$DUK" -o "$WORK/plain" "$DUK/duktape.c" "$MAIN" -lm
T1=$(date +%s%N)
(cd "$WORK" && "$BIN/dsu-cc" -O2 -I"$DUK" -o "$WORK/dsu" "$DUK/duktape.c" "$MAIN" -lm)
T2=$(date +%s%N)
(cd "$WORK" && "$BIN/dsu-cc" -O2 -fdsu-no-direct-calls -I"$DUK" -o "$WORK/slots" "$DUK/duktape.c" "$MAIN" -lm)
SCRIPT="$ROOT/bench/duk_calls.js"
SMALL="$WORK/small.js"
sed 's/var N = [0-9]*;/var N = 1;/' "$SCRIPT" > "$SMALL"
cmp <("$WORK/plain" "$SCRIPT") <("$WORK/dsu" "$SCRIPT") || { echo "outputs differ"; exit 1; }
for b in plain dsu slots; do
  valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.$b" "$WORK/$b" "$SMALL" > /dev/null 2> "$WORK/vg.$b"
  grep -o 'Collected : [0-9]*' "$WORK/vg.$b" | awk '{print $3}' > "$WORK/ir.$b"
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f %e -o "$WORK/t" "$WORK/$b" "$SCRIPT" > /dev/null
    cat "$WORK/t"
  done | median > "$WORK/wall.$b"
done
IP=$(cat "$WORK/ir.plain"); ID=$(cat "$WORK/ir.dsu")
WP=$(cat "$WORK/wall.plain"); WD=$(cat "$WORK/wall.dsu")
IS=$(cat "$WORK/ir.slots"); WS=$(cat "$WORK/wall.slots")
echo "duktape instructions: plain $IP, dsu-cc $ID, ratio $(ratio "$ID" "$IP")"
echo "duktape wall time (median of $RUNS): plain ${WP}s, dsu-cc ${WD}s, ratio $(ratio "$WD" "$WP")"
echo "duktape with every call through a slot (-fdsu-no-direct-calls): instructions ratio $(ratio "$IS" "$IP"), wall ratio $(ratio "$WS" "$WP")"
echo "duktape build time: clang-19 $(( (T1 - T0) / 1000000 )) ms, dsu-cc $(( (T2 - T1) / 1000000 )) ms, ratio $(ratio $((T2 - T1)) $((T1 - T0)))"
