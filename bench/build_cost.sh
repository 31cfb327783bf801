#!/usr/bin/env bash
# The cost of an updatable build on real programs (issue 10 item 4): wall
# time of `make` and size of the executable with dsu-cc against plain
# clang-19 with the same flags, for memcached 1.2.2 and vsftpd 1.1.0 from
# ../shared/realprogs, and Debian's duktape.c with tests/realcode/duk_main.c
# (one large unit, no update point; one compile-and-link command). dsu-cc builds the sources as tests/realcode does
# (the one hand-written update point each: memcached's clock_handler,
# vsftpd's accept loop), clang-19 the sources as shipped, with the same
# flags. The two compilers' builds are interleaved, RUNS times each, and
# the best time of each is compared, so that another job on the machine
# slows both alike. With -fdsu-model-file the stored modules sit beside the
# executable (PROGRAM.dsu): that build's executable and model file are
# measured too.
# usage: bench/build_cost.sh [RUNS]      (default 3)
source "$(dirname "$0")/common.sh"
RUNS=${1:-3}
REAL=${DSU_REALPROGS:-$ROOT/../shared/realprogs}
DSU_CC="$BIN/dsu-cc"
CLANG19=$(command -v clang-19 || echo "$CLANG")
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
best() { sort -n | head -1; }
size() { stat -c %s "$1"; }
tu_section() { # bytes of .dsu.tu in an executable (0 if none)
  local hex
  hex=$(readelf -SW "$1" | sed 's/^ *\[ *[0-9]*\]//' | awk '$1 == ".dsu.tu" {print $5}')
  echo $(( 16#${hex:-0} ))
}

# prepare PROG CONFIG CC EXTRA_CFLAGS: an unpacked, configured tree in $WORK/CONFIG/PROG
prepare() {
  local prog=$1 config=$2 cc=$3 extra=$4 d="$WORK/$2"
  mkdir -p "$d"
  case $prog in
  memcached)
    tar xzf "$REAL/memcached-1.2.2.tar.gz" -C "$d"
    [ "$cc" != "$DSU_CC" ] || sed -i \
      -e 's|^static void clock_handler(const int fd, const short which, void \*arg) {$|&\n    DSU_UPDATE_POINT();|' \
      -e '0,/^#include "memcached.h"/s||#include "memcached.h"\n#include <dsu.h>|' \
      "$d/memcached-1.2.2/memcached.c"
    (cd "$d/memcached-1.2.2" && ./autogen.sh && ./configure CC="$cc" \
       CFLAGS="-O2 -D_GNU_SOURCE -fgnu89-inline $extra") > "$d/configure.log" 2>&1 ;;
  duktape)
    mkdir -p "$d/duktape" ;;
  vsftpd)
    tar xzf "$REAL/vsftpd-1.1.0.tar.gz" -C "$d"
    sed -i 's|^\( *\)#define VSF_SYSDEP_HAVE_CAPABILITIES$|\1/* no _syscall2() */|' \
      "$d/vsftpd-1.1.0/sysdeputil.c"
    [ "$cc" != "$DSU_CC" ] || python3 - "$d/vsftpd-1.1.0/standalone.c" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace('#include "standalone.h"', '#include "standalone.h"\n#include <dsu.h>', 1)
s = s.replace('  while (1)\n  {\n    int new_child;\n',
              '  while (1)\n  {\n    int new_child;\n    DSU_UPDATE_POINT();\n', 1)
open(p, 'w').write(s)
PY
    ;;
  esac
}
# build PROG CONFIG CC EXTRA_CFLAGS: prints the wall time of a clean make in ms
build() {
  local prog=$1 config=$2 cc=$3 extra=$4 t
  case $prog in
  memcached)
    local d="$WORK/$config/memcached-1.2.2"
    make -C "$d" clean > /dev/null 2>&1
    t=$(date +%s%N)
    make -C "$d" memcached > "$WORK/$config/make.log" 2>&1 ||
      { tail "$WORK/$config/make.log" >&2; exit 1; }
    ms "$t" ;;
  duktape)
    local d="$WORK/$config/duktape"
    rm -f "$d/duk"
    t=$(date +%s%N)
    (cd "$d" && "$cc" -O2 $extra -I/usr/share/duktape -o duk /usr/share/duktape/duktape.c \
       "$ROOT/tests/realcode/duk_main.c" -lm) > "$WORK/$config/make.log" 2>&1 ||
      { tail "$WORK/$config/make.log" >&2; exit 1; }
    ms "$t" ;;
  vsftpd)
    local d="$WORK/$config/vsftpd-1.1.0"
    make -C "$d" clean > /dev/null 2>&1
    t=$(date +%s%N)
    make -C "$d" CC="$cc" CFLAGS="-O2 -Wall -W -Wshadow $extra" LIBS=-lcrypt LINK="$extra" \
      > "$WORK/$config/make.log" 2>&1 || { tail "$WORK/$config/make.log" >&2; exit 1; }
    ms "$t" ;;
  esac
}

binary() { # binary PROG CONFIG
  case $1 in
  memcached) echo "$WORK/$2/memcached-1.2.2/memcached" ;;
  vsftpd) echo "$WORK/$2/vsftpd-1.1.0/vsftpd" ;;
  duktape) echo "$WORK/$2/duktape/duk" ;;
  esac
}

CONFIGS=(clang dsu modelfile)
declare -A CC=([clang]="$CLANG19" [dsu]="$DSU_CC" [modelfile]="$DSU_CC")
declare -A EXTRA=([clang]="" [dsu]="" [modelfile]="-fdsu-model-file")
# An older dsu-cc without the option: measure the two others only.
"$DSU_CC" --dsu-help 2>&1 | grep -q -- -fdsu-model-file || CONFIGS=(clang dsu)

declare -A T S TU M
for prog in memcached vsftpd duktape; do
  case $prog in
  memcached) src="$REAL/memcached-1.2.2.tar.gz" ;;
  vsftpd) src="$REAL/vsftpd-1.1.0.tar.gz" ;;
  duktape) src=/usr/share/duktape/duktape.c ;;
  esac
  [ -f "$src" ] || { echo "$prog: $src absent, skipped"; continue; }
  for c in "${CONFIGS[@]}"; do
    prepare $prog "$prog-$c" "${CC[$c]}" "${EXTRA[$c]}"
  done
  declare -A TIMES=()
  for r in $(seq "$RUNS"); do
    for c in "${CONFIGS[@]}"; do
      t=$(build $prog "$prog-$c" "${CC[$c]}" "${EXTRA[$c]}")
      TIMES[$c]+="$t "
    done
  done
  for c in "${CONFIGS[@]}"; do
    BINARY=$(binary $prog "$prog-$c")
    T[$c]=$(echo ${TIMES[$c]} | tr ' ' '\n' | best)
    S[$c]=$(size "$BINARY")
    TU[$c]=$(tu_section "$BINARY")
    M[$c]=$( [ -f "$BINARY.dsu" ] && size "$BINARY.dsu" || echo 0)
  done
  echo "$prog: clang-19 build ${T[clang]} ms (runs: ${TIMES[clang]% }), binary ${S[clang]} bytes"
  echo "$prog: dsu-cc   build ${T[dsu]} ms (runs: ${TIMES[dsu]% }), binary ${S[dsu]} bytes (.dsu.tu ${TU[dsu]})"
  echo "$prog: dsu-cc/clang-19 build time ratio $(ratio "${T[dsu]}" "${T[clang]}"), binary size ratio $(ratio "${S[dsu]}" "${S[clang]}")"
  if [ -n "${T[modelfile]:-}" ]; then
    echo "$prog: dsu-cc -fdsu-model-file build ${T[modelfile]} ms (runs: ${TIMES[modelfile]% }), binary ${S[modelfile]} bytes (.dsu.tu ${TU[modelfile]}), model file ${M[modelfile]} bytes"
    echo "$prog: -fdsu-model-file/clang-19 build time ratio $(ratio "${T[modelfile]}" "${T[clang]}"), binary size ratio $(ratio "${S[modelfile]}" "${S[clang]}")"
  fi
  unset TIMES
done
