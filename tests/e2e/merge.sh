#!/usr/bin/env bash
# dsu merge, checked against the real runtime (differential testing).
#
# For each program (the shared scenarios the merge supports, programs of
# tests/e2e that read stdin, and patches with the user's transformers,
# one of them deliberately wrong), and for every K from 0 to the number of
# update-point visits of the run:
#   real:   the old build, updated by libdsu at its K-th update-point visit
#           (the synchronous test mode of `dsu test`: DSU_TEST_UPDATE_AT=K)
#   merged: the merged program run natively with DSU_MERGE_UPDATE_AT=K
# must print the same bytes on stdout, exit with the same status and commit
# the update at the same place (or neither commits). Both run with
# MALLOC_PERTURB_ and without tcache (whose fast path skips the
# perturbation), so that a program that reads memory it never wrote (new code
# reading a field malloc left uninitialised) reads the same bytes in both.
# A mismatch names the program, K and the first differing line. The total
# count of (program, K) pairs is printed at the end.
source "$(dirname "$0")/lib.sh"
SCENARIOS=${DSU_SCENARIOS_DIR:-$E2E_DIR/../../../shared/scenarios}
PAIRS=0
RETRIES=0


# where FILE WORD : the place of the commit the run reports on stderr
where() { sed -n "s/^dsu: $2: updated at update point [0-9]* (\(.*\))$/\1/p" "$1"; }

# differential NAME OLD NEW INPUT [TRANSFORMERS.c] : compares every K
differential() {
  local name=$1 old=$2 new=$3 input=$4 xf=${5:-}
  local d="$WORK/diff-$name" xargs=()
  mkdir -p "$d"
  [ -n "$xf" ] && xargs=(--transformers "$xf")
  xargs+=(${ALLOW:-})
  "$DSU" patch "$old" "$new" -o "$d/patch" "${xargs[@]}" > "$d/patch.log" 2>&1 ||
    { cat "$d/patch.log"; fail "$name: dsu patch"; return; }
  "$DSU" merge "$old" "$new" "${xargs[@]}" --exe "$d/merged" -o "$d/merged.bc" \
    > "$d/merge.log" 2>&1 || { cat "$d/merge.log"; fail "$name: dsu merge"; return; }
  DSU_DISABLE=1 DSU_TEST_COUNT_FILE="$d/count" "$old" < "$input" > /dev/null 2>&1
  local n
  n=$(cat "$d/count" 2>/dev/null || echo 0)
  [ "$n" -gt 0 ] || { fail "$name: the old build reached no update point"; return; }
  local bad=0 updated=0 k
  for k in $(seq 0 "$n"); do
    PAIRS=$((PAIRS + 1))
    local renv=()
    [ "$k" -gt 0 ] && renv=(DSU_TEST_UPDATE_AT="$k" DSU_TEST_PATCH="$d/patch")
    env DSU_DISABLE=1 MALLOC_PERTURB_=165 GLIBC_TUNABLES=glibc.malloc.tcache_count=0 "${renv[@]}" timeout 20 "$old" < "$input" > "$d/real.out" 2> "$d/real.err"
    local rrc=$?
    MALLOC_PERTURB_=165 GLIBC_TUNABLES=glibc.malloc.tcache_count=0 DSU_MERGE_UPDATE_AT=$k timeout 20 "$d/merged" < "$input" > "$d/merged.out" 2> "$d/merged.err"
    local mrc=$?
    local rw mw
    rw=$(where "$d/real.err" test)
    mw=$(where "$d/merged.err" merge)
    [ -n "$mw" ] && updated=$((updated + 1))
    compare_runs "$name K=$k" "$d" "$rrc" "$mrc" "$rw" "$mw" update ||
      { bad=1; break; }
  done
  CHECKS=$((CHECKS + 1))
  [ $bad -eq 0 ] && pass "$name: real and merged agree for K = 0..$n ($updated runs updated)"
  # Where the update is never safe, neither side may update; elsewhere a
  # test where the update never happens would compare nothing new.
  if [ $bad -eq 0 ] && [ "$updated" -eq 0 ] && [ -z "${NEVER_SAFE:-}" ]; then
    fail "$name: the merged program never updated"
  elif [ $bad -eq 0 ] && [ "$updated" -gt 0 ] && [ -n "${NEVER_SAFE:-}" ]; then
    fail "$name: the merged program updated where the update is never safe"
  fi
  LAST_DIR=$d
}

# The shared scenarios: input is the session without its @ lines.
for s in fnptr-in-data globals signature-change static-names varargs qsort-callback \
         struct-grow nested-array; do
  dir="$SCENARIOS/$s"
  [ -d "$dir" ] || { fail "scenario $s not found in $SCENARIOS"; continue; }
  mkdir -p "$WORK/sc-$s/v1" "$WORK/sc-$s/v2"
  (cd "$WORK/sc-$s/v1" && "$DSU_CC" -O2 -o prog "$dir"/v1/*.c) > "$WORK/sc-$s.build" 2>&1 &&
    (cd "$WORK/sc-$s/v2" && "$DSU_CC" -O2 -o prog "$dir"/v2/*.c) >> "$WORK/sc-$s.build" 2>&1 ||
    { cat "$WORK/sc-$s.build"; fail "scenario $s: dsu-cc"; continue; }
  grep -v '^@' "$dir/session" > "$WORK/sc-$s.in"
  differential "scenario-$s" "$WORK/sc-$s/v1/prog" "$WORK/sc-$s/v2/prog" "$WORK/sc-$s.in"
done

# Programs of tests/e2e that read stdin.
P="$E2E_DIR/programs"
printf '3\n1\n4\n1\n5\nquit\n' > "$WORK/numbers.in"
printf 'add 1 2\nmul 3 4\nold 5 6\nadd 7 8\nmul 2 2\nnone 1 1\n' > "$WORK/dispatch.in"
printf 'get listen_port\nset max_clients 5\nget max_clients\nget listen_port\nset listen_port 9\nget listen_port\n' > "$WORK/config.in"
printf 'a\np\na\na\np\na\np\n' > "$WORK/externconst.in"
printf 'x\nx\nx\nn\nr\nr\n' > "$WORK/phases.in"
printf 'b\ns\nf\ns\nb\ns\nf\ns\n' > "$WORK/state.in"
printf 'b\na\nb\na\nb\na\n' > "$WORK/afteruse.in"
printf 'c 3\nr 3 10\nc 4\np\nr 4 7\nr 3 1\np\n' > "$WORK/retag.in"
printf 'add 5\np\nadd 7\npeak\nadd 30\np\nadd 4\npeak\np\n' > "$WORK/loopmigrate.in"
# Globals whose running bytes decide at the update (programs/inits): each
# untouched before some K and touched after it.
printf 'get retries\nget idle\nmotd\nset timeout 45\nrename retries tries\nget tries\nmotd 1 edited\nmotd\nget idle\nset tries 9\nget tries\n' > "$WORK/inits.in"
for p in onstack:numbers loop:numbers timing:numbers hits:numbers inlined:numbers \
         chain:numbers dispatch:dispatch config:config externconst:externconst \
         phases:phases state:state afteruse:afteruse retag:retag anon:numbers \
         contexts:numbers inits:inits loopmigrate:loopmigrate; do
  name=${p%%:*}
  build "$name-1" "$P/$name/v1"/*.c
  build "$name-2" "$P/$name/v2"/*.c
  differential "$name" "$WORK/$name-1" "$WORK/$name-2" "$WORK/${p##*:}.in"
done
build rename-1 "$P/rename/v1/main.c"
build rename-2 "$P/rename/v2/main.c"
# programs/framestate: the loop's frame changes (a partial update, allowed
# by --allow-partial), and main holds the changed struct across every update
# point, so the update is never safe: neither side may update.
build framestate-1 "$P/framestate/v1/main.c"
build framestate-2 "$P/framestate/v2/main.c"
ALLOW=--allow-partial NEVER_SAFE=1 differential framestate "$WORK/framestate-1" "$WORK/framestate-2" "$WORK/numbers.in"
# programs/active: main holds a pointer to the changed struct across every
# update point, so the update is never safe: neither side may update.
build active-1 "$P/active/v1/main.c"
build active-2 "$P/active/v2/main.c"
NEVER_SAFE=1 differential active "$WORK/active-1" "$WORK/active-2" "$WORK/numbers.in"

# A state transformer of the user's (programs/timing: the total moves to a
# new global), and a deliberately wrong one: both sides must show the same
# wrong total.
OLD=$("$DSU" diff --json "$WORK/timing-1" "$WORK/timing-2" | python3 -c "import json,sys; print([g['old_symbol'] for g in json.load(sys.stdin)['globals'] if g['name']=='total'][0])")
NEW=$("$DSU" diff --json "$WORK/timing-1" "$WORK/timing-2" | python3 -c "import json,sys; print([g['new_symbol'] for g in json.load(sys.stdin)['globals'] if g['name']=='grand_total'][0])")
for variant in right:0 wrong:1000; do
  cat > "$WORK/migrate-${variant%%:*}.c" <<C
#include <dsu/patch_format.h>
extern int old_total __asm__("$OLD");
extern long new_total __asm__("$NEW");
static int migrate(void) { new_total = old_total + ${variant##*:}; return 0; }
const struct dsu_global_xform __dsu_global_xforms[] = {{"state", 0, 0, migrate}, {0, 0, 0, 0}};
C
  differential "timing-${variant%%:*}-transformer" "$WORK/timing-1" "$WORK/timing-2" \
    "$WORK/numbers.in" "$WORK/migrate-${variant%%:*}.c"
done
# The wrong transformer shows: updated at K=2, after "3", the total becomes
# 1003, then 1004.
DSU_MERGE_UPDATE_AT=2 "$WORK/diff-timing-wrong-transformer/merged" < "$WORK/numbers.in" > "$WORK/wrong.out" 2>/dev/null
check "the wrong transformer's total shows in the merged program" contains "$WORK/wrong.out" "total 1004"

# The key-value server (examples/kvserver), driven by its scripted client:
# for each version pair, the old version's session against the real server
# updated at its K-th update-point visit and against the merged server
# (kvsession.sh: the client, and a shim that numbers the server's visits by
# the client's requests alone).
source "$E2E_DIR/kvsession.sh"
for v in v1 v2 v3 v4; do
  make -s -C "$EX" VERSION=$v CC="$DSU_CC" BUILD="$WORK/kv" > "$WORK/kv-$v.log" 2>&1 ||
    { cat "$WORK/kv-$v.log"; fail "make kvserver $v"; }
done
for pair in v1:v2 v3:v4; do
  a=${pair%%:*} b=${pair##*:} d="$WORK/diff-kv-$a$b"
  mkdir -p "$d"
  SESSION="$d/session"
  # Without the session's over-long line: the server reads it in as many
  # wakeups as the bytes happen to arrive in, which would number the later
  # visits differently from run to run.
  grep -v '^#' "$EX/sessions/$a.in" | awk 'length($0) < 512' > "$SESSION"
  "$DSU" patch "$WORK/kv/$a/kvserver" "$WORK/kv/$b/kvserver" -o "$d/patch" > "$d/patch.log" 2>&1 ||
    { cat "$d/patch.log"; fail "kvserver $a -> $b: dsu patch"; continue; }
  "$DSU" merge "$WORK/kv/$a/kvserver" "$WORK/kv/$b/kvserver" --exe "$d/merged" > "$d/merge.log" 2>&1 ||
    { cat "$d/merge.log"; fail "kvserver $a -> $b: dsu merge"; continue; }
  kv_session "$WORK/kv/$a/kvserver" "$d/count.out" DSU_DISABLE=1 DSU_TEST_COUNT_FILE="$d/count"
  n=$(cat "$d/count" 2>/dev/null || echo 0)
  # The last visit, after the session's QUIT, happens or not depending on
  # when the server's own close and the stop signal meet: it is left out.
  n=$((n - 1))
  bad=0 updated=0
  for k in $(seq 0 "$n"); do
    PAIRS=$((PAIRS + 1))
    renv=(DSU_DISABLE=1)
    [ "$k" -gt 0 ] && renv+=(DSU_TEST_UPDATE_AT="$k" DSU_TEST_PATCH="$d/patch")
    # The server's wakeups (and so the numbering of its update-point visits)
    # depend on when the client's bytes and the final signal arrive: a K
    # whose runs disagree is run again, up to three times in all; a real
    # difference between the two shows every time.
    for attempt in 1 2 3; do
      kv_session "$WORK/kv/$a/kvserver" "$d/real.out" "${renv[@]}"
      kv_session "$d/merged" "$d/merged.out" DSU_MERGE_UPDATE_AT="$k"
      rw=$(where "$d/real.out.err" test) mw=$(where "$d/merged.out.err" merge)
      cmp -s "$d/real.out" "$d/merged.out" && [ "$rw" = "$mw" ] && break
      RETRIES=$((RETRIES + 1))
    done
    [ -n "$mw" ] && updated=$((updated + 1))
    if ! cmp -s "$d/real.out" "$d/merged.out"; then
      fail "kvserver $a -> $b K=$k: replies differ, $(first_difference "$d/real.out" "$d/merged.out")"
      bad=1; break
    elif [ "$rw" != "$mw" ]; then
      fail "kvserver $a -> $b K=$k: the update committed at '${rw:-nowhere}' (real), '${mw:-nowhere}' (merged)"
      bad=1; break
    fi
  done
  CHECKS=$((CHECKS + 1))
  if [ "$n" -gt 0 ] && [ $bad -eq 0 ] && [ "$updated" -gt 0 ]; then
    pass "kvserver $a -> $b: real and merged agree for K = 0..$n ($updated runs updated)"
  elif [ $bad -eq 0 ]; then
    fail "kvserver $a -> $b: $n update-point visits, $updated runs updated"
  fi
done

# The safety rules as checks: forced at afteruse's unsafe point (the first
# visit, in before(), with a field access of struct item still ahead), the
# update leaves old code touching the transformed type, and the merged
# program stops there naming the function and the type. Unforced, it defers
# the update to the next safe point, as the real runtime does.
A="$WORK/diff-afteruse/merged"
DSU_MERGE_FORCE=1 DSU_MERGE_UPDATE_AT=1 "$A" < "$WORK/afteruse.in" > "$WORK/forced.out" 2> "$WORK/forced.err"
check "old code using a changed type after a forced update stops the run" test $? -eq 95
check "... naming the point, the function and the type" grep -q \
  "^dsu: merge: error: after the update at main.c:[0-9]*, old code of function 'before' uses struct item, which the update changed" \
  "$WORK/forced.err"
DSU_MERGE_UPDATE_AT=1 "$A" < "$WORK/afteruse.in" > /dev/null 2> "$WORK/unforced.err"
check "unforced, the update waits for the safe point" grep -q "updated at update point 1 (main.c:[0-9]*)" "$WORK/unforced.err"
check "... which is not before()'s" not_contains "$WORK/unforced.err" "error"

# What the merge does not model stops the run saying so, never diverges
# silently: objects from an allocator the program frees itself (the runtime
# rewrites them in place).
build wrapped-1 -fdsu-allocator=zmalloc:zfree "$P/wrapped/v1/main.c"
build wrapped-2 -fdsu-allocator=zmalloc:zfree "$P/wrapped/v2/main.c"
"$DSU" merge "$WORK/wrapped-1" "$WORK/wrapped-2" --exe "$WORK/wrapped-m" > "$WORK/wrapped-m.log" 2>&1
check "the merge of a program with its own allocator builds" test $? -eq 0
printf 'o 4\no 5\np\np\n' > "$WORK/wrapped.in"
DSU_MERGE_UPDATE_AT=3 "$WORK/wrapped-m" < "$WORK/wrapped.in" > /dev/null 2> "$WORK/wrapped-m.err"
check "its objects stop the merged program at the update (status 96)" test $? -eq 96
check "... saying what is not modelled" grep -qx \
  "dsu: merge: not modelled: a heap object of struct client#[0-9a-f]* from an allocator the program frees itself (transformed in place by the runtime)" \
  "$WORK/wrapped-m.err"
DSU_DISABLE=1 "$WORK/wrapped-1" < "$WORK/wrapped.in" > "$WORK/wrapped-r.out" 2>/dev/null
DSU_MERGE_UPDATE_AT=0 "$WORK/wrapped-m" < "$WORK/wrapped.in" > "$WORK/wrapped-m.out" 2>/dev/null
check "... and runs like the old program without the update" cmp -s "$WORK/wrapped-r.out" "$WORK/wrapped-m.out"

# The other object the model leaves out: one with data after it
# (programs/trailing: a message with its text), which the runtime moves with
# its data. The merged program stops at the update with the exact reason;
# under dsu symex the same hook (__dsu_merge_unmodelled) makes the path
# unknown, never a pass.
build trailing-1 "$P/trailing/v1/main.c"
build trailing-2 "$P/trailing/v2/main.c"
"$DSU" merge "$WORK/trailing-1" "$WORK/trailing-2" --exe "$WORK/trailing-m" > "$WORK/trailing-m.log" 2>&1
check "the merge of a program with objects with data after them builds" test $? -eq 0
printf 'hello\nworld\np\np\n' > "$WORK/trailing.in"
DSU_MERGE_UPDATE_AT=2 "$WORK/trailing-m" < "$WORK/trailing.in" > /dev/null 2> "$WORK/trailing-m.err"
check "such an object stops the merged program at the update (status 96)" test $? -eq 96
check "... with the exact diagnostic, and nothing else" test "$(grep -cvx \
  'dsu: merge: not modelled: a heap object of struct msg#[0-9a-f]* with data after it (moved with its data by the runtime)' \
  "$WORK/trailing-m.err")" -eq 0 -a -s "$WORK/trailing-m.err"

# Threads: the runtime updates a multi-threaded process only when every
# other thread is quiescent; the merged program models one thread, so a
# program that creates another stops where it would (status 96), before the
# thread runs, naming the cause.
build threads-1 "$P/threads/v1/main.c" -lpthread
build threads-2 "$P/threads/v2/main.c" -lpthread
"$DSU" merge "$WORK/threads-1" "$WORK/threads-2" --exe "$WORK/threads-m" > "$WORK/threads-m.log" 2>&1
check "the merge of a multi-threaded program builds" test $? -eq 0
printf '3\n4\n' | DSU_MERGE_UPDATE_AT=0 "$WORK/threads-m" > "$WORK/threads-m.out" 2> "$WORK/threads-m.err"
check "it stops where it creates a thread (status 96)" test $? -eq 96
check "... naming the cause" grep -qx \
  "dsu: merge: not modelled: the program creates a thread (pthread_create): the merged program models single-threaded programs only (the runtime makes other threads quiescent before an update)" \
  "$WORK/threads-m.err"
check "... before any worker ran" test ! -s "$WORK/threads-m.out"

# --explain: stable, sorted; each old function and global, each update point.
X="$WORK/sc-globals"
"$DSU" merge "$X/v1/prog" "$X/v2/prog" --explain > "$WORK/explain1" 2>&1
check "--explain succeeds" test $? -eq 0
"$DSU" merge "$X/v1/prog" "$X/v2/prog" --explain -o "$WORK/g.ll" > "$WORK/explain2" 2>&1
check "--explain says the same when it merges" cmp -s "$WORK/explain1" "$WORK/explain2"
check "--explain: a changed function" grep -q "^function handle (static in main.c): changed: slot __dsu_slot.handle\." "$WORK/explain1"
check "--explain: a kept global" contains "$WORK/explain1" "global limit (static in main.c): shared (running value kept; its initialiser changed: the new one if the running bytes are still the old one at the update)"
check "--explain: an added global" grep -q "^global bonus: added: bonus\." "$WORK/explain1"
check "--explain: the update point" grep -qx "point 0 main.c:38: update allowed" "$WORK/explain1"
check "-o NAME.ll writes LLVM text" grep -q "define .*@dsu_merge_choose" "$WORK/g.ll"
X="$WORK/phases"
"$DSU" merge "$WORK/phases-1" "$WORK/phases-2" --explain > "$WORK/explain3" 2>&1
check "--explain: an unsafe point" grep -q "^point 0 main.c:[0-9]*: update not allowed, deferred to a later point: " "$WORK/explain3"
check "--explain: a safe point" grep -q "^point 1 main.c:[0-9]*: update allowed$" "$WORK/explain3"

# Bad input: a clear error naming the problem, exit status 3.
bad_merge() { # bad_merge DESCRIPTION EXPECTED-TEXT ARGS...
  local what=$1 want=$2; shift 2
  "$DSU" merge "$@" > "$WORK/bad.out" 2>&1
  local rc=$?
  CHECKS=$((CHECKS + 1))
  if [ $rc -eq 3 ] && grep -qF -- "$want" "$WORK/bad.out"; then pass "$what"
  else cat "$WORK/bad.out"; fail "$what (exit $rc)"; fi
}
printf 'int main(void) { return 0; }\n' > "$WORK/plain.c"
"$DSU_CLANG" -o "$WORK/plain" "$WORK/plain.c"
bad_merge "a program not built with dsu-cc" "plain: not built with dsu-cc" \
  "$WORK/plain" "$WORK/timing-2" -o "$WORK/x.bc"
bad_merge "a missing build" "nothere: no such file" \
  "$WORK/nothere" "$WORK/timing-2" -o "$WORK/x.bc"
bad_merge "builds of two different programs" "look like builds of two different programs" \
  "$WORK/dispatch-1" "$WORK/config-2" -o "$WORK/x.bc"
bad_merge "a patch for another base version" "the patch is for base version" \
  "$WORK/hits-1" "$WORK/hits-2" --patch "$WORK/diff-timing/patch" -o "$WORK/x.bc"
"$DSU" patch "$WORK/timing-2" "$WORK/timing-1" -o "$WORK/back.patch" > /dev/null 2>&1
bad_merge "a patch for the other direction" "the patch is for base version" \
  "$WORK/timing-1" "$WORK/timing-2" --patch "$WORK/back.patch" -o "$WORK/x.bc"
printf 'int broken(void) { return undeclared; }\n' > "$WORK/broken.c"
bad_merge "transformers that do not compile" "the transformers file $WORK/broken.c does not compile" \
  "$WORK/timing-1" "$WORK/timing-2" --transformers "$WORK/broken.c" -o "$WORK/x.bc"
bad_merge "... with clang's diagnostic" "undeclared" \
  "$WORK/timing-1" "$WORK/timing-2" --transformers "$WORK/broken.c" -o "$WORK/x.bc"
bad_merge "a patch dsu patch refuses (code the transformers need)" "need code of yours" \
  "$WORK/rename-1" "$WORK/rename-2" -o "$WORK/x.bc"
# The right patch is accepted.
"$DSU" merge "$WORK/timing-1" "$WORK/timing-2" --patch "$WORK/diff-timing/patch" -o "$WORK/x.bc" > "$WORK/ok.out" 2>&1
check "the patch for this pair is accepted" test $? -eq 0

echo "$PAIRS (program, K) pairs compared ($RETRIES runs of the server repeated)"
check "some pairs were compared" test "$PAIRS" -gt 0
finish
