#!/usr/bin/env bash
# The kvserver demo (needs a built tree: scripts/setup.sh). Builds v1..v4 with
# dsu-cc, starts v1, fills it through one long-lived connection, and applies
# v2 and v3 live (code changes: the same connection sees the new commands and
# reply format), then, holding 100,000 more keys, v4, which changes the entry
# struct and the statistics global: every key and value survives.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/build/bin"
ex="$root/examples/kvserver"
work=$(mktemp -d "${TMPDIR:-/tmp}/dsu-demo.XXXXXX")
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  exec 3>&- 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "building kvserver v1, v2, v3, v4 with dsu-cc"
for v in v1 v2 v3 v4; do
  mkdir -p "$work/$v"
  (cd "$work/$v" && "$bin/dsu-cc" -O2 -std=c11 -o kvserver "$ex/$v"/*.c)
  echo "  $v: $("$bin/dsu" model "$work/$v/kvserver" | head -1)"
done
cc -O2 -o "$work/kvclient" "$ex/client/kvclient.c"
cc -O2 -o "$work/kvload" "$ex/client/kvload.c"

say "what changes from v1 to v2 (dsu diff)"
"$bin/dsu" diff "$work/v1/kvserver" "$work/v2/kvserver"
"$bin/dsu" patch "$work/v1/kvserver" "$work/v2/kvserver" -o "$work/v1-v2.patch"
"$bin/dsu" patch "$work/v2/kvserver" "$work/v3/kvserver" -o "$work/v2-v3.patch"
"$bin/dsu" patch "$work/v3/kvserver" "$work/v4/kvserver" -o "$work/v3-v4.patch"

say "starting v1"
"$work/v1/kvserver" -p 0 > "$work/server.out" 2> "$work/server.err" &
server=$!
for _ in $(seq 100); do grep -q '^listening on' "$work/server.out" && break; sleep 0.05; done
port=$(sed -n 's/^listening on //p' "$work/server.out")
echo "  pid $server, port $port"

# One client connection for the whole demo: commands go in through a fifo.
mkfifo "$work/to-server"
"$work/kvclient" 127.0.0.1 "$port" < "$work/to-server" > "$work/replies" &
exec 3> "$work/to-server"
seen=0
ask() { # ask COMMAND... : sends commands, prints them with their replies
  for c in "$@"; do
    printf '%s\n' "$c" >&3
    seen=$((seen + 1))
    for _ in $(seq 200); do [ "$(wc -l < "$work/replies")" -ge "$seen" ] && break; sleep 0.02; done
    printf '  > %-22s %s\n' "$c" "$(sed -n "${seen}p" "$work/replies")"
  done
}
ask VERSION "SET user:1 alice" "SET user:2 bob" "SET user:1 carol" COUNT "GET user:1" "APPEND user:2 by"

say "applying v1 -> v2 live (new APPEND command, COUNT bug fix, new counter)"
echo "  (v1 counted user:1 twice; the fix applies to new SETs, the running count is state and is kept)"
"$bin/dsu" apply "$server" "$work/v1-v2.patch"
ask VERSION "APPEND user:2 by" "GET user:2" "SET user:3 dave" COUNT STATS

say "applying v2 -> v3 live (GET answers with the value's length, new INCR)"
"$bin/dsu" apply "$server" "$work/v2-v3.patch"
ask VERSION "GET user:1" "GET user:2" "INCR hits" "INCR hits" COUNT

say "filling 100,000 more keys"
"$work/kvload" "$port" 4 --requests 100000 --keys 100000 --fill | tail -1
ask COUNT

say "what changes from v3 to v4: struct entry gains an expiry field, the statistics global changes type"
"$bin/dsu" diff "$work/v3/kvserver" "$work/v4/kvserver" | grep -E '^(type|global type)'
say "applying v3 -> v4 live: every entry is transformed and relocated"
"$bin/dsu" apply "$server" "$work/v3-v4.patch"
"$work/kvload" "$port" 4 --requests 100000 --keys 100000 --check | tail -1
ask VERSION "GET user:1" "EXPIRE user:1 300" "TTL user:1" "TTL user:2" COUNT STATS

say "dsu status $server"
"$bin/dsu" status "$server"
ask QUIT
echo
echo "The same connection and every key survived three live updates, one of them changing the entry type."
