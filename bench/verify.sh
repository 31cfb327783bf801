#!/usr/bin/env bash
# dsu verify (issue 13): for each entry of tests/verify with a verdict of
# holds (the whole exploration; a counterexample stops at the first), the
# time to verdict and the ratio to exploring the old version alone on the
# same input model (`--baseline`: the same harness, the old run only), best
# of RUNS each. Both times are printed whole (merge, harness build and
# exploration) and exploration only.
# usage: bench/verify.sh [RUNS [ENTRY-REGEX]]  (default 3, every entry)
# The --tcp-lines rows: tcpcount (a blocking line server) and the key-value
# example v3 -> v4 (examples/kvserver, built with its Makefile), through the
# socket model.
source "$(dirname "$0")/common.sh"
RUNS=${1:-3}
ONLY=${2:-.}
P="$ROOT/tests/verify/programs"
EP="$ROOT/tests/e2e/programs"
SC="${DSU_SCENARIOS_DIR:-$ROOT/../shared/scenarios}"
pair() { # NAME DIR
  for v in 1 2; do
    mkdir -p "$WORK/$1-$v"
    (cd "$WORK/$1-$v" && "$BIN/dsu-cc" -O2 -o prog "$2/v$v"/*.c) > /dev/null
  done
}
pair counter "$P/counter"
pair swap "$P/swap"
pair timing "$EP/timing"
pair static-names "$SC/static-names"
pair tcpcount "$P/tcpcount"
for v in 3 4; do
  make -s -C "$ROOT/examples/kvserver" VERSION=v$v CC="$BIN/dsu-cc" BUILD="$WORK/kvbuild" kvserver > /dev/null
done
mkdir -p "$WORK/kvserver-1" "$WORK/kvserver-2"
cp "$WORK/kvbuild/v3/kvserver" "$WORK/kvserver-1/prog"
cp "$WORK/kvbuild/v4/kvserver" "$WORK/kvserver-2/prog"
json=$("$BIN/dsu" diff --json "$WORK/timing-1/prog" "$WORK/timing-2/prog")
old=$(python3 -c "import json,sys; print([g['old_symbol'] for g in json.load(sys.stdin)['globals'] if g['name']=='total'][0])" <<< "$json")
new=$(python3 -c "import json,sys; print([g['new_symbol'] for g in json.load(sys.stdin)['globals'] if g['name']=='grand_total'][0])" <<< "$json")
cat > "$WORK/migrate.c" <<C
#include <dsu/patch_format.h>
extern int old_total __asm__("$old");
extern long new_total __asm__("$new");
static int migrate(void) { new_total = old_total; return 0; }
const struct dsu_global_xform __dsu_global_xforms[] = {{"state", 0, 0, migrate}, {0, 0, 0, 0}};
C
# run NAME ARGS... : "WALL EXPLORE PATHS VERDICT", best of RUNS
run() {
  local name=$1 best="" line; shift
  for _ in $(seq "$RUNS"); do
    local t0 t1
    t0=$(date +%s.%N)
    "$BIN/dsu" verify "$WORK/$name-1/prog" "$WORK/$name-2/prog" --case "$WORK/c.case" "$@" > "$WORK/out" 2> "$WORK/err" || true
    t1=$(date +%s.%N)
    line="$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}') $(sed -n 's/.*(exploration \([0-9.]*\) s)$/\1/p' "$WORK/err") $(sed -n 's/^dsu verify: \([0-9]*\) paths.*/\1/p' "$WORK/err") $(tail -n 1 "$WORK/out" | sed 's/^verdict: //')"
    if [ -z "$best" ] || awk -v a="${line%% *}" -v b="${best%% *}" 'BEGIN {exit !(a < b)}'; then
      best=$line
    fi
  done
  echo "$best"
}
echo "| entry | form | input model | verdict | time to verdict (exploration) | old alone (exploration) | ratio whole (exploration) | paths (old alone) |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
while IFS=';' read -r name form args; do
  [[ "$name" =~ $ONLY ]] || continue
  # The arguments as the shell would split them (the forms are quoted).
  eval "set -- $args"
  v=$(run "$name" --form "$form" "$@")
  b=$(run "$name" --form "$form" "$@" --baseline)
  read -r vw ve vp vv <<< "$v"
  read -r bw be bp _ <<< "$b"
  shown=${args//--transformers $WORK\/migrate.c/--transformers (right)}
  echo "| $name | $form | ${shown//|/\\|} | $vv | $vw s ($ve s) | $bw s ($be s) | $(ratio "$vw" "$bw")x ($(ratio "$ve" "$be")x) | $vp ($bp) |"
done <<EOF2
counter;backward-compatible;--stdin-lines 3 --line-max 2 --alphabet hmp --old-error ^?
counter;conformable;--stdin-lines 3 --line-max 2 --alphabet hmp --old-error ^?
swap;backward-compatible;--stdin-lines 3 --line-max 2 --alphabet ap --old-error ^?
swap;conformable;--stdin-lines 3 --line-max 2 --alphabet ap --old-error ^?
timing;backward-compatible;--stdin-lines 2 --line-max 2 --alphabet 12 --transformers $WORK/migrate.c
timing;conformable;--stdin-lines 2 --line-max 2 --alphabet 12 --transformers $WORK/migrate.c
static-names;backward-compatible;--stdin-lines 3 --line-max 2 --alphabet a --old-error ^?
static-names;conformable;--stdin-lines 3 --line-max 2 --alphabet ab --old-error ^?
tcpcount;backward-compatible;--tcp-lines 3 --line-max 2 --alphabet hpr --old-error ^?
tcpcount;conformable;--tcp-lines 3 --line-max 2 --alphabet hpr --old-error ^?
kvserver;backward-compatible;--tcp-lines 2 --request-forms 'SET ? ?|GET ?|INCR ?' --alphabet a1 --old-error ^ERROR
kvserver;conformable;--tcp-lines 2 --request-forms 'SET ? ?|GET ?|INCR ?' --alphabet a1 --old-error ^ERROR
kvserver;backward-compatible;--tcp-lines 2 --request-forms 'SET ? ?|GET ?|INCR ?|DEL ?' --alphabet a1 --old-error ^ERROR
kvserver;conformable;--tcp-lines 2 --request-forms 'SET ? ?|GET ?|INCR ?|DEL ?' --alphabet a1 --old-error ^ERROR
EOF2
