#!/usr/bin/env bash
# dsu verify on programs whose answer is known (ctest verify.ENTRY, one
# entry per run so that each stays short; `verify.sh all` runs
# them all). Each entry builds its old and new versions with dsu-cc, runs
# dsu verify with a form and an input model, and requires the verdict (and
# its exit status); every counterexample must be reproduced by `dsu replay`
# on the real old build with the real patch applied by the runtime (a
# spec's counterexample with the spec run natively: the same assertion
# fails). `spec-run` runs specs natively on chosen sessions (dsu spec-run).
#
# Programs: tests/verify/programs (counter: a struct widened, with a good,
# a field-dropping and a mis-converting transformer; swap: a struct whose
# fields swap, with an update point where old code still uses it;
# crashfix: v1's report command dies, v2 fixes it, a transformer
# mis-converts what only that command shows), the
# stdin programs of tests/e2e/programs (timing: a global renamed and
# widened, with a right and a wrong user transformer and with its state
# dropped; active: never safe), the shared scenarios (globals,
# static-names), and servers through --tcp-lines' socket model (tcpcount: a
# blocking line server; the key-value example, examples/kvserver,
# unmodified), and real redis 2.0.3 and 2.0.4 request code behind standard
# input (redis/redis_stdin.c; the seed paper's experiment, minutes rather
# than seconds).
source "$(dirname "$0")/../e2e/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
P="$HERE/programs"
EP="$HERE/../e2e/programs"
SCENARIOS=${DSU_SCENARIOS_DIR:-$HERE/../../../shared/scenarios}

# pair NAME DIR [DSU-CC FLAGS] : builds $WORK/NAME-1 and $WORK/NAME-2 from
# DIR/v1 and DIR/v2
pair() {
  local name=$1 dir=$2
  [ -d "$dir" ] || { fail "$dir not found"; finish; }
  build "$name-1" "$dir"/v1/*.c
  build "$name-2" "$dir"/v2/*.c
}

# expect NAME VERDICT ARGS... : runs dsu verify $WORK/NAME-1 $WORK/NAME-2
# ARGS and requires the verdict; a counterexample must replay.
expect() {
  local name=$1 want=$2; shift 2
  local out="$WORK/$name.$CHECKS.out" case="$WORK/$name.$CHECKS.case"
  local start=$SECONDS
  "$DSU" verify "$WORK/$name-1" "$WORK/$name-2" --quiet --case "$case" "$@" > "$out" 2> "$out.err"
  local rc=$?
  local got
  got=$(tail -n 1 "$out")
  CHECKS=$((CHECKS + 1))
  local code
  case "$want" in
    holds) code=0 ;;
    counterexample) code=1 ;;
    unknown*) code=2 ;;
  esac
  if [ "$rc" != "$code" ] || [[ "$got" != "verdict: $want"* ]]; then
    cat "$out" "$out.err"
    fail "$name $*: expected '$want' (exit $code), got '$got' (exit $rc)"
    return
  fi
  if [ "$want" = holds ] && ! tail -n 2 "$out" | head -n 1 | grep -q '^bounds: '; then
    fail "$name: holds without its bounds on the line before"
    return
  fi
  pass "$name $*: $got ($((SECONDS - start)) s)"
  if [ "$want" = counterexample ]; then
    cat "$out"
    CHECKS=$((CHECKS + 1))
    if "$DSU" replay "$case" > "$out.replay" 2>&1; then
      pass "$name: dsu replay reproduces it: $(tail -n 1 "$out.replay")"
    else
      cat "$out.replay"
      fail "$name: dsu replay did not reproduce the counterexample"
    fi
  fi
}

# replayed_natively NAME : the replay of NAME's last counterexample, a
# spec's, ran the spec natively on the real process and saw the same
# assertion fail.
replayed_natively() {
  CHECKS=$((CHECKS + 1))
  if grep -q "^replay: the spec's assertion '.*' fails on the real process" "$WORK"/"$1".*.out.replay; then
    pass "$1: the spec, run natively on the real process, fails the same assertion"
  else
    cat "$WORK"/"$1".*.out.replay
    fail "$1: the replay did not run the spec natively to the same assertion"
  fi
}

# spec_run WANT-EXIT PATTERN ARGS... : dsu spec-run ARGS must exit WANT-EXIT
# with a line matching PATTERN (grep -E) on its stdout and stderr.
spec_run() {
  local want=$1 pattern=$2; shift 2
  local out="$WORK/spec-run.$CHECKS.out"
  CHECKS=$((CHECKS + 1))
  "$DSU" spec-run "$@" > "$out" 2>&1
  local rc=$?
  if [ "$rc" = "$want" ] && grep -qE -- "$pattern" "$out"; then
    pass "spec-run $*: exit $rc, $(grep -E -m1 -- "$pattern" "$out")"
  else
    cat "$out"
    fail "spec-run $*: expected exit $want and /$pattern/, got exit $rc"
  fi
}

# The generated transformers of counter, edited.
counter_transformers() {
  "$DSU" patch "$WORK/counter-1" "$WORK/counter-2" -o "$WORK/counter.patch" \
    --emit-transformers "$WORK/counter-xf.c" > "$WORK/counter.patch.log" 2>&1 ||
    { cat "$WORK/counter.patch.log"; fail "dsu patch counter"; finish; }
  sed '/n->misses = o->misses;/d' "$WORK/counter-xf.c" > "$WORK/counter-drop.c"
  sed 's/n->hits = (__typeof__(n->hits))o->hits;/n->hits = (__typeof__(n->hits))o->hits + 1;/' \
    "$WORK/counter-xf.c" > "$WORK/counter-off.c"
  grep -q 'o->misses' "$WORK/counter-drop.c" && fail "counter-drop.c still copies misses"
  grep -q 'o->hits + 1' "$WORK/counter-off.c" || fail "counter-off.c was not made"
}

# crashfix's generated transformers, and hits mis-converted (+1).
crashfix_transformers() {
  "$DSU" patch "$WORK/crashfix-1" "$WORK/crashfix-2" -o "$WORK/crashfix.patch" \
    --emit-transformers "$WORK/crashfix-xf.c" > "$WORK/crashfix.patch.log" 2>&1 ||
    { cat "$WORK/crashfix.patch.log"; fail "dsu patch crashfix"; finish; }
  sed 's/n->hits = (__typeof__(n->hits))o->hits;/n->hits = (__typeof__(n->hits))o->hits + 1;/' \
    "$WORK/crashfix-xf.c" > "$WORK/crashfix-off.c"
  grep -q 'o->hits + 1' "$WORK/crashfix-off.c" || fail "crashfix-off.c was not made"
}

# timing's transformer, right (+0) or wrong (+1000), as in tests/e2e/merge.sh
timing_transformer() {
  local json old new
  json=$("$DSU" diff --json "$WORK/timing-1" "$WORK/timing-2")
  old=$(python3 -c "import json,sys; print([g['old_symbol'] for g in json.load(sys.stdin)['globals'] if g['name']=='total'][0])" <<< "$json")
  new=$(python3 -c "import json,sys; print([g['new_symbol'] for g in json.load(sys.stdin)['globals'] if g['name']=='grand_total'][0])" <<< "$json")
  cat > "$WORK/migrate-$1.c" <<C
#include <dsu/patch_format.h>
extern int old_total __asm__("$old");
extern long new_total __asm__("$new");
static int migrate(void) { new_total = old_total + $2; return 0; }
const struct dsu_global_xform __dsu_global_xforms[] = {{"state", 0, 0, migrate}, {0, 0, 0, 0}};
C
}

# redis 2.0.x request code behind standard input (redis/redis_stdin.c: two
# bytes a request reach GET, SET and HMGET on every stored key), each
# release unpacked from ../shared/realprogs and built with dsu-cc; the
# entries are skipped (exit 77) without the sources.
REAL=${DSU_REALPROGS:-$HERE/../../../shared/realprogs}
redis_build() {
  local v=$1 out=$2 src="$WORK/redis-src"
  [ -f "$REAL/redis-$v.tar.gz" ] || { echo "SKIPPED: no $REAL/redis-$v.tar.gz"; exit 77; }
  mkdir -p "$src"
  tar xzf "$REAL/redis-$v.tar.gz" -C "$src" || { fail "cannot unpack redis $v"; finish; }
  local d="$src/redis-$v" f
  # What redis's Makefile generates outside a git checkout.
  printf '#define REDIS_GIT_SHA1 "00000000"\n#define REDIS_GIT_DIRTY "0"\n' > "$d/release.h"
  local files=("$HERE/redis/redis_stdin.c" "$HERE/../symex/redis/ae_select_wrap.c")
  for f in adlist anet dict sds zmalloc lzf_c lzf_d pqsort zipmap sha1; do
    files+=("$d/$f.c")
  done
  build "$out" -w -I "$d" -I "$HERE/../symex/redis" "${files[@]}" -lm -lpthread
}
# redis_pair NAME OLD NEW : $WORK/NAME-1 and NAME-2 from those releases
redis_pair() {
  redis_build "$2" "$1-1"
  redis_build "$3" "$1-2"
}
REDIS=(--stdin-lines 2 --line-max 3 --alphabet ghsnl)

# kv_pair OLD NEW [SRC] : builds $WORK/kv-1 and $WORK/kv-2 from
# examples/kvserver's versions OLD and NEW (or SRC's) with its Makefile and
# dsu-cc, as a user would.
kv_pair() {
  local src=${3:-$HERE/../../examples/kvserver} v
  for v in "$1" "$2"; do
    make -s -C "$src" VERSION="$v" CC="$DSU_CC" BUILD="$WORK/kvbuild" kvserver \
      > "$WORK/kv-$v.build.log" 2>&1 || { cat "$WORK/kv-$v.build.log"; fail "make kvserver $v"; finish; }
  done
  cp "$WORK/kvbuild/$1/kvserver" "$WORK/kv-1"
  cp "$WORK/kvbuild/$2/kvserver" "$WORK/kv-2"
}

COUNTER=(--stdin-lines 3 --line-max 2 --alphabet hmp --old-error '^?')
SWAP=(--stdin-lines 3 --line-max 2 --alphabet ap --old-error '^?')
CRASHFIX=(--stdin-lines 2 --line-max 2 --alphabet hr --old-error '^?')
TIMING=(--stdin-lines 2 --line-max 2 --alphabet 12)
TCPCOUNT=(--tcp-lines 3 --line-max 2 --alphabet hpr --old-error '^?')
# The key-value example's old commands, keys and values one byte of "a1"
# (INCR works on 1 and fails on a): free bytes parse into far too many
# paths for 2 requests (1 request of up to 7 bytes over 'INCR a' alone is
# 797 paths of the old version, 17 s).
KVTCP=(--tcp-lines 2 --request-forms 'SET ? ?|GET ?|INCR ?|DEL ?' --alphabet a1 --old-error '^ERROR')
# The entries that hold explore every path: without DEL (16 request pairs
# to 9), to stay well under a minute on a loaded machine (DEL with them:
# 20-25 s alone, 55-80 s beside other tests; bench/RESULTS.md).
KVTCP_HOLDS=(--tcp-lines 2 --request-forms 'SET ? ?|GET ?|INCR ?' --alphabet a1 --old-error '^ERROR')

entry() {
  case "$1" in
  counter-good-bc)
    # A good patch (the generated transformers) holds in both forms.
    pair counter "$P/counter"
    expect counter holds --form backward-compatible "${COUNTER[@]}" ;;
  counter-good-conformable)
    pair counter "$P/counter"
    expect counter holds --form conformable "${COUNTER[@]}" ;;
  counter-drop)
    # A transformer that drops a field: misses reads 0 after the update.
    pair counter "$P/counter"
    counter_transformers
    expect counter counterexample --form conformable --transformers "$WORK/counter-drop.c" "${COUNTER[@]}" ;;
  counter-misconvert)
    # A transformer that mis-converts a value: hits off by one.
    pair counter "$P/counter"
    counter_transformers
    expect counter counterexample --form backward-compatible --transformers "$WORK/counter-off.c" "${COUNTER[@]}" ;;
  counter-spec-good)
    # A post-update spec (tests/verify/specs/counter_spec.c): after the
    # update, p counts every h and m before it.
    pair counter "$P/counter"
    expect counter holds --form post-update --spec "$HERE/specs/counter_spec.c" --stdin-lines 3 --line-max 2 --alphabet mp ;;
  counter-spec-drop)
    pair counter "$P/counter"
    counter_transformers
    expect counter counterexample --form post-update --spec "$HERE/specs/counter_spec.c" --transformers "$WORK/counter-drop.c" --stdin-lines 3 --line-max 2 --alphabet mp
    replayed_natively counter ;;
  spec-run)
    # dsu spec-run: the spec natively on one real session, no symbolic
    # execution. h, m, p, p with the update requested at visit 3 (the
    # update point follows each read): it commits after request 3 began,
    # so the last p is on the new side and must show 1/1.
    pair counter "$P/counter"
    counter_transformers
    "$DSU" patch "$WORK/counter-1" "$WORK/counter-2" -o "$WORK/counter-drop.patch" \
      --transformers "$WORK/counter-drop.c" > "$WORK/counter-drop.patch.log" 2>&1 ||
      { cat "$WORK/counter-drop.patch.log"; fail "dsu patch counter (drop)"; finish; }
    printf 'h\nm\np\np\n' > "$WORK/hmpp"
    local spec="$HERE/specs/counter_spec.c"
    spec_run 0 "^spec-run: the spec holds on this session" "$WORK/counter-1" --spec "$spec" --requests "$WORK/hmpp" --patch "$WORK/counter.patch" --update-at 3
    spec_run 0 "committed at main.c:[0-9]+ after request 3 began" "$WORK/counter-1" --spec "$spec" --requests "$WORK/hmpp" --patch "$WORK/counter.patch" --update-at 3
    spec_run 0 "^  request 4 'p\\\\n' \(after the update\)" "$WORK/counter-1" --spec "$spec" --requests "$WORK/hmpp" --patch "$WORK/counter.patch" --update-at 3
    spec_run 0 "^spec-run: the spec holds on this session" "$WORK/counter-1" --spec "$spec" --requests "$WORK/hmpp"
    # The transformer that drops misses: the last p says 1/0.
    spec_run 1 "^$spec:2[34]: the spec's assertion 'after the update, p counts every h and m before it' fails" \
      "$WORK/counter-1" --spec "$spec" --requests "$WORK/hmpp" --patch "$WORK/counter-drop.patch" --update-at 3
    spec_run 1 "updated program: '1/0\\\\n'" \
      "$WORK/counter-1" --spec "$spec" --requests "$WORK/hmpp" --patch "$WORK/counter-drop.patch" --update-at 3
    # A wrong spec (hits and misses swapped) fails on the good patch: h, h,
    # m, p, p gives 2/1, not 1/2.
    sed 's/"%d\/%d\\n", hits, misses/"%d\/%d\\n", misses, hits/' "$spec" > "$WORK/wrongspec.c"
    grep -q 'misses, hits' "$WORK/wrongspec.c" || fail "cannot make the wrong spec"
    printf 'h\nh\nm\np\np\n' > "$WORK/hhmpp"
    spec_run 1 "^$WORK/wrongspec.c:2[34]: the spec's assertion" \
      "$WORK/counter-1" --spec "$WORK/wrongspec.c" --requests "$WORK/hhmpp" --patch "$WORK/counter.patch" --update-at 4
    # A spec that does not compile: exit 3, clang's FILE:LINE.
    printf '#include <dsu/spec.h>\nvoid dsu_spec(void) { nope(); }\n' > "$WORK/badspec.c"
    spec_run 3 "^$WORK/badspec.c:2:[0-9]+: error:" "$WORK/counter-1" --spec "$WORK/badspec.c" --requests "$WORK/hmpp"
    # Over one TCP connection (the socket model): tcpcount v1 -> v2 keeps
    # p's count, r resets it after the update.
    pair tcpcount "$P/tcpcount"
    "$DSU" patch "$WORK/tcpcount-1" "$WORK/tcpcount-2" -o "$WORK/tcpcount.patch" > "$WORK/tcpcount.patch.log" 2>&1 ||
      { cat "$WORK/tcpcount.patch.log"; fail "dsu patch tcpcount"; finish; }
    printf 'h\nh\np\nr\nh\np\n' > "$WORK/tcpreq"
    spec_run 0 "^spec-run: the spec holds on this session" "$WORK/tcpcount-1" --tcp --spec "$HERE/specs/tcpcount_spec.c" --requests "$WORK/tcpreq" --patch "$WORK/tcpcount.patch" --update-at 2
    spec_run 0 "^  request 6 'p\\\\n' \(after the update\)" "$WORK/tcpcount-1" --tcp --spec "$HERE/specs/tcpcount_spec.c" --requests "$WORK/tcpreq" --patch "$WORK/tcpcount.patch" --update-at 2
    # A wrong spec that forgets the reset fails: after r, h, p is 1, not 3.
    sed 's/^\( *\)hits = 0;$/\1;/' "$HERE/specs/tcpcount_spec.c" > "$WORK/tcpwrong.c"
    grep -q '^ *hits = 0;' "$WORK/tcpwrong.c" && fail "cannot make the wrong tcp spec"
    spec_run 1 "the spec's assertion 'after the update, p counts the h since the last reset' fails" "$WORK/tcpcount-1" --tcp --spec "$WORK/tcpwrong.c" --requests "$WORK/tcpreq" --patch "$WORK/tcpcount.patch" --update-at 2 ;;
  tcp-spec)
    # A post-update spec over --tcp-lines: v2 with p's reply changed breaks
    # it; the replay runs the spec natively through the socket model.
    mkdir -p "$WORK/tcpfaulty"
    sed 's|snprintf(out, sizeof out, "%d\\n", hits);|snprintf(out, sizeof out, "%d hits\\n", hits);|' \
      "$P/tcpcount/v2/main.c" > "$WORK/tcpfaulty/main.c"
    grep -q '"%d hits' "$WORK/tcpfaulty/main.c" || fail "cannot edit tcpcount v2"
    build tcpfaulty-1 "$P/tcpcount/v1/main.c"
    build tcpfaulty-2 "$WORK/tcpfaulty/main.c"
    expect tcpfaulty counterexample --form post-update --spec "$HERE/specs/tcpcount_spec.c" --tcp-lines 3 --line-max 2 --alphabet hpr
    replayed_natively tcpfaulty ;;
  crashfix-good-conformable)
    # v1's r dies without a miss before it; v2 fixes it. With h and r
    # alone the old version fails on every r; the paths where it fails
    # after the update are judged against the new version, and hold.
    pair crashfix "$P/crashfix"
    expect crashfix holds --form conformable "${CRASHFIX[@]}" ;;
  crashfix-misconvert)
    # The same with hits mis-converted, which only r shows: caught on a
    # path where the old version alone fails after the update.
    pair crashfix "$P/crashfix"
    crashfix_transformers
    expect crashfix counterexample --form conformable --transformers "$WORK/crashfix-off.c" "${CRASHFIX[@]}" ;;
  crashfix-spec-good)
    # A post-update spec over the updated program's replies alone
    # (specs/crashfix_spec.c: after the update, r counts every h before
    # it): the paths where the old version alone dies on an r after the
    # update are judged by it, and hold; those where it dies on the old
    # side are not, and are named.
    pair crashfix "$P/crashfix"
    expect crashfix holds --form post-update --spec "$HERE/specs/crashfix_spec.c" "${CRASHFIX[@]}"
    CHECKS=$((CHECKS + 1))
    grep -q "^note: not judged: the old version alone fails: [^ ]*crashfix/v1/main.c:27: " "$WORK"/crashfix.*.out &&
      pass "crashfix-spec-good: the old version's failures on the old side are named" ||
      fail "crashfix-spec-good: the old version's failures are not named" ;;
  crashfix-spec-misconvert)
    # The same spec with hits mis-converted: r after the update shows it,
    # on paths where the old version alone dies on that r (there was a
    # false holds when post-update left every such path unjudged). The
    # replay runs the spec natively on the real process.
    pair crashfix "$P/crashfix"
    crashfix_transformers
    expect crashfix counterexample --form post-update --spec "$HERE/specs/crashfix_spec.c" --transformers "$WORK/crashfix-off.c" "${CRASHFIX[@]}"
    replayed_natively crashfix
    CHECKS=$((CHECKS + 1))
    grep -q "^    old alone: (failed before its reply was complete)" "$WORK"/crashfix.*.out &&
      pass "crashfix-spec-misconvert: the old version's missing reply is shown as such" ||
      fail "crashfix-spec-misconvert: the old version's missing reply is not shown as such" ;;
  crashfix-spec-old-replies)
    # A spec that reads the old version's replies (specs/crashfix_old_spec.c:
    # after the update, h is answered as by the old version): where the old
    # version alone died on an earlier r, it gave no reply to that h, and
    # the path is not judged (named), in both forms that keep running the
    # updated program after the old version's failure; it is never judged
    # against the empty output of a run that ended (there was a false
    # counterexample under conformable).
    pair crashfix "$P/crashfix"
    expect crashfix holds --form conformable --spec "$HERE/specs/crashfix_old_spec.c" --stdin-lines 3 --line-max 2 --alphabet hr --old-error '^?'
    expect crashfix holds --form post-update --spec "$HERE/specs/crashfix_old_spec.c" --stdin-lines 3 --line-max 2 --alphabet hr --old-error '^?'
    # Natively (dsu spec-run) alike: on h, r, h updated at visit 1 the old
    # version alone dies on the r; the spec that reads its reply to the
    # last h is not judged (exit 2), the one that reads no old reply is.
    crashfix_transformers
    "$DSU" patch "$WORK/crashfix-1" "$WORK/crashfix-2" -o "$WORK/crashfix-off.patch" \
      --transformers "$WORK/crashfix-off.c" > "$WORK/crashfix-off.patch.log" 2>&1 ||
      { cat "$WORK/crashfix-off.patch.log"; fail "dsu patch crashfix (off)"; finish; }
    printf 'h\nr\nh\n' > "$WORK/hrh"
    spec_run 2 "^spec-run: not judged: dsu_spec_old_reply\(2\): the old version alone failed before finishing that reply" \
      "$WORK/crashfix-1" --spec "$HERE/specs/crashfix_old_spec.c" --requests "$WORK/hrh" --patch "$WORK/crashfix.patch" --update-at 1
    spec_run 0 "^spec-run: the spec holds on this session" \
      "$WORK/crashfix-1" --spec "$HERE/specs/crashfix_spec.c" --requests "$WORK/hrh" --patch "$WORK/crashfix.patch" --update-at 1
    spec_run 1 "the spec's assertion 'after the update, r counts every h before it' fails" \
      "$WORK/crashfix-1" --spec "$HERE/specs/crashfix_spec.c" --requests "$WORK/hrh" --patch "$WORK/crashfix-off.patch" --update-at 1 ;;
  swap-good-bc)
    # Unsafe at bump's point: the update waits for the loop's, and holds.
    pair swap "$P/swap"
    expect swap holds --form backward-compatible "${SWAP[@]}" ;;
  swap-good-conformable)
    pair swap "$P/swap"
    expect swap holds --form conformable "${SWAP[@]}" ;;
  swap-forced)
    # Forced at bump's point: old code writes the relocated struct.
    pair swap "$P/swap"
    expect swap counterexample --form backward-compatible --force-at main.c:20 "${SWAP[@]}"
    grep -q "update-safety" "$WORK"/swap.*.out || fail "swap forced: not an update-safety counterexample" ;;
  swap-forced-forms)
    # The same with the requests drawn from forms (a, then a byte of "xy";
    # or p): a failing run's requests (those drawn when it failed: each is
    # drawn when every run has reached it) are rebuilt from the forms and
    # their symbolic bytes for the case, and replay.
    pair swap "$P/swap"
    expect swap counterexample --form backward-compatible --force-at main.c:20 --stdin-lines 3 --request-forms 'a?|p' --alphabet xy --old-error '^?'
    grep -q "update-safety" "$WORK"/swap.*.out || fail "swap forced (forms): not an update-safety counterexample"
    grep -qE "requests: '(a[xy]\\\\n|p\\\\n){1,3}'" "$WORK"/swap.*.out ||
      fail "swap forced (forms): the requests are not 1-3 of the forms" ;;
  timing-good-bc)
    # A renamed, widened global: the right transformer holds in both forms.
    pair timing "$EP/timing"
    timing_transformer right 0
    expect timing holds --form backward-compatible --transformers "$WORK/migrate-right.c" "${TIMING[@]}" ;;
  timing-good-conformable)
    pair timing "$EP/timing"
    timing_transformer right 0
    expect timing holds --form conformable --transformers "$WORK/migrate-right.c" "${TIMING[@]}" ;;
  timing-faulty)
    # The wrong transformer (+1000) and the dropped state are caught.
    pair timing "$EP/timing"
    timing_transformer wrong 1000
    expect timing counterexample --form conformable --transformers "$WORK/migrate-wrong.c" "${TIMING[@]}"
    expect timing counterexample --form backward-compatible --allow-state-loss total "${TIMING[@]}" ;;
  active)
    # Never safe: nothing is verified.
    pair active "$EP/active"
    expect active "unknown (the update never happens within the bounds)" --form backward-compatible "${TIMING[@]}" ;;
  scenario-static-names)
    # Only b's reply changes (b1 -> b2): a alone holds, b is caught, and
    # the update is conformable.
    pair static-names "$SCENARIOS/static-names"
    expect static-names holds --form backward-compatible --stdin-lines 3 --line-max 2 --alphabet a --old-error '^?'
    expect static-names counterexample --form backward-compatible --stdin-lines 3 --line-max 2 --alphabet ab --old-error '^?' ;;
  scenario-static-names-conformable)
    pair static-names "$SCENARIOS/static-names"
    expect static-names holds --form conformable --stdin-lines 3 --line-max 2 --alphabet ab --old-error '^?' ;;
  scenario-globals)
    # The new version changes g's reply (hello -> bonjour); b is new (the
    # old version answers '?', excluded by --old-error).
    pair globals "$SCENARIOS/globals"
    expect globals counterexample --form backward-compatible --stdin-lines 2 --line-max 2 --alphabet gb --old-error '^?' ;;
  redis-fix)
    # 2.0.4 fixes 2.0.3's HMGET on a key that holds no hash (a null
    # dereference or an out-of-bounds read in dict.c): backward-compatible,
    # the old version's crashes not judged and named.
    redis_pair redis-fix 2.0.3 2.0.4
    expect redis-fix holds --form backward-compatible "${REDIS[@]}"
    CHECKS=$((CHECKS + 1))
    grep -q "^note: not judged: the old version alone fails: [^ ]*redis-2.0.3/dict.c:41[56]: " "$WORK"/redis-fix.*.out &&
      pass "redis-fix: 2.0.3's crashes are named, not judged" ||
      fail "redis-fix: 2.0.3's crashes are not named" ;;
  redis-regress)
    # The reverse update brings the crash back: the updated program fails
    # where 2.0.4 alone replies with an error, and the real process crashes.
    redis_pair redis-regress 2.0.4 2.0.3
    expect redis-regress counterexample --form backward-compatible "${REDIS[@]}"
    CHECKS=$((CHECKS + 1))
    grep -q "the updated program fails: [^ ]*redis-2.0.4/dict.c:41[56]: " "$WORK"/redis-regress.*.out &&
      pass "redis-regress: the updated program crashes in dict.c" ||
      fail "redis-regress: not the HMGET crash" ;;
  tcp-good)
    # A blocking line server over the socket model: r is new (the old
    # version's '?' is excluded), h and p keep their replies.
    pair tcpcount "$P/tcpcount"
    expect tcpcount holds --form backward-compatible "${TCPCOUNT[@]}"
    expect tcpcount holds --form conformable "${TCPCOUNT[@]}" ;;
  tcp-nonblocking)
    # The same server with its connection made non-blocking by fcntl
    # (F_GETFL takes no third argument): the same verdicts.
    build tcpnonblock-1 -DNONBLOCK "$P/tcpcount/v1/main.c"
    build tcpnonblock-2 -DNONBLOCK "$P/tcpcount/v2/main.c"
    expect tcpnonblock holds --form conformable "${TCPCOUNT[@]}" ;;
  tcp-faulty)
    # A new version whose reply to p changes, caught; dsu replay runs the
    # real old build through the same socket model, preloaded.
    mkdir -p "$WORK/tcpfaulty"
    sed 's|snprintf(out, sizeof out, "%d\\n", hits);|snprintf(out, sizeof out, "%d hits\\n", hits);|' \
      "$P/tcpcount/v2/main.c" > "$WORK/tcpfaulty/main.c"
    grep -q '"%d hits' "$WORK/tcpfaulty/main.c" || fail "cannot edit tcpcount v2"
    build tcpfaulty-1 "$P/tcpcount/v1/main.c"
    build tcpfaulty-2 "$WORK/tcpfaulty/main.c"
    expect tcpfaulty counterexample --form backward-compatible "${TCPCOUNT[@]}"
    grep -q "on one TCP connection" "$WORK"/tcpfaulty.*.out.replay ||
      fail "tcp-faulty: the replay did not use the socket model" ;;
  tcp-unmodelled)
    # A socket call outside the model (getsockopt) ends the paths as
    # unknown, naming the call, never a verdict.
    build tcpunmodelled-1 -DGETSOCKOPT "$P/tcpcount/v1/main.c"
    build tcpunmodelled-2 -DGETSOCKOPT "$P/tcpcount/v2/main.c"
    expect tcpunmodelled "unknown (the TCP model does not cover getsockopt" --form backward-compatible "${TCPCOUNT[@]}"
    # select is not in the model at all: the executor names it.
    build tcpunmodelled-1 -DSELECT "$P/tcpcount/v1/main.c"
    build tcpunmodelled-2 -DSELECT "$P/tcpcount/v2/main.c"
    expect tcpunmodelled "unknown (unmodelled function 'select'" --form backward-compatible "${TCPCOUNT[@]}" ;;
  kvserver-tcp-good)
    # The key-value example, unmodified, over one client connection:
    # v3 -> v4 (struct entry gains an expiry: every stored entry is
    # transformed) keeps the replies of the old commands (VERSION and STATS
    # change by design and are outside the alphabet).
    kv_pair v3 v4
    expect kv holds --form backward-compatible "${KVTCP_HOLDS[@]}" ;;
  kvserver-tcp-good-conformable)
    kv_pair v3 v4
    expect kv holds --form conformable "${KVTCP_HOLDS[@]}" ;;
  kvserver-tcp-misconvert)
    # v3 -> v4 with the generated transformer of struct entry edited to
    # mis-convert vlen: a GET after the update shows it; replayed with the
    # patch built from those transformers.
    kv_pair v3 v4
    "$DSU" patch "$WORK/kv-1" "$WORK/kv-2" -o "$WORK/kv.patch" \
      --emit-transformers "$WORK/kv-xf.c" > "$WORK/kv.patch.log" 2>&1 ||
      { cat "$WORK/kv.patch.log"; fail "dsu patch kvserver"; finish; }
    sed 's/n->vlen = o->vlen;/n->vlen = o->vlen + 1;/' "$WORK/kv-xf.c" > "$WORK/kv-off.c"
    grep -q 'o->vlen + 1' "$WORK/kv-off.c" || fail "kv-off.c was not made"
    expect kv counterexample --form backward-compatible --transformers "$WORK/kv-off.c" "${KVTCP[@]}" ;;
  kvserver-tcp-faulty)
    # v4 with GET's reply changed: caught, and reproduced on the real v3
    # with the real patch.
    mkdir -p "$WORK/kvsrc"
    cp "$HERE/../../examples/kvserver/Makefile" "$WORK/kvsrc/"
    cp -r "$HERE/../../examples/kvserver/v3" "$HERE/../../examples/kvserver/v4" "$WORK/kvsrc/"
    sed -i 's|conn_printf(c, "VALUE %zu %s", e->vlen, e->value);|conn_printf(c, "VALUE %s", e->value);|' \
      "$WORK/kvsrc/v4/commands.c"
    grep -q '"VALUE %s"' "$WORK/kvsrc/v4/commands.c" || fail "cannot edit kvserver v4"
    kv_pair v3 v4 "$WORK/kvsrc"
    expect kv counterexample --form backward-compatible "${KVTCP[@]}" ;;
  usage)
    # Tool failures: exit 3, file: error: message.
    pair timing "$EP/timing"
    CHECKS=$((CHECKS + 1))
    "$DSU" verify /bin/true "$WORK/timing-2" --form conformable --stdin-lines 1 --line-max 2 > /dev/null 2> "$WORK/u1.err"
    [ $? = 3 ] && grep -q '^/bin/true: error: not built with dsu-cc' "$WORK/u1.err" &&
      pass "a build not made with dsu-cc: exit 3" || { cat "$WORK/u1.err"; fail "not a dsu-cc build"; }
    echo 'int broken(' > "$WORK/bad.c"
    CHECKS=$((CHECKS + 1))
    "$DSU" verify "$WORK/timing-1" "$WORK/timing-2" --form conformable --transformers "$WORK/bad.c" --stdin-lines 1 --line-max 2 > /dev/null 2> "$WORK/u2.err"
    [ $? = 3 ] && grep -q "^$WORK/bad.c:1:12: error:" "$WORK/u2.err" &&
      pass "transformers that do not compile: exit 3, named" || { cat "$WORK/u2.err"; fail "bad transformers"; }
    CHECKS=$((CHECKS + 1))
    "$DSU" verify "$WORK/timing-1" "$WORK/timing-2" --form sideways --stdin-lines 1 --line-max 2 > /dev/null 2> "$WORK/u3.err"
    [ $? = 3 ] && grep -q "error: unknown form 'sideways'" "$WORK/u3.err" &&
      pass "an unknown form: exit 3" || { cat "$WORK/u3.err"; fail "unknown form"; }
    CHECKS=$((CHECKS + 1))
    "$DSU" verify "$WORK/timing-1" "$WORK/timing-2" --form conformable --stdin-lines 1 --tcp-lines 1 --line-max 2 > /dev/null 2> "$WORK/u5.err"
    [ $? = 3 ] && grep -q "error: give one input model: --stdin-lines or --tcp-lines" "$WORK/u5.err" &&
      pass "two input models: exit 3" || { cat "$WORK/u5.err"; fail "two input models"; }
    CHECKS=$((CHECKS + 1))
    "$DSU" verify "$WORK/timing-1" "$WORK/timing-2" --form conformable --tcp-lines 1 --line-max 2 --request-forms 'a?' > /dev/null 2> "$WORK/u6.err"
    [ $? = 3 ] && grep -q "error: give --line-max or --request-forms, not both" "$WORK/u6.err" &&
      pass "--line-max with --request-forms: exit 3" || { cat "$WORK/u6.err"; fail "--line-max with --request-forms"; }
    printf '#include <dsu/spec.h>\nvoid dsu_spec(void) { nope(); }\n' > "$WORK/badspec.c"
    CHECKS=$((CHECKS + 1))
    "$DSU" verify "$WORK/timing-1" "$WORK/timing-2" --form post-update --spec "$WORK/badspec.c" --stdin-lines 1 --line-max 2 > /dev/null 2> "$WORK/u4.err"
    [ $? = 3 ] && grep -q "^$WORK/badspec.c:2:.*error:" "$WORK/u4.err" &&
      pass "a spec that does not compile: exit 3, named" || { cat "$WORK/u4.err"; fail "bad spec"; } ;;
  *)
    fail "unknown entry $1" ;;
  esac
}

ENTRIES="counter-good-bc counter-good-conformable counter-drop counter-misconvert
counter-spec-good counter-spec-drop spec-run tcp-spec
swap-good-bc swap-good-conformable swap-forced swap-forced-forms crashfix-good-conformable
crashfix-misconvert crashfix-spec-good crashfix-spec-misconvert crashfix-spec-old-replies
timing-good-bc timing-good-conformable
timing-faulty active tcp-good tcp-nonblocking tcp-faulty tcp-unmodelled kvserver-tcp-good
kvserver-tcp-good-conformable kvserver-tcp-misconvert kvserver-tcp-faulty
scenario-static-names scenario-static-names-conformable scenario-globals usage
redis-fix redis-regress"
if [ "${1:-all}" = all ]; then
  for e in $ENTRIES; do entry "$e"; done
else
  entry "$1"
fi
finish
