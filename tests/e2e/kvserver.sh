#!/usr/bin/env bash
# The example key-value server: every version built with dsu-cc (make
# CC=dsu-cc) answers its session exactly like the expected transcript, and a
# running v1 holding 10,000 keys is updated to v2 and then v3 under load from
# other connections, with no request failed and every key intact.
source "$(dirname "$0")/lib.sh"
EX="$E2E_DIR/../../examples/kvserver"
cc -O2 -o "$WORK/kvclient" "$EX/client/kvclient.c"
cc -O2 -o "$WORK/kvload" "$EX/client/kvload.c"
for v in v1 v2 v3 v4; do
  make -s -C "$EX" VERSION=$v CC="$DSU_CC" BUILD="$WORK/build" > "$WORK/make-$v.log" 2>&1
  check "make CC=dsu-cc builds kvserver $v" test -x "$WORK/build/$v/kvserver"
  sh "$EX/sessions/play.sh" "$WORK/build/$v/kvserver" "$WORK/kvclient" \
    "$EX/sessions/$v.in" "$EX/sessions/$v.expected" > "$WORK/play-$v.log" 2>&1
  check "kvserver $v built by dsu-cc answers its session exactly" test $? -eq 0
done
"$DSU" patch "$WORK/build/v1/kvserver" "$WORK/build/v2/kvserver" -o "$WORK/12.patch" > /dev/null
"$DSU" patch "$WORK/build/v2/kvserver" "$WORK/build/v3/kvserver" -o "$WORK/23.patch" > /dev/null
check "patches built" test -s "$WORK/12.patch" -a -s "$WORK/23.patch"

start_server "$WORK/build/v1/kvserver" server
"$WORK/kvload" "$PORT" 4 --requests 10000 --keys 10000 --fill > "$WORK/fill.log" 2>&1
check "10,000 keys stored" test $? -eq 0
# Load from 8 other connections while both updates happen.
"$WORK/kvload" "$PORT" 8 3 --keys 10000 --set-ratio 0.2 > "$WORK/load.log" 2>&1 &
LOAD=$!
sleep 0.5
"$DSU" apply "$PID" "$WORK/12.patch" > "$WORK/apply12.log" 2>&1
check "v1 -> v2 applied under load" test $? -eq 0
sleep 0.5
"$DSU" apply "$PID" "$WORK/23.patch" > "$WORK/apply23.log" 2>&1
check "v2 -> v3 applied under load" test $? -eq 0
wait "$LOAD"
check "no request failed during the updates" test $? -eq 0
check "the load really ran" bash -c "grep -q 'errors=0' '$WORK/load.log'"
"$WORK/kvload" "$PORT" 4 --requests 10000 --keys 10000 --check > "$WORK/check.log" 2>&1
check "every key and value survived" test $? -eq 0
printf 'VERSION\nINCR n\nAPPEND k v\nGET k\n' | "$WORK/kvclient" 127.0.0.1 "$PORT" > "$WORK/after.txt"
printf 'VERSION v3 updates=2\n1\nOK\nVALUE 1 v\n' > "$WORK/after.expected"
check "the server now speaks v3" cmp "$WORK/after.txt" "$WORK/after.expected"
kill -TERM "$PID"; wait "$PID"
check "the server shuts down cleanly after updates" test $? -eq 0

# v3 -> v4 changes struct entry (a new expiry field moves `next`) and the
# type of the statistics global, on a server holding 100,000 keys.
"$DSU" patch "$WORK/build/v3/kvserver" "$WORK/build/v4/kvserver" -o "$WORK/34.patch" > "$WORK/34.log" 2>&1
check "the state-changing patch v3 -> v4 builds" test $? -eq 0
start_server "$WORK/build/v3/kvserver" server4
"$WORK/kvload" "$PORT" 4 --requests 100000 --keys 100000 --fill > "$WORK/fill4.log" 2>&1
check "100,000 keys stored in v3" test $? -eq 0
"$DSU" apply "$PID" "$WORK/34.patch" > "$WORK/apply34.log" 2>&1
check "v3 -> v4 applied" test $? -eq 0
check "every entry was transformed" contains "$WORK/apply34.log" "100000 objects and 1 globals transformed"
"$WORK/kvload" "$PORT" 4 --requests 100000 --keys 100000 --check > "$WORK/check4.log" 2>&1
check "every key and value survived the type change" test $? -eq 0
printf 'VERSION\nEXPIRE key:7 100\nTTL key:7\nTTL key:8\nCOUNT\n' | "$WORK/kvclient" 127.0.0.1 "$PORT" > "$WORK/after4.txt"
printf 'VERSION v4 updates=1\nOK\nTTL 100\nTTL -1\n100000\n' > "$WORK/after4.expected"
check "old entries work with the new expiry commands" cmp "$WORK/after4.txt" "$WORK/after4.expected"
printf 'STATS\n' | "$WORK/kvclient" 127.0.0.1 "$PORT" > "$WORK/stats4.txt"
check "the statistics global kept its counts in its new type" \
  bash -c "grep -q 'sets=100000 .*expired=0' '$WORK/stats4.txt'"
kill -TERM "$PID"; wait "$PID"
check "the server shuts down cleanly after the state change" test $? -eq 0
finish
