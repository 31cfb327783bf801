#!/usr/bin/env bash
# Identity is the program's, not the path's: a translation unit built as
# v1/store.c and as v2/store.c is the same unit, so its statics keep their
# running values; a static whose unit cannot be matched is never dropped
# silently.
source "$(dirname "$0")/lib.sh"
P="$E2E_DIR/programs/tupath"

# --- the README's recipe: dsu-cc -o server-v1 v1/*.c, then v2/*.c
(cd "$P" && "$DSU_CC" -O2 -o "$WORK/tp1" v1/*.c) > "$WORK/tp1.log" 2>&1 ||
  { cat "$WORK/tp1.log"; fail "build v1"; finish; }
(cd "$P" && "$DSU_CC" -O2 -o "$WORK/tp2" v2/*.c) > "$WORK/tp2.log" 2>&1 ||
  { cat "$WORK/tp2.log"; fail "build v2"; finish; }
"$DSU" diff "$WORK/tp1" "$WORK/tp2" > "$WORK/tp.diff" 2>&1
check "diff: only store_get changed" \
  test "$(grep -c '^function\|^global' "$WORK/tp.diff")" -eq 1
check "diff: store_get is the change" contains "$WORK/tp.diff" "function changed store_get"
check "diff: no static is removed" not_contains "$WORK/tp.diff" "removed"
make_patch tp1 tp2 tp.patch
start tp1
send "set alpha 1" "set beta 2" "get alpha"
wait_lines "$WORK/tp1.out" 1
apply_during tp.patch tp.apply "get beta"
check "the update applies" test $? -eq 0
send "get alpha" "get beta" "set gamma 3" "get gamma"
wait_lines "$WORK/tp1.out" 5
stop
cat > "$WORK/tp.expected" <<'OUT'
alpha = 1
beta = 2
alpha = 1 (v2)
beta = 2 (v2)
gamma = 3 (v2)
OUT
check "the static table keeps its contents and the new code runs" \
  cmp "$WORK/tp1.out" "$WORK/tp.expected"

# --- the same sources built from another working directory: same version
(cd "$P/v1" && "$DSU_CC" -O2 -o "$WORK/tp1b" store.c main.c) > /dev/null 2>&1
"$DSU" model "$WORK/tp1" | head -1 > "$WORK/id1"
"$DSU" model "$WORK/tp1b" | head -1 > "$WORK/id1b"
check "the version id does not depend on the directory built from" \
  cmp "$WORK/id1" "$WORK/id1b"

# --- a renamed file: its statics would start empty; refused unless allowed
(cd "$P" && "$DSU_CC" -O2 -o "$WORK/tpr" renamed/*.c) > /dev/null 2>&1
"$DSU" patch "$WORK/tp1" "$WORK/tpr" -o "$WORK/tpr.patch" > "$WORK/tpr.log" 2>&1
check "a patch that drops a static's running value is refused" test $? -ne 0
check "the refusal names the static and both units" \
  contains "$WORK/tpr.log" "'values' (static in store.c)"
check "the refusal says how to proceed" contains "$WORK/tpr.log" "--allow-state-loss"
check "no patch file was written" test ! -e "$WORK/tpr.patch"
"$DSU" patch "$WORK/tp1" "$WORK/tpr" -o "$WORK/tpr.patch" \
  --allow-state-loss keys,values,used > "$WORK/tpr2.log" 2>&1
check "--allow-state-loss names the statics and lets it through" test $? -eq 0

finish
