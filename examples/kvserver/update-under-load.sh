#!/bin/sh
# update-under-load.sh [-k KEYS] [-s SECONDS] [-c CONNECTIONS] [-d DEPTH] FROM TO...
#
# Live update of kvserver while clients hammer it: builds every version named
# (v1 v2 ...) with dsu-cc through the Makefile, makes a patch for each step,
# starts FROM, fills KEYS keys (default 100000), runs a mixed load for
# SECONDS (default 6) on CONNECTIONS connections (default 16, DEPTH requests
# in flight each, default 8), applies the patches one after the other while
# the load runs, then checks that every key still has its value. Everything
# stays on 127.0.0.1. Exit status 0 iff every apply succeeded and both the
# load and the check saw errors=0.
#
#   examples/kvserver/update-under-load.sh v1 v2 v3
#
# Needs build/bin/dsu-cc and build/bin/dsu (the project's build), or
# DSU_BIN=dir containing them.
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=${DSU_BIN:-$here/../../build/bin}
keys=100000 seconds=6 conns=16 depth=8
while getopts k:s:c:d: opt; do
    case $opt in
    k) keys=$OPTARG ;;
    s) seconds=$OPTARG ;;
    c) conns=$OPTARG ;;
    d) depth=$OPTARG ;;
    *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
if [ $# -lt 2 ]; then
    echo "usage: $0 [-k KEYS] [-s SECONDS] [-c CONNECTIONS] [-d DEPTH] FROM TO..." >&2
    exit 2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/kvupdate.XXXXXX") || exit 2
pid= loadpid=
cleanup() {
    [ -n "$loadpid" ] && kill "$loadpid" 2>/dev/null
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

for v in "$@"; do
    make -s -C "$here" VERSION="$v" CC="$bin/dsu-cc" BUILD="$work/build" all || exit 1
done
prev=
for v in "$@"; do
    if [ -n "$prev" ]; then
        "$bin/dsu" patch "$work/build/$prev/kvserver" "$work/build/$v/kvserver" \
            -o "$work/$prev-$v.patch" || exit 1
    fi
    prev=$v
done

: >"$work/server.out"
"$work/build/$1/kvserver" -p 0 >"$work/server.out" 2>"$work/server.err" &
pid=$!
port=
i=0
while [ $i -lt 100 ] && [ -z "$port" ]; do
    sleep 0.05
    port=$(sed -n 's/^listening on \([0-9][0-9]*\)$/\1/p' "$work/server.out")
    i=$((i + 1))
done
[ -n "$port" ] || { echo "kvserver did not start" >&2; cat "$work/server.err" >&2; exit 1; }

load=$work/build/kvload
rc=0
out=$("$load" "$port" 4 --requests "$keys" --fill --keys "$keys" --pipeline 16) || rc=1
echo "fill:  $out"
"$load" "$port" "$conns" "$seconds" --keys "$keys" --pipeline "$depth" --set-ratio 0.3 \
    >"$work/load.out" &
loadpid=$!
steps=$(($# - 1))
gap=$(awk -v s="$seconds" -v n="$steps" 'BEGIN { printf "%.2f", s / (n + 1) }')
prev=$1
shift
for v in "$@"; do
    sleep "$gap"
    "$bin/dsu" apply "$pid" "$work/$prev-$v.patch" --timeout 5 || rc=1
    prev=$v
done
wait "$loadpid" || rc=1
loadpid=
echo "load:  $(cat "$work/load.out")"
out=$("$load" "$port" 4 --requests "$keys" --check --keys "$keys" --pipeline 16) || rc=1
echo "check: $out"
echo "VERSION" | "$work/build/kvclient" 127.0.0.1 "$port"
[ $rc -eq 0 ] && echo "update-under-load: ok" || echo "update-under-load: FAILED" >&2
exit $rc
