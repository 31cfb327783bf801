# How the real programs of ../shared/realprogs are built with dsu-cc, shared
# by memcached.sh, vsftpd.sh and transformers.sh (sourced; needs WORK, REAL
# and DSU_CC). Each function unpacks VERSION into $WORK, adds the
# hand-written DSU lines, builds, and returns the build's status with its
# output in the LOG file named.

# memcached: an update point in clock_handler (the one-second timer
# callback libevent calls), DSU_LIVE_COUNT on the free-connection array
# (only its first freecurr entries are set) and the slab allocator named.
# MC_EXTRA_CFLAGS adds to the compile flags (bench/memcached.sh).
recipe_memcached() {
  local v=$1 log=$2 d="$WORK/memcached-$1"
  tar xzf "$REAL/memcached-$v.tar.gz" -C "$WORK"
  sed -i -e 's|^static void clock_handler(const int fd, const short which, void \*arg) {$|&\n    DSU_UPDATE_POINT();|' \
         -e '0,/^#include "memcached.h"/s||#include "memcached.h"\n#include <dsu.h>|' \
         -e 's|^static conn \*\*freeconns;|static conn **freeconns DSU_LIVE_COUNT(freecurr);|' \
         "$d/memcached.c"
  (cd "$d" && ./autogen.sh && ./configure CC="$DSU_CC" \
     CFLAGS="-O2 -D_GNU_SOURCE -fgnu89-inline -fdsu-allocator=do_slabs_alloc:do_slabs_free ${MC_EXTRA_CFLAGS:-}" &&
     make memcached) > "$log" 2>&1
}

# vsftpd: the README's build fixes (no capabilities code, -lcrypt) and an
# update point at the top of the standalone listener's accept loop.
recipe_vsftpd() {
  local v=$1 log=$2 d="$WORK/vsftpd-$1"
  tar xzf "$REAL/vsftpd-$v.tar.gz" -C "$WORK"
  sed -i 's|^\( *\)#define VSF_SYSDEP_HAVE_CAPABILITIES$|\1/* no _syscall2() in current headers */|' "$d/sysdeputil.c"
  python3 - "$d/standalone.c" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace('#include "standalone.h"', '#include "standalone.h"\n#include <dsu.h>', 1)
# The first `while (1)` of standalone.c is the listener's accept loop.
s = s.replace('\n  while (1)\n  {\n', '\n  while (1)\n  {\n    DSU_UPDATE_POINT();\n', 1)
open(p, 'w').write(s)
PY
  make -C "$d" CC="$DSU_CC" LIBS=-lcrypt LINK= > "$log" 2>&1
}
