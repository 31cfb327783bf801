#!/usr/bin/env bash
# Update safety: a patch that changes struct counter is not applied at the
# update point where phase_one() holds a pointer to a counter; the runtime
# waits for the safe point of phase two. Forced at the unsafe point, the same
# update really corrupts the process, which is why the check exists.
source "$(dirname "$0")/lib.sh"
P="$E2E_DIR/programs/phases"
UNSAFE_LINE=$(grep -n 'DSU_UPDATE_POINT(); /\* unsafe' "$P/v1/main.c" | cut -d: -f1)
SAFE_LINE=$(grep -n 'DSU_UPDATE_POINT(); /\* safe' "$P/v1/main.c" | cut -d: -f1)
build ph1 "$P/v1/main.c"
build ph2 "$P/v2/main.c"
make_patch ph1 ph2 ph.patch
"$DSU" diff "$WORK/ph1" "$WORK/ph2" > "$WORK/ph.diff"
check "dsu diff reports the unsafe update point and why" \
  contains "$WORK/ph.diff" "update-point main.c:$UNSAFE_LINE unsafe: function 'phase_one' (main.c:22), which may be active here, uses struct counter, which this patch changes"
check "the safe update point is not reported unsafe" \
  bash -c "! grep -q 'main.c:$SAFE_LINE unsafe' '$WORK/ph.diff'"

# Safe run: requested during phase one, applied in phase two.
start ph1
send b b
wait_lines "$WORK/ph1.out" 2
"$DSU" apply "$PID" "$WORK/ph.patch" --timeout 10 > "$WORK/safe.log" 2>&1 &
AP=$!
sleep 0.3
send b n
sleep 0.3
check "the update waits while only the unsafe point is reached" kill -0 "$AP"
send r
wait "$AP"
check "the update is applied at the safe point" test $? -eq 0
check "... and says where" contains "$WORK/safe.log" "at main.c:$SAFE_LINE"
wait_lines "$WORK/ph1.out" 4
stop
printf 'hits 1\nhits 2\nhits 3\ntotal hits 3 misses 0\n' > "$WORK/safe.expected"
check "the output is right" cmp "$WORK/ph1.out" "$WORK/safe.expected"

# Only unsafe points within the timeout: refused, with the reason.
start ph1
send b
wait_lines "$WORK/ph1.out" 1
"$DSU" apply "$PID" "$WORK/ph.patch" --timeout 1 > "$WORK/refused.log" 2>&1 &
AP=$!
sleep 0.3
send b
wait "$AP"
check "refused when only unsafe points are reached" test $? -ne 0
check "the refusal names the point, the function and the type" \
  contains "$WORK/refused.log" "unsafe at every update point reached (last main.c:$UNSAFE_LINE: function 'phase_one'"
send b
wait_lines "$WORK/ph1.out" 3
stop
check "the process goes on as version 1" bash -c "[ \"\$(sed -n 3p '$WORK/ph1.out')\" = 'hits 3' ]"

# Forced at the unsafe point: the old frame keeps using the freed counter.
start ph1
send b b
wait_lines "$WORK/ph1.out" 2
"$DSU" apply "$PID" "$WORK/ph.patch" --timeout 5 --force-at "main.c:$UNSAFE_LINE" > "$WORK/forced.log" 2>&1 &
AP=$!
sleep 0.3
send b
wait "$AP"
check "the forced update is applied" test $? -eq 0
check "dsu apply says loudly what it skipped" contains "$WORK/forced.log" "FORCED at an update point found unsafe"
check "and warns before" contains "$WORK/forced.log" "WARNING"
send n r
wait_lines "$WORK/ph1.out" 4
stop
check "forced at the unsafe point, the program goes wrong" \
  bash -c "! cmp -s '$WORK/ph1.out' '$WORK/safe.expected'"
finish
