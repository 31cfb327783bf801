#!/usr/bin/env bash
# The threaded key-value server (one thread per connection) updated live
# under load from 8 connections: no request fails, every key survives.
source "$(dirname "$0")/lib.sh"
EX="$E2E_DIR/../../examples"
build mt1 -pthread "$EX/kvserver-mt/v1/main.c"
build mt2 -pthread "$EX/kvserver-mt/v2/main.c"
make_patch mt1 mt2 mt.patch
cc -O2 -o "$WORK/kvload" "$EX/kvserver/client/kvload.c"
cc -O2 -o "$WORK/kvclient" "$EX/kvserver/client/kvclient.c"
start_server "$WORK/mt1" server
"$WORK/kvload" "$PORT" 4 --requests 10000 --keys 10000 --fill > "$WORK/fill.log" 2>&1
check "10,000 keys stored" test $? -eq 0
"$WORK/kvload" "$PORT" 8 3 --keys 10000 --set-ratio 0.2 > "$WORK/load.log" 2>&1 &
LOAD=$!
sleep 1
"$DSU" apply "$PID" "$WORK/mt.patch" --timeout 5 > "$WORK/apply.log" 2>&1
check "the update commits while 8 connection threads serve load" test $? -eq 0
wait "$LOAD"
check "no request failed" test $? -eq 0
check "the load ran" bash -c "grep -q 'errors=0' '$WORK/load.log'"
"$WORK/kvload" "$PORT" 4 --requests 10000 --keys 10000 --check > "$WORK/check.log" 2>&1
check "every key and value survived" test $? -eq 0
printf 'VERSION\nSET k abc\nGET k\n' | "$WORK/kvclient" 127.0.0.1 "$PORT" > "$WORK/after.txt"
printf 'VERSION v2 updates=1\nOK\nVALUE 3 abc\n' > "$WORK/after.expected"
check "new connections get v2" cmp "$WORK/after.txt" "$WORK/after.expected"
finish
