#!/usr/bin/env bash
# The new objects of a type-changing update come from one slab per type
# (runtime/dsu_slab.c): the program must be able to free them and
# reallocate them as it does its own, and a second update
# must move them again. The same session without slabs (DSU_NO_SLABS=1)
# gives the same output. A transformer that fails halfway through a slab
# rolls the update back, and the old objects stay the program's.
source "$(dirname "$0")/lib.sh"
P="$E2E_DIR/programs/slabfree"
for v in 1 2 3; do build "slab$v" "$P/v$v/main.c"; done
make_patch slab1 slab2 p12
make_patch slab2 slab3 p23

cat > "$WORK/expected" <<'OUT'
v1 items 2000 sum 2001000
v2 items 2000 sum 2001000
freed 667 reallocated 667
v2 items 1833 sum 2458583
v3 items 1833 sum 2458583
freed 611 reallocated 611
v3 items 1222 sum 1638222
freed all 1222
OUT

export DSU_TRANSFORM_PROFILE=1
# session LABEL SLABS: the whole session, with SLABS slabs per update
session() {
  local label=$1 slabs=$2
  cp "$WORK/slab1" "$WORK/$label"
  start "$label"
  send b s
  wait_lines "$WORK/$label.out" 1
  apply_during p12 "$label.apply1" s
  check "$label: the first update applies" test $? -eq 0
  send f a s
  wait_lines "$WORK/$label.out" 4
  apply_during p23 "$label.apply2" s
  check "$label: the second update applies" test $? -eq 0
  send f s x
  wait_lines "$WORK/$label.out" 8
  stop
  check "$label: every value survives, every free and realloc is accepted" \
    cmp "$WORK/$label.out" "$WORK/expected"
  check "$label: the updates moved 2000 and 1833 objects" \
    contains "$WORK/$label.apply2" "1833 objects"
  check "$label: $slabs slab per update" \
    test "$(grep -c "into $slabs slabs" "$WORK/$label.err")" -eq 2
  check "$label: nothing on stderr but the profile" \
    test -z "$(grep -v '^dsu: transform' "$WORK/$label.err")"
}
session slabs 1
DSU_NO_SLABS=1 session noslabs 0

# A transformer that fails at the 1000th object: the slab is given back, the
# old objects stay the program's (it frees them all).
"$DSU" patch "$WORK/slab1" "$WORK/slab2" -o "$WORK/p12-emit" \
  --emit-transformers "$WORK/xform.c" > /dev/null 2>&1
sed 's|^  const struct item__old \*o = old_object;$|&\n  if (o->key == 1000) return 7;|' \
  "$WORK/xform.c" > "$WORK/failing.c"
check "the failing transformer is in place" contains "$WORK/failing.c" "o->key == 1000) return 7;"
"$DSU" patch "$WORK/slab1" "$WORK/slab2" -o "$WORK/p12-fail" \
  --transformers "$WORK/failing.c" > "$WORK/fail.log" 2>&1
start slab1
send b s
wait_lines "$WORK/slab1.out" 1
apply_during p12-fail fail.apply s
check "the failing update is refused" test $? -ne 0
check "it names the transformer's failure" contains "$WORK/fail.apply" "failed (returned 7)"
send f s x
wait_lines "$WORK/slab1.out" 5
stop
cat > "$WORK/fail.expected" <<'OUT'
v1 items 2000 sum 2001000
v1 items 2000 sum 2001000
freed 667 reallocated 667
v1 items 1333 sum 1333333
freed all 1333
OUT
check "after the rollback the old version runs on its objects" \
  cmp "$WORK/slab1.out" "$WORK/fail.expected"
finish
