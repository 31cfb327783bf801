#!/usr/bin/env bash
# Update points found safe, per update, by two builds of dsu:
#   bench/safety_points.sh BASELINE_TOOLS_DIR TOOLS_DIR
# For each shared scenario, each example update and, when ../shared/realprogs
# is there, memcached 1.2.2 -> 1.2.3 -> 1.2.4 (update point at the top of
# clock_handler), builds both versions with each dsu-cc and counts the points
# `dsu diff --json` finds safe. Prints a Markdown table.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
base=$(cd "$1" && pwd); new=$(cd "$2" && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
shared="$root/../shared"

# build TOOLS OUT SRCDIR FLAGS... : dsu-cc -O2 FLAGS *.c inside SRCDIR's copy
build() {
  local tools=$1 out=$2 src=$3; shift 3
  rm -rf "$out.src"; cp -r "$src" "$out.src"
  (cd "$out.src" && "$tools/dsu-cc" -O2 -o "$out" *.c "$@") > "$out.log" 2>&1
}
count() { # count TOOLS OLD NEW -> "safe/total"
  "$1/dsu" diff --json "$2" "$3" 2>/dev/null | python3 -c '
import json,sys
try:
  p=[x for x in json.load(sys.stdin)["update_points"] if not x.get("blocking_call")]; print("%d/%d" % (sum(x["safe"] for x in p), len(p)))
except Exception: print("error")'
}
row() { # row NAME OLDSRC NEWSRC FLAGS...
  local name=$1 a=$2 b=$3; shift 3
  local r=()
  for t in "$base" "$new"; do
    local tag=$(basename "$(dirname "$t")")
    if build "$t" "$work/a" "$a" "$@" && build "$t" "$work/b" "$b" "$@"; then
      r+=("$(count "$t" "$work/a" "$work/b")")
    else
      r+=("build failed")
    fi
  done
  echo "| $name | ${r[0]} | ${r[1]} |"
}

echo "| update | safe points before | after |"
echo "| --- | --- | --- |"
for d in "$shared"/scenarios/*/; do
  [ -d "$d/v1" ] && row "scenario $(basename "$d")" "$d/v1" "$d/v2"
done
kv="$root/examples/kvserver"
for p in "v1 v2" "v2 v3" "v3 v4"; do
  set -- $p
  row "kvserver $1 -> $2" "$kv/$1" "$kv/$2" -D_GNU_SOURCE
done
row "kvserver-mt v1 -> v2" "$root/examples/kvserver-mt/v1" \
  "$root/examples/kvserver-mt/v2" -D_GNU_SOURCE -pthread
for t in phases afteruse framestate evloop pollwait parked; do
  row "tests/e2e $t" "$root/tests/e2e/programs/$t/v1" \
    "$root/tests/e2e/programs/$t/v2" -levent -pthread
done
if [ -d "$shared/realprogs" ]; then
  for v in 1.2.2 1.2.3 1.2.4; do
    tar xzf "$shared/realprogs/memcached-$v.tar.gz" -C "$work"
    m="$work/memcached-$v"
    printf '#define PACKAGE "memcached"\n#define VERSION "%s"\n#define HAVE_STDBOOL_H 1\n#define HAVE_STDINT_H 1\n#define HAVE_MALLOC_H 1\n#define HAVE_MLOCKALL 1\n#define ENDIAN_LITTLE 1\n' "$v" > "$m/config.h"
    sed -i '1i #include <dsu.h>' "$m/memcached.c"
    sed -i '/^static void clock_handler(const int fd, const short which, void \*arg) {/a\    DSU_UPDATE_POINT();' "$m/memcached.c"
    rm -f "$m/testapp.c" "$m"/*_test.c
  done
  for p in "1.2.2 1.2.3" "1.2.3 1.2.4"; do
    set -- $p
    row "memcached $1 -> $2" "$work/memcached-$1" "$work/memcached-$2" \
      -DHAVE_CONFIG_H -D_GNU_SOURCE -fgnu89-inline -w -levent
  done
fi
