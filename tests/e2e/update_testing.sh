#!/usr/bin/env bash
# dsu test: one run per update point. A patch that forgets to carry a value
# over is caught at every point but the first; the same patch with a state
# transformer of the user's passes at every point.
source "$(dirname "$0")/lib.sh"
P="$E2E_DIR/programs/timing"
build t1 "$P/v1/main.c"
build t2 "$P/v2/main.c"
make_patch t1 t2 lossy.patch
printf '1\n2\n3\n4\n' > "$WORK/requests"
"$DSU" test "$WORK/t1" "$WORK/lossy.patch" --input "$WORK/requests" > "$WORK/lossy.out" 2>&1
check "dsu test fails on the lossy patch" test $? -ne 0
check "it counts the update points" contains "$WORK/lossy.out" "4 update points reached"
check "updating before any request is fine" contains "$WORK/lossy.out" "PASS update at point 1"
check "later updates lose the total, with the first difference" \
  contains "$WORK/lossy.out" "FAIL update at point 3: line 3: expected 'total 6', got 'total 3'"
check "the summary line" contains "$WORK/lossy.out" "1 passed, 3 failed"

# The fix: a state transformer that moves the running value.
OLD=$("$DSU" diff --json "$WORK/t1" "$WORK/t2" | python3 -c "import json,sys; print([g['old_symbol'] for g in json.load(sys.stdin)['globals'] if g['name']=='total'][0])")
NEW=$("$DSU" diff --json "$WORK/t1" "$WORK/t2" | python3 -c "import json,sys; print([g['new_symbol'] for g in json.load(sys.stdin)['globals'] if g['name']=='grand_total'][0])")
cat > "$WORK/migrate.c" <<C
#include <dsu/patch_format.h>
extern int old_total __asm__("$OLD");
extern long new_total __asm__("$NEW");
static int migrate(void) { new_total = old_total; return 0; }
const struct dsu_global_xform __dsu_global_xforms[] = {{"state", 0, 0, migrate}, {0, 0, 0, 0}};
C
"$DSU" patch "$WORK/t1" "$WORK/t2" -o "$WORK/fixed.patch" --transformers "$WORK/migrate.c" > "$WORK/fixed.log" 2>&1
check "the patch with a user state transformer builds" test $? -eq 0
"$DSU" test "$WORK/t1" "$WORK/fixed.patch" --input "$WORK/requests" > "$WORK/fixed.out" 2>&1
check "dsu test passes at every update point" test $? -eq 0
check "four runs with an update passed" contains "$WORK/fixed.out" "4 passed, 0 failed"
finish
