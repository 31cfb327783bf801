#!/usr/bin/env bash
# dsu symex on real redis 2.0.x request code (redis_harness.c): unpacks the
# release from ../shared/realprogs (or $DSU_REALPROGS), runs the harness's
# check and compares the verdict with the known answer; every error test
# case must reproduce natively under dsu replay.
#   redis.sh DRIVER CHECK OUT
# CHECK is one of
#   hmget-2.0.3  HMGET with a symbolic key byte (stored keys of every type and
#                every absent key) and
#                0-2 symbolic fields: error, both of 2.0.3's crashes in
#                dict.c (a null dereference for the integer-encoded value, an
#                out-of-bounds read for the string)
#   hmget-2.0.4  the same harness on 2.0.4, which fixed the crash: holds
#   setget-2.0.4 SET k v then GET k returns v, k 1-2 and v 1-4 symbolic
#                bytes (any byte: a value of 0-9999 is stored as
#                shared.integers[value], a pointer into 10,000 objects):
#                holds. Other bounds through $REDIS_HARNESS_FLAGS; times
#                in bench/RESULTS.md.
#   setget-full-2.0.4 the same at the issue's bounds: k 1-4 and v 1-8
#                bytes (about 4,650 paths, minutes): holds
#   request-2.0.4 the stored keys of hmget, then one request from a grammar
#                (8 commands: GET SET HGET HMGET EXISTS TYPE LLEN DEL, 1-2
#                one-byte arguments from "snlhzf1"): some reply comes and
#                the client is ready for the next request: holds
# Exits 77 (skipped) when the sources are absent.
set -u
driver=$1 check=$2 out=$3
shift 3
R=$(cd "$(dirname "$0")" && pwd)
REAL=${DSU_REALPROGS:-$R/../../../../shared/realprogs}
skip() { echo "SKIPPED: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

bounds=()
case $check in
  hmget-2.0.3) version=2.0.3 define=REDIS_CHECK_HMGET want=error ;;
  hmget-2.0.4) version=2.0.4 define=REDIS_CHECK_HMGET want=holds ;;
  request-2.0.4) version=2.0.4 define=REDIS_CHECK_REQUEST want=holds ;;
  setget-2.0.4) version=2.0.4 define=REDIS_CHECK_SETGET want=holds
    bounds=(-DREDIS_KEY_MAX=2 -DREDIS_VALUE_MAX=4) ;;
  setget-full-2.0.4) version=2.0.4 define=REDIS_CHECK_SETGET want=holds
    bounds=(-DREDIS_KEY_MAX=4 -DREDIS_VALUE_MAX=8) ;;
  *) fail "unknown check $check" ;;
esac
tarball=$REAL/redis-$version.tar.gz
[ -f "$tarball" ] || skip "no $tarball (redis sources: ../shared/realprogs or DSU_REALPROGS)"

rm -rf "$out"; mkdir -p "$out"
tar xzf "$tarball" -C "$out" || fail "cannot unpack $tarball"
src=$out/redis-$version
# What redis's Makefile generates (mkreleasehdr.sh) outside a git checkout.
printf '#define REDIS_GIT_SHA1 "00000000"\n#define REDIS_GIT_DIRTY "0"\n' > "$src/release.h"
# redis-server's objects (Makefile OBJ) but redis.c, which the harness
# includes, and ae.c, built with its select backend by ae_select_wrap.c.
files=("$R/redis_harness.c" "$R/ae_select_wrap.c")
for f in adlist anet dict sds zmalloc lzf_c lzf_d pqsort zipmap sha1; do
  files+=("$src/$f.c")
done
# shellcheck disable=SC2206
cflags=(-I "$src" -D$define "${bounds[@]}" ${REDIS_HARNESS_FLAGS:-} -w)

start=$(date +%s.%N)
"$driver" symex --quiet --output-dir "$out/cases" "$@" "${files[@]}" -- "${cflags[@]}" \
  > "$out/log" 2> "$out/err"
status=$?
end=$(date +%s.%N)
cat "$out/log"
echo "wall time: $(echo "$end - $start" | bc) s"
last=$(tail -n 1 "$out/log")
[ "$last" = "verdict: $want" ] || { cat "$out/err"; fail "expected verdict: $want"; }
case $want in
  holds) [ $status -eq 0 ] || fail "exit status $status for holds" ;;
  error) [ $status -eq 1 ] || fail "exit status $status for error" ;;
esac

if [ "$want" = error ]; then
  # Both crashes of 2.0.3's HMGET on a key that holds no hash: dictFind reads
  # the hash table header through the value's pointer.
  grep -q "dict.c:4[0-9][0-9]: error: null pointer dereference" "$out/log" ||
    fail "no null dereference in dict.c (the integer-encoded value)"
  grep -q "dict.c:4[0-9][0-9]: error: out-of-bounds read" "$out/log" ||
    fail "no out-of-bounds read in dict.c (the string value)"
  grep -q "hmgetCommand at .*redis.c" "$out/log" || fail "the crashes are not in hmgetCommand"
  n=0
  for c in "$out"/cases/error-*.case; do
    [ -f "$c" ] || continue
    n=$((n + 1))
    "$driver" replay "$c" "${files[@]}" -- "${cflags[@]}" -lm -lpthread > "$out/replay-$n.log" 2>&1
    rs=$?
    tail -n 1 "$out/replay-$n.log"
    [ $rs -eq 1 ] || { cat "$c" "$out/replay-$n.log"; fail "$c did not reproduce natively (status $rs)"; }
  done
  [ $n -ge 2 ] || fail "expected at least two test cases, got $n"
fi
echo PASS
