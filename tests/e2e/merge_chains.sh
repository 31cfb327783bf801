#!/usr/bin/env bash
# dsu merge of a chain of two updates (v1 -> v2 -> v3), checked against the
# real runtime (differential testing, as merge.sh does for one update).
#
# For each chain and every pair of update-point visits K1 < K2 (and K1
# alone, and no update):
#   real:   the v1 build, updated by libdsu to v2 at its K1-th visit and to v3
#           at its K2-th (the synchronous test mode of `dsu test`:
#           DSU_TEST_UPDATE_AT=K1,K2 with DSU_TEST_PATCH and DSU_TEST_PATCH2)
#   merged: `dsu merge v1 v2 v3` run natively with DSU_MERGE_UPDATE_AT=K1,K2
# must print the same bytes on stdout, exit with the same status and commit
# the same updates at the same places. The total count of (program, K1, K2)
# cases is printed at the end.
source "$(dirname "$0")/lib.sh"
CASES=0
RETRIES=0

# commits FILE WORD : "K (FILE:LINE)" of each commit the run reports
commits() { sed -n "s/^dsu: $2: updated at update point \([0-9]* (.*)\)$/\1/p" "$1" | tr '\n' ';'; }


# chain NAME V1 V2 V3 INPUT [MERGE-ARGS...] : compares every (K1, K2)
chain() {
  local name=$1 v1=$2 v2=$3 v3=$4 input=$5
  shift 5
  local d="$WORK/chain-$name"
  mkdir -p "$d"
  "$DSU" patch "$v1" "$v2" -o "$d/p12" > "$d/p12.log" 2>&1 ||
    { cat "$d/p12.log"; fail "$name: dsu patch v1 v2"; return; }
  local xf2=()
  [ -n "${XF2:-}" ] && xf2=(--transformers "$XF2")
  "$DSU" patch "$v2" "$v3" -o "$d/p23" "${xf2[@]}" > "$d/p23.log" 2>&1 ||
    { cat "$d/p23.log"; fail "$name: dsu patch v2 v3"; return; }
  [ -n "${XF2:-}" ] && xf2=(--transformers2 "$XF2")
  "$DSU" merge "$v1" "$v2" "$v3" "${xf2[@]}" "$@" --exe "$d/merged" > "$d/merge.log" 2>&1 ||
    { cat "$d/merge.log"; fail "$name: dsu merge v1 v2 v3"; return; }
  DSU_DISABLE=1 DSU_TEST_COUNT_FILE="$d/count" "$v1" < "$input" > /dev/null 2>&1
  local n
  n=$(cat "$d/count" 2>/dev/null || echo 0)
  [ "$n" -gt 1 ] || { fail "$name: the v1 build reached $n update points"; return; }
  local bad=0 once=0 twice=0 at cases=("0")
  for k1 in $(seq 1 "$n"); do
    cases+=("$k1")
    for k2 in $(seq $((k1 + 1)) "$n"); do cases+=("$k1,$k2"); done
  done
  for at in "${cases[@]}"; do
    CASES=$((CASES + 1))
    local renv=()
    [ "$at" != 0 ] && renv=(DSU_TEST_UPDATE_AT="$at" DSU_TEST_PATCH="$d/p12" DSU_TEST_PATCH2="$d/p23")
    env DSU_DISABLE=1 MALLOC_PERTURB_=165 GLIBC_TUNABLES=glibc.malloc.tcache_count=0 "${renv[@]}" timeout 20 "$v1" < "$input" > "$d/real.out" 2> "$d/real.err"
    local rrc=$?
    MALLOC_PERTURB_=165 GLIBC_TUNABLES=glibc.malloc.tcache_count=0 DSU_MERGE_UPDATE_AT=$at timeout 20 "$d/merged" < "$input" > "$d/merged.out" 2> "$d/merged.err"
    local mrc=$?
    local rw mw
    rw=$(commits "$d/real.err" test)
    mw=$(commits "$d/merged.err" merge)
    case "$mw" in *\;*\;*) twice=$((twice + 1)) ;; *\;*) once=$((once + 1)) ;; esac
    compare_runs "$name K=$at" "$d" "$rrc" "$mrc" "$rw" "$mw" updates ||
      { bad=1; break; }
  done
  CHECKS=$((CHECKS + 1))
  [ $bad -eq 0 ] && pass "$name: real and merged agree for ${#cases[@]} timings over $n visits ($once runs updated once, $twice twice)"
  if [ $bad -eq 0 ] && [ "$once" -eq 0 ]; then
    fail "$name: the merged program never updated"
  elif [ $bad -eq 0 ] && [ "$twice" -eq 0 ] && [ -z "${NEVER_BOTH:-}" ]; then
    fail "$name: the merged program never made both updates"
  elif [ $bad -eq 0 ] && [ "$twice" -gt 0 ] && [ -n "${NEVER_BOTH:-}" ]; then
    fail "$name: the merged program made the second update where it is never safe"
  fi
}

P="$E2E_DIR/programs"
printf '3\n1\n4\n1\n5\nquit\n' > "$WORK/numbers.in"
printf 'a 1\na 2\np\na 3\np\na 4\np\n' > "$WORK/items.in"

# Heap objects of a type both updates change, and a global whose type the
# first one changes.
for v in 1 2 3; do build "chainheap-$v" "$P/chainheap/v$v/main.c"; done
chain chainheap "$WORK/chainheap-1" "$WORK/chainheap-2" "$WORK/chainheap-3" "$WORK/items.in"

# Code only: each release changes one function.
for v in 1 2 3; do build "harden-$v" "$P/harden/v$v/main.c"; done
chain harden "$WORK/harden-1" "$WORK/harden-2" "$WORK/harden-3" "$WORK/numbers.in"

# programs/chain: v1 -> v2 leaves v1's main running, and it reads the
# statistics v2 -> v3 changes, so once the first update is made the second is
# never safe (the runtime checks the frames the first patch left running):
# neither side may make it.
for v in 1 2 3; do build "chain-$v" "$P/chain/v$v/main.c"; done
NEVER_BOTH=1 chain chain "$WORK/chain-1" "$WORK/chain-2" "$WORK/chain-3" "$WORK/numbers.in"

# The key-value server's chains v1 -> v2 -> v3 (code, and the commands[]
# table whose array type changes) and v2 -> v3 -> v4 (the second update
# transforms every stored struct entry and the stats global), driven by the
# first version's scripted session (kvsession.sh, as merge.sh drives single
# updates). Every pair of its 30-odd visits would be some 500 sessions: the
# timings are sampled, every 4th visit for K1 alone and for K1 with K2 at
# K1+1 (both updates at neighbouring visits), K1+5 and the last visit.
source "$E2E_DIR/kvsession.sh"
for v in v1 v2 v3 v4; do
  make -s -C "$EX" VERSION=$v CC="$DSU_CC" BUILD="$WORK/kv" > "$WORK/kv-$v.log" 2>&1 ||
    { cat "$WORK/kv-$v.log"; fail "make kvserver $v"; }
done
for kvchain in v1:v2:v3 v2:v3:v4; do
  IFS=: read -r x y z <<< "$kvchain"
  d="$WORK/chain-kv-$x$y$z"
  mkdir -p "$d"
  SESSION="$d/session"
  # Without the over-long line, read in as many wakeups as its bytes arrive
  # in (merge.sh says why).
  grep -v '^#' "$EX/sessions/$x.in" | awk 'length($0) < 512' > "$SESSION"
  a="$WORK/kv/$x/kvserver" b="$WORK/kv/$y/kvserver" c="$WORK/kv/$z/kvserver"
  "$DSU" patch "$a" "$b" -o "$d/p12" > "$d/p12.log" 2>&1 &&
    "$DSU" patch "$b" "$c" -o "$d/p23" > "$d/p23.log" 2>&1 &&
    "$DSU" merge "$a" "$b" "$c" --exe "$d/merged" > "$d/merge.log" 2>&1 ||
    { cat "$d"/*.log; fail "kvserver $kvchain: dsu patch or merge"; continue; }
  kv_session "$a" "$d/count.out" DSU_DISABLE=1 DSU_TEST_COUNT_FILE="$d/count"
  n=$(cat "$d/count" 2>/dev/null || echo 0)
  n=$((n - 1)) # the last visit, after QUIT, is left out (merge.sh says why)
  cases=("0")
  for k1 in $(seq 1 4 "$n"); do
    cases+=("$k1")
    for k2 in $((k1 + 1)) $((k1 + 5)) "$n"; do
      [ "$k2" -le "$n" ] && [ "$k2" -gt "$k1" ] && cases+=("$k1,$k2")
    done
  done
  bad=0 once=0 twice=0
  for at in $(printf '%s\n' "${cases[@]}" | awk '!seen[$0]++'); do
    CASES=$((CASES + 1))
    renv=(DSU_DISABLE=1)
    [ "$at" != 0 ] && renv+=(DSU_TEST_UPDATE_AT="$at" DSU_TEST_PATCH="$d/p12" DSU_TEST_PATCH2="$d/p23")
    # A timing whose runs disagree is run again, up to three times in all
    # (the server's wakeups depend on when the bytes arrive; merge.sh).
    for attempt in 1 2 3; do
      kv_session "$a" "$d/real.out" "${renv[@]}"
      kv_session "$d/merged" "$d/merged.out" DSU_MERGE_UPDATE_AT="$at"
      rw=$(commits "$d/real.out.err" test) mw=$(commits "$d/merged.out.err" merge)
      cmp -s "$d/real.out" "$d/merged.out" && [ "$rw" = "$mw" ] && break
      RETRIES=$((RETRIES + 1))
    done
    case "$mw" in *\;*\;*) twice=$((twice + 1)) ;; *\;*) once=$((once + 1)) ;; esac
    if ! cmp -s "$d/real.out" "$d/merged.out"; then
      fail "kvserver $kvchain K=$at: replies differ, $(first_difference "$d/real.out" "$d/merged.out")"
      bad=1; break
    elif [ "$rw" != "$mw" ]; then
      fail "kvserver $kvchain K=$at: the updates committed at '${rw:-nowhere}' (real), '${mw:-nowhere}' (merged)"
      bad=1; break
    fi
  done
  CHECKS=$((CHECKS + 1))
  if [ $bad -eq 0 ] && [ "$twice" -gt 0 ]; then
    pass "kvserver ${kvchain//:/ -> }: real and merged agree for ${#cases[@]} timings over $n visits ($once runs updated once, $twice twice)"
  elif [ $bad -eq 0 ]; then
    fail "kvserver ${kvchain//:/ -> }: $n visits, $once runs updated once, $twice twice"
  fi
done

# A transformer of the user's for the second update (--transformers2, as
# `dsu patch --transformers` takes it for the real side), deliberately
# wrong: each item's print count starts at 100 plus its key instead of 0.
# Both sides must show the same wrong counts. Updated at the first visit
# and the second: item 1 came from v1 (weight 0, filled by the first
# update), item 2 from v2 (weight 20); both get the wrong count.
H="$WORK/chain-chainheap"
"$DSU" patch "$WORK/chainheap-2" "$WORK/chainheap-3" -o "$WORK/p23-emit" \
  --emit-transformers "$WORK/wrong2.c" > /dev/null 2>&1
sed -i 's|/\* printed: new, zero \*/|n->printed = 100 + o->key;|' "$WORK/wrong2.c"
check "the second update's transformer was edited" contains "$WORK/wrong2.c" "n->printed = 100 + o->key;"
XF2="$WORK/wrong2.c" chain chainheap-wrong2 "$WORK/chainheap-1" "$WORK/chainheap-2" "$WORK/chainheap-3" "$WORK/items.in"
DSU_MERGE_UPDATE_AT=1,2 "$WORK/chain-chainheap-wrong2/merged" < "$WORK/items.in" > "$WORK/wrong2.out" 2>/dev/null
check "the wrong transformer's counts show in the merged chain" \
  contains "$WORK/wrong2.out" "v3 2 items: 2:20/103 1:0/102"

# --explain of a chain: the first update's explanation, then the second's.
"$DSU" merge "$WORK/chainheap-1" "$WORK/chainheap-2" "$WORK/chainheap-3" --explain > "$WORK/explain" 2>&1
check "--explain of a chain succeeds" test $? -eq 0
check "... and explains both updates" test "$(grep -c '^merge [0-9a-f]* -> [0-9a-f]*$' "$WORK/explain")" -eq 2
check "... the second changing struct item again" grep -q "^function print (static in main.c): changed" "$WORK/explain"

# Bad input: a clear error naming the problem, exit status 3.
bad_merge() { # bad_merge DESCRIPTION EXPECTED-TEXT ARGS...
  local what=$1 want=$2; shift 2
  "$DSU" merge "$@" > "$WORK/bad.out" 2>&1
  local rc=$?
  CHECKS=$((CHECKS + 1))
  if [ $rc -eq 3 ] && grep -qF -- "$want" "$WORK/bad.out"; then pass "$what"
  else cat "$WORK/bad.out"; fail "$what (exit $rc)"; fi
}
bad_merge "a chain whose third build is another program" "look like builds of two different programs" \
  "$WORK/chainheap-1" "$WORK/chainheap-2" "$WORK/harden-3" -o "$WORK/x.bc"
bad_merge "a second patch for another pair" "the patch is for base version" \
  "$WORK/chainheap-1" "$WORK/chainheap-2" "$WORK/chainheap-3" --patch2 "$H/p12" -o "$WORK/x.bc"
"$DSU" merge "$WORK/chainheap-1" "$WORK/chainheap-2" "$WORK/chainheap-3" --patch "$H/p12" --patch2 "$H/p23" -o "$WORK/x.bc" > "$WORK/ok.out" 2>&1
check "the chain's own two patches are accepted" test $? -eq 0
"$DSU" merge "$WORK/chainheap-1" "$WORK/chainheap-2" --patch2 "$H/p23" -o "$WORK/x.bc" > "$WORK/usage.out" 2>&1
check "--patch2 without a third build is a usage error" test $? -eq 1

echo "$CASES (program, K1, K2) cases compared ($RETRIES runs of the server repeated)"
check "some cases were compared" test "$CASES" -gt 0
finish
