#!/usr/bin/env bash
# The cost of a merged program (issue 12): for each version pair of the
# example key-value server, the wall time of `dsu merge` (LLVM module only,
# and with the native executable) against `dsu patch` for the same pair
# (the baseline: it builds the same patch code and compiles a shared
# object), best of RUNS interleaved runs each; and the size of the merged
# program (bitcode, native executable) against the two versions' stored
# modules and executables.
# usage: bench/merge.sh [RUNS]      (default 3)
source "$(dirname "$0")/common.sh"
RUNS=${1:-3}
EX="$ROOT/examples/kvserver"
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
best() { sort -n | head -1; }
size() { stat -c %s "$1"; }
tu_section() { # bytes of .dsu.tu in an executable (0 if none)
  local hex
  hex=$(readelf -SW "$1" | sed 's/^ *\[ *[0-9]*\]//' | awk '$1 == ".dsu.tu" {print $5}')
  echo $(( 16#${hex:-0} ))
}
for v in v1 v2 v3 v4; do
  make -s -C "$EX" VERSION=$v CC="$BIN/dsu-cc" BUILD="$WORK/kv" > /dev/null
done
echo "| pair | dsu patch | dsu merge -o (ratio) | dsu merge --exe (ratio) | merged .bc | .dsu.tu old + new | merged exe | old exe + new exe |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for pair in v1:v2 v2:v3 v3:v4; do
  a="$WORK/kv/${pair%%:*}/kvserver" b="$WORK/kv/${pair##*:}/kvserver"
  : > "$WORK/patch.t"; : > "$WORK/merge.t"; : > "$WORK/exe.t"
  for _ in $(seq "$RUNS"); do
    t=$(date +%s%N); "$BIN/dsu" patch "$a" "$b" -o "$WORK/p" > /dev/null; ms "$t" >> "$WORK/patch.t"
    t=$(date +%s%N); "$BIN/dsu" merge "$a" "$b" -o "$WORK/m.bc" > /dev/null; ms "$t" >> "$WORK/merge.t"
    t=$(date +%s%N); "$BIN/dsu" merge "$a" "$b" --exe "$WORK/m" > /dev/null; ms "$t" >> "$WORK/exe.t"
  done
  P=$(best < "$WORK/patch.t") M=$(best < "$WORK/merge.t") E=$(best < "$WORK/exe.t")
  echo "| ${pair/:/ -> } | ${P} ms | ${M} ms ($(ratio "$M" "$P")x) | ${E} ms ($(ratio "$E" "$P")x) |" \
       "$(size "$WORK/m.bc") B | $(( $(tu_section "$a") + $(tu_section "$b") )) B (compressed) |" \
       "$(size "$WORK/m") B | $(( $(size "$a") + $(size "$b") )) B |"
done
# Chains of two updates (dsu merge v1 v2 v3): against the two patches made
# one after the other (the baseline: what `dsu patch` does for the same two
# updates), and the sizes against the three versions.
echo
echo "| chain | dsu patch x2 | dsu merge -o (ratio) | dsu merge --exe (ratio) | merged .bc | .dsu.tu of the three | merged exe | the three exes |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for chain in v1:v2:v3 v2:v3:v4; do
  IFS=: read -r x y z <<< "$chain"
  a="$WORK/kv/$x/kvserver" b="$WORK/kv/$y/kvserver" c="$WORK/kv/$z/kvserver"
  : > "$WORK/patch.t"; : > "$WORK/merge.t"; : > "$WORK/exe.t"
  for _ in $(seq "$RUNS"); do
    t=$(date +%s%N)
    "$BIN/dsu" patch "$a" "$b" -o "$WORK/p" > /dev/null
    "$BIN/dsu" patch "$b" "$c" -o "$WORK/p" > /dev/null
    ms "$t" >> "$WORK/patch.t"
    t=$(date +%s%N); "$BIN/dsu" merge "$a" "$b" "$c" -o "$WORK/m.bc" > /dev/null; ms "$t" >> "$WORK/merge.t"
    t=$(date +%s%N); "$BIN/dsu" merge "$a" "$b" "$c" --exe "$WORK/m" > /dev/null; ms "$t" >> "$WORK/exe.t"
  done
  P=$(best < "$WORK/patch.t") M=$(best < "$WORK/merge.t") E=$(best < "$WORK/exe.t")
  echo "| ${chain//:/ -> } | ${P} ms | ${M} ms ($(ratio "$M" "$P")x) | ${E} ms ($(ratio "$E" "$P")x) |" \
       "$(size "$WORK/m.bc") B | $(( $(tu_section "$a") + $(tu_section "$b") + $(tu_section "$c") )) B (compressed) |" \
       "$(size "$WORK/m") B | $(( $(size "$a") + $(size "$b") + $(size "$c") )) B |"
done
