#!/usr/bin/env bash
# A global table the program only reads gains an entry in the middle (like
# vsftpd's configuration tables). Its running value is its old initialiser,
# so the update gives it the new initialiser instead of copying the old
# entries by index (which put the old terminator in the middle and hid the
# new setting); a table the program writes keeps its running value.
source "$(dirname "$0")/lib.sh"
P="$E2E_DIR/programs/config"
build cf1 "$P/v1/main.c"
build cf2 "$P/v2/main.c"
"$DSU" diff "$WORK/cf1" "$WORK/cf2" > "$WORK/cf.diff"
check "dsu diff says the table takes its new initialiser" \
  contains "$WORK/cf.diff" "global type-changed settings (static in main.c): 'struct setting[3]' -> 'struct setting[4]'; the running version never writes it: it takes the new initialiser"
"$DSU" model "$WORK/cf1" > "$WORK/cf1.model"
check "dsu model marks it never written" \
  bash -c "grep -q '  global settings static never-written' '$WORK/cf1.model'"
check "... and not the settings themselves" \
  bash -c "grep -q '  global max_clients static sym' '$WORK/cf1.model'"
"$DSU" patch "$WORK/cf1" "$WORK/cf2" -o "$WORK/cf.patch" \
  --emit-transformers "$WORK/cf.c" > "$WORK/cf-patch.log" 2>&1
check "dsu patch" test $? -eq 0
check "the generated transformer keeps the copy, disabled, for the user" \
  contains "$WORK/cf.c" "change 0 to 1"
start cf1
send "set max_clients 5" "get idle_timeout"
wait_lines "$WORK/cf1.out" 2
apply_during cf.patch apply.log "get listen_port"
check "the update is applied" contains "$WORK/apply.log" "applied"
send "get idle_timeout" "get max_clients" "set idle_timeout 60" "get idle_timeout"
stop
printf 'ok max_clients\nunknown setting idle_timeout\nlisten_port 21\nidle_timeout 300\nmax_clients 5\nok idle_timeout\nidle_timeout 60\n' > "$WORK/cf.expected"
check "after the update the new setting is found and the old values kept" \
  cmp "$WORK/cf1.out" "$WORK/cf.expected"
finish
