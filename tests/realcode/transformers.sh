#!/usr/bin/env bash
# The generated transformers of every type-changing update compile unedited
# (issue 10 item 6): every version pair of the e2e programs
# (tests/e2e/programs/*/v1, v2, ...) and of examples/, and of the real
# chains in ../shared/realprogs (memcached 1.2.2..1.2.5, vsftpd
# 1.1.0..1.1.3, redis 2.0.0..2.0.4). For each pair that `dsu diff` shows a
# type change in, `dsu patch --emit-transformers F.c` writes the file (also
# when the patch is refused for another reason, such as a library's hold on
# an object), and F.c must compile as the patch builder compiles it
# (clang-19 -std=gnu11 -fPIC -c with dsu's headers). A file that needs the
# user's code says so with a DSU-TODO line; it need not compile, but then
# dsu patch must refuse, naming it.
#
# Each version is built once and shared by the pairs it is in. The e2e
# programs are always checked; the real chains are skipped (and the test
# exits 77 with the reason when none of them can be checked) when their
# sources or build tools are absent.
source "$(dirname "$0")/../e2e/lib.sh"
R=$(cd "$(dirname "$0")" && pwd)
REAL=${DSU_REALPROGS:-$R/../../../shared/realprogs}
ROOT=$(cd "$R/../.." && pwd)
INCLUDE=$(cd "$DSU_BIN/../include" && pwd)
JOBS=2
SKIPPED=()
PAIRS=0
TYPED=0

# check_pair LABEL OLD NEW : the type-changing pair's transformers compile;
# on the memcached and vsftpd chains, no `void *` needs an annotation
# (issue 10's done-when).
check_pair() {
  local label=$1 old=$2 new=$3 f="$WORK/x/$1.c" log="$WORK/x/$1.log"
  PAIRS=$((PAIRS + 1))
  if ! "$DSU" diff "$old" "$new" > "$WORK/x/$label.diff" 2> "$log"; then
    fail "$label: dsu diff failed: $(head -3 "$log")"
    return
  fi
  echo "   $label: $(grep -m1 '^summary:' "$WORK/x/$label.diff")"
  local typed=0
  grep -q "^type changed\|global type-changed" "$WORK/x/$label.diff" && typed=1
  case $label in memcached-*|vsftpd-*) ;; *) [ $typed = 1 ] || return ;; esac
  "$DSU" patch "$old" "$new" -o "$WORK/x/$label.patch" -v \
    --emit-transformers "$f" > "$log" 2>&1
  local rc=$?
  # Globals whose initialiser changed but whose running bytes the patch
  # cannot compare (GlobalInits.cpp): they keep their running values.
  grep "keeps its running value" "$log" | sed "s/^/   ($label) /"
  case $label in memcached-*|vsftpd-*)
    check "$label: no 'void *' needs an annotation" \
      bash -c "! grep -q DSU_POINTS_TO '$WORK/x/$label.diff' '$log'" ;;
  esac
  [ $typed = 1 ] || return
  TYPED=$((TYPED + 1))
  CHECKS=$((CHECKS + 1))
  if [ ! -s "$f" ]; then
    fail "$label: no transformers written (dsu patch: $(grep -v '^dsu patch: transformers written' "$log" | head -3 | tr '\n' ' '))"
    return
  fi
  local todo=0
  grep -q "DSU-TODO" "$f" && todo=1
  if "$DSU_CLANG" -std=gnu11 -O2 -fPIC -c -x c "-I$INCLUDE" "$f" \
       -o "$WORK/x/$label.o" > "$WORK/x/$label.cc.log" 2>&1; then
    pass "$label: the generated transformers compile"
  elif [ $todo = 0 ]; then
    fail "$label: the generated transformers do not compile:"
    grep -m5 "error:" "$WORK/x/$label.cc.log"
  else
    pass "$label: the transformers need the user's code (DSU-TODO)"
  fi
  if [ $todo = 1 ]; then
    CHECKS=$((CHECKS + 1))
    if [ $rc -ne 0 ] && grep -q "need code of yours" "$log"; then
      pass "$label: dsu patch refuses, naming what the user must write"
    else
      fail "$label: the transformers have a DSU-TODO but dsu patch did not refuse naming it"
    fi
  fi
  if [ $rc -ne 0 ] && ! grep -q "need code of yours" "$log"; then
    echo "   ($label: dsu patch refused for another reason: $(grep -v '^dsu patch: transformers written' "$log" | head -2 | tr '\n' ' '))"
  fi
}

# check_chain LABEL BUILD... : every consecutive pair of the chain.
check_chain() {
  local label=$1; shift
  local builds=("$@") i
  for ((i = 0; i + 1 < ${#builds[@]}; i++)); do
    check_pair "$label-$((i + 1))-$((i + 2))" "${builds[$i]}" "${builds[$((i + 1))]}"
  done
}
mkdir -p "$WORK/x" "$WORK/e2e"

# The e2e programs and examples: every directory with v1, v2, ... (all .c
# files of a version, -pthread; a version that includes libevent's header
# links it), and the variants the e2e scripts build with a -D flag
# (NAME+FLAG). Versions build in the background, JOBS at a time.
declare -A CHAIN
e2e_build() { # e2e_build OUT DIR [FLAG]
  local out=$1 dir=$2 extra=(-pthread ${3:-})
  grep -q "<event2\?/\?event.h>" "$dir"/*.c && extra+=(-levent)
  case $dir in
    */wrapped/*) extra+=(-fdsu-allocator=zmalloc:zfree) ;;
    # As tests/e2e/build_systems.sh and state_changes.sh build them.
    */flags/*) extra+=("$dir/../other.c" -fcommon -fno-strict-aliasing -fwrapv
                       -fno-builtin -std=gnu89 -fgnu89-inline -funsigned-char
                       -DVALUE=7 -mno-red-zone) ;;
    */pinned/*) extra+=("$WORK/evlib.o") ;;
  esac
  "$DSU_CC" -O2 -o "$out" "$dir"/*.c "${extra[@]}" > "$out.log" 2>&1
}
# pinned's event library is code dsu does not build.
"$DSU_CLANG" -O2 -c "$ROOT/tests/e2e/programs/pinned/evlib.c" -o "$WORK/evlib.o"
programs=()
for v1 in $(find "$ROOT/tests/e2e/programs" "$ROOT/examples" -type d -name v1 | sort); do
  programs+=("$(dirname "$v1")")
done
for spec in "${programs[@]}" "$ROOT/tests/e2e/programs/hashtable+-DTABLE_THROUGH_VOID" \
            "$ROOT/tests/e2e/programs/freelist+-DANNOTATE"; do
  d=${spec%%+*} flag=
  [ "$d" = "$spec" ] || flag=${spec#*+}
  [ -d "$d/v2" ] || continue
  name=${d#"$ROOT"/tests/e2e/programs/}
  name=${name#"$ROOT"/}${flag:+$flag}
  name=${name//\//-}
  list=()
  for ((v = 1; ; v++)); do
    [ -d "$d/v$v" ] && ls "$d/v$v"/*.c > /dev/null 2>&1 || break
    list+=("$WORK/e2e/$name-v$v")
    while [ "$(jobs -rp | wc -l)" -ge $JOBS ]; do wait -n; done
    e2e_build "$WORK/e2e/$name-v$v" "$d/v$v" $flag &
  done
  CHAIN[$name]="${list[*]}"
done
wait
for name in $(printf '%s\n' "${!CHAIN[@]}" | sort); do
  read -ra list <<< "${CHAIN[$name]}"
  built=()
  for b in "${list[@]}"; do
    if [ -x "$b" ]; then built+=("$b"); else echo "   ($name: $(basename "$b") does not build alone, skipped)"; break; fi
  done
  check_chain "$name" "${built[@]}"
done

# memcached 1.2.2 .. 1.2.5 and vsftpd 1.1.0 .. 1.1.3 as memcached.sh and
# vsftpd.sh build them (recipes.sh).
source "$R/recipes.sh"
build_mc() { recipe_memcached "$1" "$WORK/build-mc-$1.log"; }
build_vsftpd() { recipe_vsftpd "$1" "$WORK/build-vs-$1.log"; }
# redis 2.0.0 .. 2.0.4 with its own Makefile (the README's recipe), its
# allocator (zmalloc.c: a size header before each block) named, and an
# update point in serverCron, which wakes the event loop every 100 ms.
build_redis() {
  local v=$1 d="$WORK/redis-$1"
  tar xzf "$REAL/redis-$v.tar.gz" -C "$WORK"
  printf '#define REDIS_GIT_SHA1 "00000000"\n#define REDIS_GIT_DIRTY "0"\n' > "$d/release.h"
  printf '#!/bin/sh\n' > "$d/mkreleasehdr.sh"
  sed -i -e '0,/^#include "redis.h"/s||#include "redis.h"\n#include <dsu.h>|' \
         -e 's|^static int serverCron(struct aeEventLoop \*eventLoop, long long id, void \*clientData) {$|&\n    DSU_UPDATE_POINT();|' \
         "$d/redis.c"
  make -C "$d" redis-server CC="$DSU_CC" \
    OPTIMIZATION="-O2 -fdsu-allocator=zmalloc:zfree" > "$WORK/build-redis-$v.log" 2>&1
}

# real_chain NAME BUILDER BINARY VERSION... : builds the versions (JOBS at
# a time) and checks their pairs; a version that fails to build fails the
# test.
real_chain() {
  local name=$1 builder=$2 bin=$3; shift 3
  local v builds=()
  for v in "$@"; do
    while [ "$(jobs -rp | wc -l)" -ge $JOBS ]; do wait -n; done
    $builder "$v" &
  done
  wait
  for v in "$@"; do
    if [ ! -x "$WORK/$name-$v/$bin" ]; then
      fail "building $name $v (log: $(ls "$WORK"/build-*"$v".log))"
      tail -5 "$WORK"/build-*"$v".log
      return
    fi
    builds+=("$WORK/$name-$v/$bin")
  done
  local i
  for ((i = 0; i + 1 < $#; i++)); do
    local a=${*:$((i + 1)):1} b=${*:$((i + 2)):1}
    check_pair "$name-$a-$b" "${builds[$i]}" "${builds[$((i + 1))]}"
  done
  echo "$name: built $(echo "$@")"
}

have() { [ -f "$REAL/$1" ] || { SKIPPED+=("no $REAL/$1"); return 1; }; }
if have memcached-1.2.2.tar.gz; then
  if ! command -v autoconf > /dev/null || ! command -v automake > /dev/null ||
     [ ! -f /usr/include/event.h ]; then
    SKIPPED+=("memcached needs autoconf, automake and libevent-dev (scripts/setup.sh installs them)")
  else
    real_chain memcached build_mc memcached 1.2.2 1.2.3 1.2.4 1.2.5
  fi
fi
have vsftpd-1.1.0.tar.gz && real_chain vsftpd build_vsftpd vsftpd 1.1.0 1.1.1 1.1.2 1.1.3
have redis-2.0.0.tar.gz && real_chain redis build_redis redis-server 2.0.0 2.0.1 2.0.2 2.0.3 2.0.4

echo "$PAIRS version pairs, $TYPED with a type change"
for s in "${SKIPPED[@]}"; do echo "SKIPPED: $s"; done
if [ "$FAILURES" -eq 0 ] && [ ${#SKIPPED[@]} -gt 0 ]; then
  echo "SKIPPED: the real chains were not all checked (see above)"
  exit 77
fi
finish
