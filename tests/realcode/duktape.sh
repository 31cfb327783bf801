#!/usr/bin/env bash
# Real code no one here wrote: Debian's duktape.c (a ~100k-line JavaScript
# engine) built with dsu-cc must behave exactly like a plain clang-19 build,
# and a patch between two dsu-cc builds of it must be empty.
source "$(dirname "$0")/../e2e/lib.sh"
DUK=/usr/share/duktape
[ -f "$DUK/duktape.c" ] || { fail "duktape-dev is not installed ($DUK/duktape.c)"; finish; }
R=$(cd "$(dirname "$0")" && pwd)
build duk_dsu -I"$DUK" "$DUK/duktape.c" "$R/duk_main.c" -lm
"$DSU_CLANG" -O2 -I"$DUK" -o "$WORK/duk_plain" "$DUK/duktape.c" "$R/duk_main.c" -lm
"$WORK/duk_dsu" "$R/workload.js" > "$WORK/dsu.out" 2>&1
check "dsu-cc build runs the workload" test $? -eq 0
"$WORK/duk_plain" "$R/workload.js" > "$WORK/plain.out" 2>&1
check "dsu-cc and clang-19 builds print the same" cmp "$WORK/dsu.out" "$WORK/plain.out"
check "the workload really ran" contains "$WORK/dsu.out" "fib(22) = 17711"
"$DSU" model "$WORK/duk_dsu" > "$WORK/duk.model"
check "the model lists duktape's functions" \
  bash -c "[ \$(grep -c '^  function ' '$WORK/duk.model') -gt 1000 ]"
# A second build from the same sources has the same version id.
(mkdir -p "$WORK/again" && cd "$WORK/again" && "$DSU_CC" -O2 -I"$DUK" -o duk "$DUK/duktape.c" "$R/duk_main.c" -lm)
"$DSU" diff "$WORK/duk_dsu" "$WORK/again/duk" > "$WORK/duk.diff"
check "rebuilding duktape changes nothing" contains "$WORK/duk.diff" "no changes"
finish
