#!/bin/sh
# play.sh KVSERVER KVCLIENT SESSION.in EXPECTED
#
# Starts KVSERVER on an ephemeral port of 127.0.0.1, plays SESSION.in through
# KVCLIENT, stops the server and compares the replies with EXPECTED.
# Exit status 0 iff they are identical (a diff is printed otherwise).
set -u
if [ $# -ne 4 ]; then
    echo "usage: $0 KVSERVER KVCLIENT SESSION.in EXPECTED" >&2
    exit 2
fi
server=$1 client=$2 input=$3 expected=$4
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kvplay.XXXXXX") || exit 2
pid=
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

: >"$tmp/server.out"
"$server" -p 0 -b 127.0.0.1 >"$tmp/server.out" 2>"$tmp/server.err" &
pid=$!
port=
i=0
while [ $i -lt 100 ]; do
    port=$(sed -n 's/^listening on \([0-9][0-9]*\)$/\1/p' "$tmp/server.out")
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
    i=$((i + 1))
done
if [ -z "$port" ]; then
    echo "play.sh: $server did not start" >&2
    cat "$tmp/server.err" >&2
    exit 1
fi
"$client" -t 10 127.0.0.1 "$port" <"$input" >"$tmp/replies"
rc=$?
if ! diff -u "$expected" "$tmp/replies"; then
    echo "play.sh: $input: replies differ from $expected" >&2
    exit 1
fi
if [ $rc -ne 0 ]; then
    echo "play.sh: kvclient failed ($rc)" >&2
    exit 1
fi
echo "play.sh: $(basename "$input"): ok"
