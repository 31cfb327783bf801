#!/usr/bin/env bash
# A global table the program only reads gains an entry in the middle (like
# vsftpd's configuration tables). Its running value is its old initialiser,
# so the update gives it the new initialiser instead of copying the old
# entries by index (which put the old terminator in the middle and hid the
# new setting); a table the program writes keeps its running value.
# Globals the program may write are decided at the update by their running
# bytes (programs/inits): still the old initialiser, they take the new one;
# changed, they keep their value.
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

P="$E2E_DIR/programs/inits"
build in1 "$P/v1/main.c"
build in2 "$P/v2/main.c"
"$DSU" diff "$WORK/in1" "$WORK/in2" > "$WORK/in.diff"
check "dsu diff says a global that may be written takes its new initialiser only if untouched" \
  contains "$WORK/in.diff" "global initialiser-changed-value-kept retries (static in main.c): the running value is kept; if its running bytes are still the old initialiser at the update it takes the new one"
check "... and so for a table whose type changed" \
  contains "$WORK/in.diff" "global type-changed settings (static in main.c): 'struct setting[3]' -> 'struct setting[4]'; if its running bytes are still the old initialiser at the update it takes the new one, else its transformer converts them"
"$DSU" patch "$WORK/in1" "$WORK/in2" -o "$WORK/in.patch" \
  --emit-transformers "$WORK/in.c" > "$WORK/in-patch.log" 2>&1
check "dsu patch" test $? -eq 0
check "the generated transformer says when it runs" \
  contains "$WORK/in.c" "Runs only if 'settings' no longer holds its old initialiser"
# Untouched: every global takes its new initialiser, pointers to string
# literals and to other globals included.
start in1
send "set timeout 45" "get retries"
wait_lines "$WORK/in1.out" 2
apply_during in.patch apply-in.log "get timeout"
check "the update is applied" contains "$WORK/apply-in.log" "applied"
send "get retries" "get timeout" "get idle" "motd"
stop
printf 'ok timeout\nretries 3\ntimeout 45\nretries 5\ntimeout 45\nidle 300\nmotd welcome\nmotd to version 2\n' > "$WORK/in.expected"
check "untouched globals take their new initialisers (retries 5, the new setting, the new message); a set one keeps its value" \
  cmp "$WORK/in1.out" "$WORK/in.expected"
# Touched: the renamed table and the edited message keep their values.
start in1
send "rename retries tries" "motd 1 edited"
wait_lines "$WORK/in1.out" 2
apply_during in.patch apply-in2.log "get tries"
check "the update is applied" contains "$WORK/apply-in2.log" "applied"
send "get tries" "get idle" "motd"
stop
printf 'ok tries\nok motd\ntries 5\ntries 5\nunknown setting idle\nmotd welcome\nmotd edited\n' > "$WORK/in2.expected"
check "a table and a message the program changed keep their running values" \
  cmp "$WORK/in1.out" "$WORK/in2.expected"
finish
