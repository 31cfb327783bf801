#!/usr/bin/env bash
# Soak (issue 11, "done when"): the key-value server, limited to 256
# descriptors, updated v1 -> v2 -> v1 ... DSU_SOAK_UPDATES times (default
# 300, more than the limit) while clients load it: every update applies, no
# request fails, no key is lost, descriptors stay flat; the RSS growth per
# update is printed (each committed patch stays mapped: its code may still
# run). The 1,000-update run: DSU_SOAK_UPDATES=1000 (bench/RESULTS.md).
source "$(dirname "$0")/lib.sh"
EX="$E2E_DIR/../../examples/kvserver"
N=${DSU_SOAK_UPDATES:-300}
cc -O2 -o "$WORK/kvload" "$EX/client/kvload.c"
for v in v1 v2; do
  make -s -C "$EX" VERSION=$v CC="$DSU_CC" BUILD="$WORK/build" > "$WORK/make-$v.log" 2>&1 ||
    { cat "$WORK/make-$v.log"; fail "make kvserver $v"; finish; }
done
"$DSU" patch "$WORK/build/v1/kvserver" "$WORK/build/v2/kvserver" -o "$WORK/12.patch" > /dev/null
"$DSU" patch "$WORK/build/v2/kvserver" "$WORK/build/v1/kvserver" -o "$WORK/21.patch" > /dev/null
check "patches both ways built" test -s "$WORK/12.patch" -a -s "$WORK/21.patch"

(ulimit -n 256; exec "$WORK/build/v1/kvserver" -p 0 > "$WORK/server.out" 2> "$WORK/server.err") &
PID=$!; PIDS+=("$PID")
for _ in $(seq 100); do grep -q '^listening on' "$WORK/server.out" && break; sleep 0.05; done
PORT=$(sed -n 's/^listening on //p' "$WORK/server.out")
"$WORK/kvload" "$PORT" 4 --requests 10000 --keys 10000 --fill > "$WORK/fill.log" 2>&1
check "10,000 keys stored" test $? -eq 0

# Load in rounds of 3 s until the updates are done; every round must be clean.
touch "$WORK/loading"
( r=0; while [ -e "$WORK/loading" ]; do
    r=$((r + 1))
    "$WORK/kvload" "$PORT" 4 3 --keys 10000 --set-ratio 0.2 > "$WORK/load.$r.log" 2>&1
  done ) &
LOAD=$!
sleep 1
FD0=$(ls "/proc/$PID/fd" | wc -l); RSS0=$(awk '/^VmRSS/ {print $2}' "/proc/$PID/status")
START=$(date +%s.%N)
OK=0
for i in $(seq "$N"); do
  if [ $((i % 2)) -eq 1 ]; then p=12.patch; else p=21.patch; fi
  "$DSU" apply "$PID" "$WORK/$p" --timeout 5 > "$WORK/apply.log" 2>&1 && OK=$((OK + 1)) ||
    { cat "$WORK/apply.log"; break; }
done
END=$(date +%s.%N)
FD1=$(ls "/proc/$PID/fd" | wc -l); RSS1=$(awk '/^VmRSS/ {print $2}' "/proc/$PID/status")
rm -f "$WORK/loading"
wait "$LOAD"
echo "$OK updates in $(echo "$END - $START" | bc) s; descriptors $FD0 -> $FD1;" \
  "RSS $RSS0 kB -> $RSS1 kB ($(( (RSS1 - RSS0) * 1024 / (OK > 0 ? OK : 1) )) bytes per update)"
check "$N updates back and forth under load with ulimit -n 256" test "$OK" -eq "$N"
check "descriptors flat ($FD0 -> $FD1)" test "$FD1" -le "$FD0"
ROUNDS=$(ls "$WORK"/load.*.log | wc -l)
CLEAN=$(grep -l 'errors=0$' "$WORK"/load.*.log | wc -l)
grep -h requests= "$WORK"/load.*.log | awk '{split($1,a,"="); s+=a[2]} END {print s " requests during the updates"}'
check "no request failed ($CLEAN of $ROUNDS load rounds clean)" test "$ROUNDS" -gt 0 -a "$CLEAN" -eq "$ROUNDS"
"$WORK/kvload" "$PORT" 4 --requests 10000 --keys 10000 --check > "$WORK/check.log" 2>&1
check "every key and value survived" test $? -eq 0
kill -TERM "$PID"; wait "$PID"
check "the server shuts down cleanly" test $? -eq 0
finish
