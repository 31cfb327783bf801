#!/usr/bin/env bash
# State changes applied live: changed struct and union types and global
# types, with generated and user transformers; rollback on a failing or
# crashing transformer; refusal where dsu cannot account for references.
source "$(dirname "$0")/lib.sh"
P="$E2E_DIR/programs"

apply_with() { apply_during "$1" "$2" s; }

# --- every kind of state survives the default transformers
build state1 "$P/state/v1/main.c"
build state2 "$P/state/v2/main.c"
"$DSU" diff "$WORK/state1" "$WORK/state2" > "$WORK/state.diff"
check "diff: the nested type changes with its member" \
  contains "$WORK/state.diff" "type changed struct node: field 'p' has a changed type"
check "diff: the union change" contains "$WORK/state.diff" "type changed union val: field 'l' added"
check "diff: the global of a changed type" \
  contains "$WORK/state.diff" "global type-changed recs (static in main.c)"
"$DSU" patch "$WORK/state1" "$WORK/state2" -o "$WORK/state.patch" \
  --emit-transformers "$WORK/xform.c" > "$WORK/patch.log" 2>&1
check "patch with generated transformers" test -s "$WORK/state.patch"
check "the transformer file shows old definitions" contains "$WORK/xform.c" "struct point__old {"
start state1
send b s
wait_lines "$WORK/state1.out" 6
apply_with state.patch apply.log
check "the state-changing update applies" test $? -eq 0
check "apply reports the transformed objects" contains "$WORK/apply.log" "21 objects and 1 globals transformed"
send f s
wait_lines "$WORK/state1.out" 18
stop
cat > "$WORK/state.expected" <<'OUT'
list: (5,25) (4,16) (3,9) (2,4) (1,1)
buckets: 1:(100,-1) 2:(200,-2) 3:(300,-3) 4:(400,-4) 5:(500,-5)
tree: 20 30 40 50 60 70 80 
pts: (10,20) (11,21) (12,22) (13,23)
favorite: (12,22) last: (5,25)
recs: 7 2.5 -1 tags 1 2 3
list: (5,25,0) (4,16,0) (3,9,0) (2,4,0) (1,1,0)
buckets: 1:(100,-1) 2:(200,-2) 3:(300,-3) 4:(400,-4) 5:(500,-5)
tree: 20/0 30/0 40/0 50/0 60/0 70/0 80/0 
pts: (10,20) (11,21) (12,22) (13,23)
favorite: (12,22) last: (5,25)
recs: 7 2.5 -1 tags 1 2 3
list: (5,25,0) (4,16,0) (3,9,0) (2,4,0) (1,1,0)
buckets: 1:(100,-1) 2:(200,-2) 3:(300,-3) 4:(400,-4) 5:(500,-5)
tree: 20/0 30/0 40/0 50/0 60/0 70/0 80/0 
pts: (10,20) (11,21) (1012,22) (13,23)
favorite: (1012,22) last: (5,25)
recs: 7 2.5 -1 tags 1 2 3
OUT
check "lists, chains, tree, arrays, unions and inner pointers survive" \
  cmp "$WORK/state1.out" "$WORK/state.expected"

# --- a user transformer: the new count field computed from the old key
# It also checks that dsu_relocated() knows where the left child moves.
sed -e 's|  /\* count: new, zero \*/|  n->count = o->key / 10;\n  if (o->left \&\& dsu_relocated(o->left) == (void *)o->left) return 9;|' \
    -e 's|#include <string.h>|#include <string.h>\n#include <dsu.h>|' "$WORK/xform.c" > "$WORK/user.c"
check "the user edit is in place" contains "$WORK/user.c" "n->count = o->key / 10;"
"$DSU" patch "$WORK/state1" "$WORK/state2" -o "$WORK/user.patch" --transformers "$WORK/user.c" > /dev/null 2>&1
start state1
send b
apply_with user.patch user.log
check "the update with a user transformer applies" test $? -eq 0
wait_lines "$WORK/state1.out" 6
stop
check "the user transformer ran" contains "$WORK/state1.out" "tree: 20/2 30/3 40/4 50/5 60/6 70/7 80/8 "

# --- regenerating does not overwrite edits
cp "$WORK/user.c" "$WORK/edited.c"
"$DSU" patch "$WORK/state1" "$WORK/state2" -o "$WORK/again.patch" --emit-transformers "$WORK/edited.c" > "$WORK/regen.log" 2>&1
check "an edited transformer file is kept" cmp "$WORK/edited.c" "$WORK/user.c"
check "the regenerated one goes beside it" test -s "$WORK/edited.c.new"

# --- failing, crashing, aborting, looping and stack-overflowing transformers
# roll the update back; the process goes on serving its old version
export DSU_TRANSFORM_TIMEOUT_MS=1000 # the deadline of a transformation
for kind in fail crash abort loop overflow; do
  case $kind in
  fail) body='if (o->key == 60) return 7;' ;;
  crash) body='if (o->key == 60) *(volatile int *)0 = 1;' ;;
  abort) body='if (o->key == 60) { extern void abort(void); abort(); }' ;;
  loop) body='if (o->key == 60) for (volatile int i = 0;; i++) {}' ;;
  overflow) body='if (o->key == 60) { volatile char pad[4096]; pad[0] = 0; return __dsu_xform_struct_tree(n, o) + pad[0]; }' ;;
  esac
  sed "s|  /\\* count: new, zero \\*/|  $body|" "$WORK/xform.c" > "$WORK/$kind.c"
  "$DSU" patch "$WORK/state1" "$WORK/state2" -o "$WORK/$kind.patch" --transformers "$WORK/$kind.c" > /dev/null 2>&1
  check "the $kind transformer builds a patch" test -s "$WORK/$kind.patch"
  start state1
  send b
  apply_with $kind.patch $kind.log
  check "a ${kind}ing transformer makes dsu apply fail" test $? -ne 0
  send s
  wait_lines "$WORK/state1.out" 12
  stop
  check "the update with a ${kind}ing transformer is rolled back" contains "$WORK/$kind.log" "rolled back"
  check "the process still runs version 1 with its data ($kind)" \
    bash -c "[ \"\$(sed -n 7,12p '$WORK/state1.out')\" = \"\$(sed -n 1,6p '$WORK/state.expected')\" ]"
done
check "a failing transformer's result is named" contains "$WORK/fail.log" "failed (returned 7)"
check "a crashing transformer's signal is named" contains "$WORK/crash.log" "crashed (signal 11)"
check "an aborting transformer is named" contains "$WORK/abort.log" "the transformer of struct tree#"
check "... and said to abort" contains "$WORK/abort.log" "aborted"
check "a looping transformer is stopped at the deadline" \
  contains "$WORK/loop.log" "did not finish within the transformation's deadline of 1000 ms"
check "a stack overflow in a transformer is caught" contains "$WORK/overflow.log" "crashed (signal 11)"
unset DSU_TRANSFORM_TIMEOUT_MS

# --- refusals
# A void * holding items and strings: inferred from the stores, redirected.
build untyped1 "$P/untyped/v1/main.c"
build untyped2 "$P/untyped/v2/main.c"
make_patch untyped1 untyped2 untyped.patch
"$DSU" diff "$WORK/untyped1" "$WORK/untyped2" > "$WORK/untyped.diff"
check "dsu diff says the void * may point into the moved type" \
  contains "$WORK/untyped.diff" "untyped struct slot.data: may point into struct item (stored at main.c:39)"
start untyped1
send b c d
wait_lines "$WORK/untyped1.out" 3
apply_during untyped.patch untyped.log p
check "an unannotated void * that may hold a moved object does not block the update" test $? -eq 0
wait_lines "$WORK/untyped1.out" 6
stop
printf '98\ntext c\n100\nslot 0: 100+0\nslot 2: 98+0\nslot 3: c\n' > "$WORK/untyped.expected"
check "the inferred pointers reach the relocated objects, the strings stay" \
  cmp "$WORK/untyped1.out" "$WORK/untyped.expected"
# The same field holding numbers too: refused, naming the field and stores.
build untypednum1 "$P/untypednum/v1/main.c"
build untypednum2 "$P/untypednum/v2/main.c"
"$DSU" patch "$WORK/untypednum1" "$WORK/untypednum2" -o "$WORK/untypednum.patch" > "$WORK/untypednum.log" 2>&1
check "a void * that may hold a moved object or a number is refused" test $? -ne 0
check "the refusal names the field and the stores" contains "$WORK/untypednum.log" \
  "the 'void *' field 'struct slot.data' may point into struct item (stored at main.c:43)"
check "... and the number" contains "$WORK/untypednum.log" "numbers (stored at main.c:33)"
check "the refusal says how to annotate it" contains "$WORK/untypednum.log" "DSU_POINTS_TO"
# Objects with data after them move with it (an older runtime took the data
# for more objects and converted it), and a pointer into the data follows.
build trailing1 "$P/trailing/v1/main.c"
build trailing2 "$P/trailing/v2/main.c"
make_patch trailing1 trailing2 trailing.patch
start trailing1
send helloworld12345 abc
apply_during trailing.patch trailing.log p
check "objects with data after them of a changed type are updated" test $? -eq 0
wait_lines "$WORK/trailing1.out" 3
stop
printf '0 15 helloworld12345\n1 3 abc\ncursor bc\n' > "$WORK/trailing.expected"
check "their data moves with them, and a pointer into it follows" \
  cmp "$WORK/trailing1.out" "$WORK/trailing.expected"
# An array of an unchanged struct holding pointers to a changed one: every
# element is read, not just the first (an older runtime left the others
# dangling).
build slotarray1 "$P/slotarray/v1/main.c"
build slotarray2 "$P/slotarray/v2/main.c"
make_patch slotarray1 slotarray2 slotarray.patch
start slotarray1
send a b c
apply_during slotarray.patch slotarray.log p
check "an array of structs pointing to a changed type is updated" test $? -eq 0
wait_lines "$WORK/slotarray1.out" 3
stop
printf 'slot 1: 97\nslot 2: 98\nslot 3: 99\n' > "$WORK/slotarray.expected"
check "every element's pointer follows its object" \
  cmp "$WORK/slotarray1.out" "$WORK/slotarray.expected"
# A hash table whose buckets come from malloc(bytes): the array is known by
# the type its address is stored as (struct item **), and each bucket follows
# its item.
build hashtable1 "$P/hashtable/v1/main.c"
build hashtable2 "$P/hashtable/v2/main.c"
make_patch hashtable1 hashtable2 hashtable.patch
start hashtable1
send s1 s17 s2
apply_during hashtable.patch hashtable.log g17
check "a table allocated by byte count is updated" test $? -eq 0
send g1 g2 g3
wait_lines "$WORK/hashtable1.out" 4
stop
printf 'found 17\nfound 1\nfound 2\nmissing 3\n' > "$WORK/hashtable.expected"
check "every bucket follows its item" \
  cmp "$WORK/hashtable1.out" "$WORK/hashtable.expected"
# The same table reached through a void * local: untracked, so the update
# is refused, naming the global that points to it, and v1 goes on.
build hashvoid1 -DTABLE_THROUGH_VOID "$P/hashtable/v1/main.c"
build hashvoid2 -DTABLE_THROUGH_VOID "$P/hashtable/v2/main.c"
make_patch hashvoid1 hashvoid2 hashvoid.patch
start hashvoid1
send s1 s17 s2
apply_during hashvoid.patch hashvoid.log g17
check "a table of item pointers dsu did not see allocated is refused" test $? -ne 0
check "the refusal names the global" contains "$WORK/hashvoid.log" \
  "global table holds"
send g1 g2 g3
wait_lines "$WORK/hashvoid1.out" 4
stop
check "v1 goes on with every bucket" cmp "$WORK/hashvoid1.out" "$WORK/hashtable.expected"
# A signal that arrives while the state is converted (here sent by the
# transformer itself) waits for the commit, or the rollback: its handler
# reads the configuration the update converts.
build signals1 "$P/signals/v1/main.c"
build signals2 "$P/signals/v2/main.c"
"$DSU" patch "$WORK/signals1" "$WORK/signals2" -o "$WORK/signals.patch" \
  --emit-transformers "$WORK/signals.c" > /dev/null 2>&1
for outcome in commit rollback; do
  ret=0
  [ $outcome = rollback ] && ret=1
  sed -e "s|^  /\* name: new, zero \*/\$|  kill(getpid(), SIGUSR1); /* a signal arrives mid-conversion */\n  if ($ret) return $ret;|" \
      -e 's|^#include <string.h>$|#include <string.h>\n#include <signal.h>\n#include <unistd.h>|' \
      "$WORK/signals.c" > "$WORK/signals-$outcome.c"
  "$DSU" patch "$WORK/signals1" "$WORK/signals2" -o "$WORK/signals-$outcome.patch" \
    --transformers "$WORK/signals-$outcome.c" > "$WORK/signals-$outcome.log" 2>&1
  check "the signalling transformers build ($outcome)" test $? -eq 0
  start signals1
  send p
  wait_lines "$WORK/signals1.out" 1
  apply_during signals-$outcome.patch signals-$outcome-apply.log p
  rc=$?
  if [ $outcome = commit ]; then
    check "the update applies" test $rc -eq 0
  else
    check "the failing transformer rolls the update back" test $rc -ne 0
  fi
  send p
  wait_lines "$WORK/signals1.out" 4
  stop
  printf 'workers 4 port 8080\nsignal: workers 4 port 8080\nworkers 4 port 8080\nworkers 4 port 8080\n' > "$WORK/signals.expected"
  check "the handler ran after the $outcome, over whole state" \
    cmp "$WORK/signals1.out" "$WORK/signals.expected"
done
# A 10,240-bucket table: ranges in the patch, every bucket redirected.
build bigtable1 "$P/bigtable/v1/main.c"
build bigtable2 "$P/bigtable/v2/main.c"
make_patch bigtable1 bigtable2 bigtable.patch
check "a patch for a 10,240-bucket table stays small" \
  test "$(stat -c %s "$WORK/bigtable.patch")" -lt 100000
start bigtable1
send 5 10239 777
apply_during bigtable.patch bigtable.log p
check "the table's update applies" test $? -eq 0
wait_lines "$WORK/bigtable1.out" 3
stop
printf '5 5\n777 777\n10239 10239\n' > "$WORK/bigtable.expected"
check "every bucket's pointer follows its item" \
  cmp "$WORK/bigtable1.out" "$WORK/bigtable.expected"
# Transformers call the new version's functions by their C names: a static
# that is new in v2, and a function whose body v2 changes (new code already).
build newcalls1 "$P/newcalls/v1/main.c"
build newcalls2 "$P/newcalls/v2/main.c"
"$DSU" patch "$WORK/newcalls1" "$WORK/newcalls2" -o "$WORK/newcalls.patch" \
  --emit-transformers "$WORK/newcalls.c" > /dev/null 2>&1
python3 - "$WORK/newcalls.c" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace("/* Type transformers. */\n", "/* Type transformers. */\n"
              "int weight_of(const char *name);\nint scale(int x);\n", 1)
s = s.replace("  /* weight: new, zero */\n", "  n->weight = weight_of(n->name);\n", 1)
s = s.replace("  /* scale_seen: new, zero */\n", "  n->scale_seen = scale(1);\n", 1)
open(p, "w").write(s)
PY
"$DSU" patch "$WORK/newcalls1" "$WORK/newcalls2" -o "$WORK/newcalls.patch" \
  --transformers "$WORK/newcalls.c" > "$WORK/newcalls.log" 2>&1
check "transformers calling new functions by name build" test $? -eq 0
start newcalls1
send ab abc
wait_lines "$WORK/newcalls1.out" 2
apply_during newcalls.patch newcalls-apply.log p
check "... and apply" test $? -eq 0
wait_lines "$WORK/newcalls1.out" 4
stop
printf 'added ab 1\nadded abc 1\nabc 30 2\nab 20 2\n' > "$WORK/newcalls.expected"
check "the transformer ran the new version's code (weight_of, scale)" \
  cmp "$WORK/newcalls1.out" "$WORK/newcalls.expected"
# Generated transformers compile for enums, bit-fields and system types.
build sysfields1 "$P/sysfields/v1/main.c" -pthread
build sysfields2 "$P/sysfields/v2/main.c" -pthread
make_patch sysfields1 sysfields2 sysfields.patch
check "the generated transformers of enums, bit-fields and system types compile" \
  test -s "$WORK/sysfields.patch"
start sysfields1
send a b
apply_during sysfields.patch sysfields.log p
check "... and apply" test $? -eq 0
wait_lines "$WORK/sysfields1.out" 3
stop
printf '97 5 1 1\n98 5 1 1\nhits 2\n' > "$WORK/sysfields.expected"
check "enum, bit-field and mutex values survive" \
  cmp "$WORK/sysfields1.out" "$WORK/sysfields.expected"
build annotated1 "$P/annotated/v1/main.c"
build annotated2 "$P/annotated/v2/main.c"
make_patch annotated1 annotated2 annotated.patch
start annotated1
send a b
wait_lines "$WORK/annotated1.out" 2
apply_during annotated.patch annotated.log p
check "an annotated void * does not block the update" test $? -eq 0
wait_lines "$WORK/annotated1.out" 4
stop
printf '97\n98\nslot 1: 97+0\nslot 2: 98+0\n' > "$WORK/annotated.expected"
check "the annotated pointers reach the relocated objects" cmp "$WORK/annotated1.out" "$WORK/annotated.expected"
# --- a typedef'd anonymous struct
build anon1 "$P/anon/v1/main.c"
build anon2 "$P/anon/v2/main.c"
make_patch anon1 anon2 anon.patch
start anon1
send a a
wait_lines "$WORK/anon1.out" 2
apply_during anon.patch anon.log a
check "a typedef'd anonymous struct is transformed" test $? -eq 0
wait_lines "$WORK/anon1.out" 3
stop
printf '1 0\n2 0\n3 0 0\n' > "$WORK/anon.expected"
check "its values survive" cmp "$WORK/anon1.out" "$WORK/anon.expected"
# --- objects inside a global array: pointers to any element follow it
build pool1 "$P/pool/v1/main.c"
build pool2 "$P/pool/v2/main.c"
make_patch pool1 pool2 pool.patch
start pool1
send "a 1 10" "a 2 20" "a 5 50" "a 6 60" "a 3 30" p
wait_lines "$WORK/pool1.out" 5
apply_during pool.patch pool.log p
check "a global pool of a changed type is updated" test $? -eq 0
send p
wait_lines "$WORK/pool1.out" 15
stop
cat > "$WORK/pool.expected" <<'OUT'
0:
1: 5=50 1=10
2: 6=60 2=20
3: 3=30
newest 3=30
0:
1: 5=50 1=10
2: 6=60 2=20
3: 3=30
newest 3=30
0:
1: 5=50/0 1=10/0
2: 6=60/0 2=20/0
3: 3=30/0
newest 3=30
OUT
check "pointers to every element of the pool were redirected" \
  cmp "$WORK/pool1.out" "$WORK/pool.expected"

# --- a transformers file made for another pair of builds is refused
"$DSU" patch "$WORK/pool1" "$WORK/pool2" -o "$WORK/stale.patch" \
  --transformers "$WORK/user.c" > "$WORK/stale.log" 2>&1
check "transformers generated for other builds are refused" test $? -ne 0
check "the refusal names both pairs of builds" \
  contains "$WORK/stale.log" "the transformers were generated for the patch"
check "no patch was written from stale transformers" test ! -e "$WORK/stale.patch"

# --- objects dsu never saw allocated (cut out of malloc'd slab pages): the
# typed pointers that lead to them are checked even when nothing else moves
build slab1 "$P/slab/v1/main.c"
build slab2 "$P/slab/v2/main.c"
make_patch slab1 slab2 slab.patch
start slab1
send "a apple 1" "a banana 2" "a cherry 3" p
wait_lines "$WORK/slab1.out" 4
apply_during slab.patch slab.log p
check "objects of a changed type that dsu cannot account for are refused" \
  test $? -ne 0
check "the refusal names the pointer that leads to them" \
  contains "$WORK/slab.log" "global heads["
send p
wait_lines "$WORK/slab1.out" 12
stop
check "the process kept serving its old version unharmed" \
  test "$(sed -n 1,4p "$WORK/slab1.out")" = "$(sed -n 9,12p "$WORK/slab1.out")"
# --- pointers into the middle of moved objects (an embedded list link, a
# char * into a name) follow them; a table of void * holding them is refused
build embedded1 "$P/embedded/v1/main.c"
build embedded2 "$P/embedded/v2/main.c"
make_patch embedded1 embedded2 embedded.patch
start embedded1
send "c alpha" "c beta" "c gamma" p
wait_lines "$WORK/embedded1.out" 1
apply_during embedded.patch embedded.log p
check "objects with inner pointers to them are updated" test $? -eq 0
send "c delta" p
wait_lines "$WORK/embedded1.out" 3
stop
cat > "$WORK/embedded.expected" <<'OUT'
gamma/5 beta/4 alpha/3 | current gamma/5 gamma
gamma/5 beta/4 alpha/3 | current gamma/5 gamma
delta/6/0 gamma/5/0 beta/4/0 alpha/3/0 | current delta/6 delta
OUT
check "pointers into the middle of moved objects were redirected" \
  cmp "$WORK/embedded1.out" "$WORK/embedded.expected"
start embedded1
send "c alpha" "c beta" t p
wait_lines "$WORK/embedded1.out" 1
apply_during embedded.patch embedded2.log p
check "a void * table that holds moved objects is refused" test $? -ne 0
check "the refusal names the table's allocation site" \
  contains "$WORK/embedded2.log" "an array of void * allocated at main.c:43"
send p
wait_lines "$WORK/embedded1.out" 3
stop
check "the refused process keeps serving" \
  test "$(sed -n 3p "$WORK/embedded1.out")" = "beta/4 alpha/3 | current beta/4 beta"
# --- an anonymous typedef'd struct that gains a tag is the same type
build retag1 "$P/retag/v1/main.c"
build retag2 "$P/retag/v2/main.c"
"$DSU" diff "$WORK/retag1" "$WORK/retag2" > "$WORK/retag.diff"
check "diff: the type is matched through its typedef name" \
  contains "$WORK/retag.diff" "type changed struct conn: was conn (the same typedef name),"
make_patch retag1 retag2 retag.patch
start retag1
send "c 5" "c 7" "r 5 100" "r 7 20" "r 5 3" p
wait_lines "$WORK/retag1.out" 2
apply_during retag.patch retag.log p
check "the retagged type is transformed" contains "$WORK/retag.log" "2 objects and 1 globals transformed"
send "r 7 1" p
wait_lines "$WORK/retag1.out" 6
stop
cat > "$WORK/retag.expected" <<'OUT'
fd 5 state 1 read 103
fd 7 state 1 read 20
fd 5 state 1 read 103
fd 7 state 1 read 20
fd 5 state 1 read 103 written 0
fd 7 state 1 read 21 written 0
OUT
check "every connection keeps its values under the new layout" \
  cmp "$WORK/retag1.out" "$WORK/retag.expected"
# --- objects whose address a library keeps cannot be moved: refused, named
clang-19 -O2 -c "$P/pinned/evlib.c" -o "$WORK/evlib.o"
build pinned1 "$P/pinned/v1/main.c" "$WORK/evlib.o"
build pinned2 "$P/pinned/v2/main.c" "$WORK/evlib.o"
"$DSU" patch "$WORK/pinned1" "$WORK/pinned2" -o "$WORK/pinned.patch" \
  > "$WORK/pinned.log" 2>&1
check "a patch that would move objects a library holds is refused" test $? -ne 0
check "the refusal names the type, the field and the call" \
  contains "$WORK/pinned.log" "objects of struct conn cannot be moved: code that dsu does not build may keep their addresses (an object is given to ev_register at main.c:37, its field 'event' is given to ev_register at main.c:37)"
"$DSU" diff "$WORK/pinned1" "$WORK/pinned2" > "$WORK/pinned.diff"
check "dsu diff shows the refusal" contains "$WORK/pinned.diff" "refused: objects of struct conn cannot be moved"
# ... unless the transformers move the registrations in a commit hook
"$DSU" patch "$WORK/pinned1" "$WORK/pinned2" -o "$WORK/pinned.patch" \
  --emit-transformers "$WORK/pinned.c" > /dev/null 2>&1
check "the template is written even though the patch is refused" \
  contains "$WORK/pinned.c" "const struct dsu_hooks __dsu_hooks = {0, 0};"
{
  sed -e '/^const struct dsu_hooks __dsu_hooks = {0, 0};$/d' \
      -e 's|^#include <string.h>$|#include <string.h>\n#include <stdlib.h>\n#include <dsu.h>|' \
      "$WORK/pinned.c"
  cat "$P/pinned/reregister.c"
} > "$WORK/pinned-user.c"
"$DSU" patch "$WORK/pinned1" "$WORK/pinned2" -o "$WORK/pinned.patch" \
  --transformers "$WORK/pinned-user.c" > "$WORK/pinned-user.log" 2>&1
check "transformers that re-register the objects lift the refusal" test $? -eq 0
start pinned1
send "c 10" "c 11" "c 12" f
wait_lines "$WORK/pinned1.out" 3
apply_during pinned.patch pinned-apply.log f
check "the update that moves registered objects applies" test $? -eq 0
send f
wait_lines "$WORK/pinned1.out" 9
stop
cat > "$WORK/pinned.expected" <<'OUT'
fd 10 conn 0 requests 1
fd 11 conn 1 requests 1
fd 12 conn 2 requests 1
fd 10 conn 0 requests 2
fd 11 conn 1 requests 2
fd 12 conn 2 requests 2
fd 10 conn 0 requests 3
fd 11 conn 1 requests 3
fd 12 conn 2 requests 3
OUT
# Re-registration follows the order of the old objects' addresses.
{ sed -n 1,6p "$WORK/pinned1.out"; sed -n '7,$p' "$WORK/pinned1.out" | sort; } \
  > "$WORK/pinned.sorted"
check "the library calls back with the moved objects, state intact" \
  cmp "$WORK/pinned.sorted" "$WORK/pinned.expected"
# --- a renamed struct is matched through the places that hold it; a field
# with no default conversion needs the user's code before the patch is made
build rename1 "$P/rename/v1/main.c"
build rename2 "$P/rename/v2/main.c"
"$DSU" diff "$WORK/rename1" "$WORK/rename2" > "$WORK/rename.diff"
check "diff: the renamed struct is one type" \
  contains "$WORK/rename.diff" "type changed struct record: was struct item (renamed: the same places hold it)"
"$DSU" patch "$WORK/rename1" "$WORK/rename2" -o "$WORK/rename.patch" \
  --emit-transformers "$WORK/rename.c" > "$WORK/rename.log" 2>&1
check "a field with no default conversion refuses the generated patch" test $? -ne 0
check "the refusal names the field and both types" \
  contains "$WORK/rename.log" "n->body: 'char[16]' -> 'char *' (array and non-array) has no default conversion: write it here and delete this line"
check "the template was written for the user to complete" \
  contains "$WORK/rename.c" "DSU-TODO n->body"
sed -e 's|^ */\* DSU-TODO n->body.*$|  n->body = strdup(o->body);|' \
    -e 's|^#include <string.h>$|#include <string.h>\n#include <stdlib.h>|' \
  "$WORK/rename.c" > "$WORK/rename-user.c"
"$DSU" patch "$WORK/rename1" "$WORK/rename2" -o "$WORK/rename.patch" \
  --transformers "$WORK/rename-user.c" > "$WORK/rename-user.log" 2>&1
check "the completed transformers make the patch" test $? -eq 0
start rename1
send "a 1 one" "a 2 two" "a 3 three" p
wait_lines "$WORK/rename1.out" 1
apply_during rename.patch rename-apply.log p
check "the renamed struct's objects are transformed" \
  contains "$WORK/rename-apply.log" "3 objects"
send "a 4 four" p
wait_lines "$WORK/rename1.out" 3
stop
printf '3:three 2:two 1:one \n3:three 2:two 1:one \n[4 four] [3 three] [2 two] [1 one] \n' \
  > "$WORK/rename.expected"
check "ids and bodies survive the rename" cmp "$WORK/rename1.out" "$WORK/rename.expected"
# --- an array of pointers with stale slots past its count: refused unless
# the count is named with DSU_LIVE_COUNT
for variant in plain annotated; do
  flags=""; [ $variant = annotated ] && flags=-DANNOTATE
  build free1$variant $flags "$P/freelist/v1/main.c"
  build free2$variant $flags "$P/freelist/v2/main.c"
  make_patch free1$variant free2$variant free$variant.patch
  start free1$variant
  send "o 1" "o 2" "o 3" "c 2" p
  wait_lines "$WORK/free1$variant.out" 1
  apply_during free$variant.patch free$variant.log p
  rc=$?
  send "o 4" p
  wait_lines "$WORK/free1$variant.out" 3
  stop
  if [ $variant = plain ]; then
    check "stale slots in an unannotated pointer array refuse the update" test $rc -ne 0
    check "the refusal suggests DSU_LIVE_COUNT" \
      contains "$WORK/free$variant.log" "annotate the global that points to it with DSU_LIVE_COUNT(count)"
  else
    check "with DSU_LIVE_COUNT the update applies" test $rc -eq 0
    check "the connection on the free list was transformed and reused" \
      test "$(sed -n 3p "$WORK/free1$variant.out")" = "fd 1 served 3 fd 3 served 3 fd 4 served 1 free 0"
  fi
done
# --- objects from an allocator with its own free function (a size header
# before each block, like zmalloc) are transformed in place, or moved
# through that allocator
for v in 1 2 3; do
  build wrapped$v -fdsu-allocator=zmalloc:zfree "$P/wrapped/v$v/main.c"
done
make_patch wrapped1 wrapped2 wrapped12.patch
make_patch wrapped1 wrapped3 wrapped13.patch
start wrapped1
send "o 4" "o 5" "o 6" "q 5 100" "c 4" "q 6 7" p
wait_lines "$WORK/wrapped1.out" 1
apply_during wrapped12.patch wrapped12.log p
check "objects that fit are transformed in place" test $? -eq 0
check "in place: two clients transformed" contains "$WORK/wrapped12.log" "2 objects"
send "q 5 1" "o 7" "c 6" p
wait_lines "$WORK/wrapped1.out" 3
stop
cat > "$WORK/wrapped.expected" <<'OUT'
fd 6 queued 7 fd 5 queued 100 memory 48
fd 6 queued 7 fd 5 queued 100 memory 48
fd 7 queued 0 fd 5 queued 101 memory 40
OUT
check "the clients keep their values and the program's own free still works" \
  cmp "$WORK/wrapped1.out" "$WORK/wrapped.expected"
# Objects that grow move through the program's allocator (the new build's
# zmalloc, with a cap) and their old blocks go back through zfree; at the
# cap the update is refused and the blocks it took are given back.
"$DSU" patch "$WORK/wrapped1" "$WORK/wrapped3" -o "$WORK/wrapped13x.patch" \
  --emit-transformers "$WORK/wrapped13.c" > /dev/null 2>&1
check "the transformers give the runtime the program's allocator" \
  grep -q "__dsu_alloc_struct_client, __dsu_free_struct_client}" "$WORK/wrapped13.c"
"$DSU" diff "$WORK/wrapped1" "$WORK/wrapped3" > "$WORK/wrapped13.diff"
check "dsu diff says how the clients move" contains "$WORK/wrapped13.diff" \
  "pooled struct client: objects from zmalloc() are rewritten in place where the new layout fits, and move through the new build's zmalloc() and zfree() where it does not"
start wrapped1
send "o 4" "o 5" "o 6" "q 5 100" "q 6 7" p
wait_lines "$WORK/wrapped1.out" 1
apply_during wrapped13.patch wrapped13.log p
check "growing three clients past the new build's cap is refused" test $? -ne 0
check "the refusal says why" contains "$WORK/wrapped13.log" \
  "the program's allocator gave no block of 56 bytes"
send "c 4" p
wait_lines "$WORK/wrapped1.out" 3
apply_during wrapped13.patch wrapped13b.log p
check "growing two clients moves them through the program's allocator" test $? -eq 0
check "through the allocator: two clients transformed" contains "$WORK/wrapped13b.log" "2 objects"
send "q 5 1" p
wait_lines "$WORK/wrapped1.out" 5
stop
cat > "$WORK/wrapped13.expected" <<'OUT'
fd 6 queued 7 fd 5 queued 100 fd 4 queued 0 memory 72
fd 6 queued 7 fd 5 queued 100 fd 4 queued 0 memory 72
fd 6 queued 7 fd 5 queued 100 memory 48
fd 6 queued 7 fd 5 queued 100 memory 48
fd 6 queued 7 fd 5 queued 101 memory 112
OUT
check "the rollback gave the new blocks back, the commit the old ones" \
  cmp "$WORK/wrapped1.out" "$WORK/wrapped13.expected"
# --- a realloc-like allocator named with its deallocator
# (-fdsu-allocator=zrealloc:zfree) frees the block it moves the table from
# through a realloc of its own: dsu must forget that address, or the note
# that takes the block next is transformed with the table (it was:
# "added3" printed "d3" after the update, silently)
for v in 1 2; do
  build zrealloc$v -fdsu-allocator=zrealloc:zfree "$P/zrealloc/v$v/main.c"
done
make_patch zrealloc1 zrealloc2 zrealloc.patch
start zrealloc1
send "a 1 10" "a 2 20" "a 3 30" p
wait_lines "$WORK/zrealloc1.out" 1
apply_during zrealloc.patch zrealloc.log p
check "the table grown through zrealloc is transformed" test $? -eq 0
wait_lines "$WORK/zrealloc1.out" 2
stop
cat > "$WORK/zrealloc.expected" <<'OUT'
1=10 2=20 3=30 [added1] [added2] [added3] 
1=10 2=20 3=30 [added1] [added2] [added3] 
OUT
check "the block zrealloc moved from, now a note, is left alone" \
  cmp "$WORK/zrealloc1.out" "$WORK/zrealloc.expected"
# --- pointer fields of an unchanged anonymous typedef'd struct follow the
# objects they point to
build anonptr1 "$P/anonptr/v1/main.c"
build anonptr2 "$P/anonptr/v2/main.c"
make_patch anonptr1 anonptr2 anonptr.patch
start anonptr1
send "c 3 alpha" "c 4 beta" p
wait_lines "$WORK/anonptr1.out" 1
apply_during anonptr.patch anonptr.log p
check "items pointed to by anonymous typedef'd structs are updated" test $? -eq 0
check "both pointers of each connection were redirected" \
  contains "$WORK/anonptr.log" "4 pointers redirected"
send "c 5 gamma" p
wait_lines "$WORK/anonptr1.out" 3
stop
check "the connections reach their items after the update" \
  test "$(sed -n 3p "$WORK/anonptr1.out")" = "fd 3 item alpha/1 same 1 fd 4 item beta/1 same 1 fd 5 item gamma/1 same 1 "
build active1 "$P/active/v1/main.c"
build active2 "$P/active/v2/main.c"
make_patch active1 active2 active.patch
start active1
send x
wait_lines "$WORK/active1.out" 1
apply_during active.patch active.log x
check "a changed type used by a function active at the only update point is refused" test $? -ne 0
check "the refusal names the function and type" \
  contains "$WORK/active.log" "function 'main' (main.c:13), which may be active here, uses struct counter"
stop
finish
