#!/usr/bin/env bash
# --dump-queries prints stable SMT-LIB: two runs give the same text, and the
# magic-value query of magic.c is there with its declarations.
set -eu
driver=$1 src=$2 out=$3
rm -rf "$out"; mkdir -p "$out"
for i in 1 2; do
  "$driver" symex --quiet --no-stats --output-dir "$out/cases$i" \
    --dump-queries "$out/q$i.smt2" "$src/programs/magic.c" >/dev/null || [ $? -eq 1 ]
done
cmp "$out/q1.smt2" "$out/q2.smt2"
grep -qF '(declare-fun |x#0[0]| () (_ BitVec 8))' "$out/q1.smt2"
grep -q '^(check-sat)$' "$out/q1.smt2"
grep -q '^; sat$' "$out/q1.smt2"
head -n 12 "$out/q1.smt2"
echo PASS
