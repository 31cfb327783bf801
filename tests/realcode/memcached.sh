#!/usr/bin/env bash
# memcached from ../shared/realprogs, built with dsu-cc as it ships plus
# what its updates need by hand (an update point in clock_handler, the
# one-second timer callback libevent calls; DSU_LIVE_COUNT on the
# free-connection array, whose tail is garbage; the slab allocator named
# with -fdsu-allocator=do_slabs_alloc:do_slabs_free), and one process
# updated live under load through the whole series: 1.2.2 -> 1.2.3 (code
# changes; the flexible array spelled [0] and [] is no type change),
# 1.2.3 -> 1.2.4 (the item grows: 3,000 items move through memcached's own
# slab allocator; the connection grows), 1.2.4 -> 1.2.5 (the connection, an
# anonymous typedef, gains a tag and two fields). libevent holds the
# connections, so both type-changing patches carry a commit hook that
# re-registers them (tests/realcode/memcached/reregister.c).
# Exits 77 (skipped) when the sources or the build tools are absent.
source "$(dirname "$0")/../e2e/lib.sh"
R=$(cd "$(dirname "$0")" && pwd)
REAL=${DSU_REALPROGS:-$R/../../../shared/realprogs}
skip() { echo "SKIPPED: $*"; exit 77; }
[ -f "$REAL/memcached-1.2.2.tar.gz" ] || skip "no $REAL/memcached-1.2.2.tar.gz"
for tool in autoconf automake; do
  command -v $tool > /dev/null || skip "$tool is not installed (scripts/setup.sh installs it)"
done
[ -f /usr/include/event.h ] || skip "libevent-dev is not installed (scripts/setup.sh installs it)"

# build_mc VERSION: the recipe of recipes.sh, or the test fails.
source "$R/recipes.sh"
build_mc() {
  recipe_memcached "$1" "$WORK/build-$1.log" ||
    { tail -20 "$WORK/build-$1.log"; fail "building memcached $1"; finish; }
  echo "built memcached $1"
}
for v in 1.2.2 1.2.3 1.2.4 1.2.5; do build_mc $v; done
check "the update point is in each build" \
  bash -c "'$DSU' model '$WORK/memcached-1.2.2/memcached' | grep -q 'update-point .*memcached.c'"

"$DSU" patch "$WORK/memcached-1.2.2/memcached" "$WORK/memcached-1.2.3/memcached" \
  -o "$WORK/mc23.patch" > "$WORK/mc23.log" 2>&1
check "dsu patch 1.2.2 -> 1.2.3" test $? -eq 0
"$DSU" diff "$WORK/memcached-1.2.2/memcached" "$WORK/memcached-1.2.3/memcached" > "$WORK/mc23.diff"
check "1.2.2 -> 1.2.3 changes no type" not_contains "$WORK/mc23.diff" "type changed"

# start_mc VERSION: starts it on a fresh port (PORT, PID) and waits for it.
start_mc() {
  PORT=$((20000 + RANDOM % 20000))
  "$WORK/memcached-$1/memcached" -p $PORT -U 0 -u root > "$WORK/mc-$1.out" 2>&1 &
  PID=$!
  PIDS+=("$PID")
  for _ in $(seq 100); do
    python3 "$R/mcclient.py" $PORT check 0 > /dev/null 2>&1 && break
    sleep 0.05
  done
}
# live_update FROM TO PATCH: stores 3,000 keys in the running FROM, keeps
# one connection open under load while PATCH is applied, and checks every
# request and key, and that the connection now talks to TO.
live_update() {
  local from=$1 to=$2 patch=$3
  python3 "$R/mcclient.py" $PORT fill 3000 > "$WORK/fill-$from.log"
  check "3,000 keys stored in $from" contains "$WORK/fill-$from.log" "failures 0"
  python3 "$R/mcclient.py" $PORT session 3000 4 > "$WORK/session-$from.log" 2>&1 &
  local session=$!
  sleep 1
  "$DSU" apply "$PID" "$patch" --timeout 10 > "$WORK/apply-$from.log" 2>&1
  check "$from -> $to applied live" test $? -eq 0
  cat "$WORK/apply-$from.log" # the pause, for bench/RESULTS.md
  wait "$session"
  cat "$WORK/session-$from.log"
  check "the open connection was served throughout, no failed request ($to)" \
    contains "$WORK/session-$from.log" "failures 0"
  check "the same connection now talks to $to" \
    contains "$WORK/session-$from.log" "version VERSION $to"
  python3 "$R/mcclient.py" $PORT check 3000 > "$WORK/check-$from.log"
  check "every key and value survived ($to, on a new connection)" \
    contains "$WORK/check-$from.log" "failures 0"
}
# with_hook FROM TO: the generated transformers of FROM -> TO with the
# re-registering commit hook in place of the template's empty one, built
# into $WORK/mcFROMTO.patch.
with_hook() {
  local from=$1 to=$2 name=mc${1##*.}${2##*.}
  "$DSU" patch "$WORK/memcached-$from/memcached" "$WORK/memcached-$to/memcached" \
    -o "$WORK/$name.patch" --emit-transformers "$WORK/$name.c" > "$WORK/$name.log" 2>&1
  check "without a re-registering hook $from -> $to is refused" test $? -ne 0
  check "... naming libevent's hold" contains "$WORK/$name.log" "is given to event_set"
  check "the generated transformers of $from -> $to include the connection's system headers" \
    contains "$WORK/$name.c" "#include <event.h>"
  python3 - "$WORK/$name.c" "$R/memcached/reregister.c" <<'PY'
import sys
path, hook = sys.argv[1], open(sys.argv[2]).read()
s = open(path).read()
s = s.replace("const struct dsu_hooks __dsu_hooks = {0, 0};\n", hook, 1)
open(path, "w").write(s)
PY
  "$DSU" patch "$WORK/memcached-$from/memcached" "$WORK/memcached-$to/memcached" \
    -o "$WORK/$name.patch" --transformers "$WORK/$name.c" > "$WORK/$name.log" 2>&1
  check "dsu patch $from -> $to with the hook" test $? -eq 0
  cat "$WORK/$name.log"
}

start_mc 1.2.2
live_update 1.2.2 1.2.3 "$WORK/mc23.patch"

# 1.2.3 -> 1.2.4 grows the item (in memcached's slabs) and the connection.
"$DSU" diff "$WORK/memcached-1.2.3/memcached" "$WORK/memcached-1.2.4/memcached" > "$WORK/mc34.diff"
check "dsu diff names libevent's hold on the connections" \
  contains "$WORK/mc34.diff" "refused: objects of conn cannot be moved: code that dsu does not build may keep their addresses (an object is given to event_set at memcached.c"
check "dsu diff says the items move through memcached's slab allocator" \
  contains "$WORK/mc34.diff" "pooled struct _stritem: objects from do_slabs_alloc() are rewritten in place where the new layout fits, and move through the new build's do_slabs_alloc() and do_slabs_free() where it does not"
with_hook 1.2.3 1.2.4
check "items move through memcached's slab allocator" \
  contains "$WORK/mc34.c" "__dsu_alloc_struct__stritem, __dsu_free_struct__stritem}"
live_update 1.2.3 1.2.4 "$WORK/mc34.patch"
check "every item was transformed" grep -Eq "[3-9][0-9]{3} objects" "$WORK/apply-1.2.3.log"

# 1.2.4 -> 1.2.5 grows the connection (an anonymous typedef that gains a tag
# and two fields); the untyped fields (conn.item, conn.write_and_free,
# iovec.iov_base, msghdr.msg_name) are inferred and need no annotation.
"$DSU" diff "$WORK/memcached-1.2.4/memcached" "$WORK/memcached-1.2.5/memcached" > "$WORK/mc45.diff"
check "1.2.4 -> 1.2.5: the connection is matched across its new tag" \
  contains "$WORK/mc45.diff" "type changed struct conn: was conn (the same typedef name)"
check "the void * fields are inferred, not refused" \
  contains "$WORK/mc45.diff" "untyped struct msghdr.msg_name: may point into conn"
with_hook 1.2.4 1.2.5
live_update 1.2.4 1.2.5 "$WORK/mc45.patch"
check "the connections moved" grep -Eq "[1-9][0-9]* objects? and" "$WORK/apply-1.2.4.log"
kill "$PID"
finish
