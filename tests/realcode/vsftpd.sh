#!/usr/bin/env bash
# vsftpd from ../shared/realprogs, built with dsu-cc (the README's build
# fixes: no capabilities code, -lcrypt; one hand-written update point in the
# standalone listener's accept loop), updated live: 1.1.0 -> 1.1.1 on the
# listener, whose children (one per session) are forked from it. Sessions
# started after the update greet as 1.1.1; a session open across the update
# keeps being served by its own process. Exits 77 (skipped) when the sources
# are absent or not run as root (the listener needs it).
source "$(dirname "$0")/../e2e/lib.sh"
R=$(cd "$(dirname "$0")" && pwd)
REAL=${DSU_REALPROGS:-$R/../../../shared/realprogs}
skip() { echo "SKIPPED: $*"; exit 77; }
[ -f "$REAL/vsftpd-1.1.0.tar.gz" ] || skip "no $REAL/vsftpd-1.1.0.tar.gz"
[ "$(id -u)" -eq 0 ] || skip "vsftpd's standalone listener must run as root"
getent passwd daemon > /dev/null || skip "no user 'daemon' for anonymous sessions"

# build_vsftpd VERSION: the recipe of recipes.sh, or the test fails.
source "$R/recipes.sh"
build_vsftpd() {
  recipe_vsftpd "$1" "$WORK/build-$1.log" ||
    { tail -20 "$WORK/build-$1.log"; fail "building vsftpd $1"; finish; }
}
build_vsftpd 1.1.0
build_vsftpd 1.1.1
build_vsftpd 1.1.2
build_vsftpd 1.1.3
for v in 1.1.0 1.1.1 1.1.2 1.1.3; do
  check "the update point is in the listener of $v" \
    bash -c "'$DSU' model '$WORK/vsftpd-$v/vsftpd' | grep -q 'update-point .*standalone.c'"
done
"$DSU" patch "$WORK/vsftpd-1.1.0/vsftpd" "$WORK/vsftpd-1.1.1/vsftpd" \
  -o "$WORK/vs.patch" > "$WORK/vs-patch.log" 2>&1
check "dsu patch 1.1.0 -> 1.1.1" test $? -eq 0

PORT=$((20000 + RANDOM % 20000))
mkdir -p "$WORK/empty"
cat > "$WORK/vs.conf" <<CONF
listen=YES
listen_port=$PORT
anonymous_enable=YES
local_enable=NO
ftp_username=daemon
secure_chroot_dir=$WORK/empty
CONF
"$WORK/vsftpd-1.1.0/vsftpd" "$WORK/vs.conf" > "$WORK/vs.out" 2>&1 &
PID=$!
PIDS+=("$PID")
greet() { # greet : the first line a new session gets
  python3 -c "
import socket, sys
s = socket.create_connection(('127.0.0.1', $PORT), timeout=5)
print(s.makefile('rb').readline().decode().strip())"
}
for _ in $(seq 100); do greet > /dev/null 2>&1 && break; sleep 0.05; done
greet > "$WORK/greet1"
check "1.1.0 greets" contains "$WORK/greet1" "vsFTPd 1.1.0"
# A session open across the update, served by its own (forked) process.
python3 -c "
import socket, time
s = socket.create_connection(('127.0.0.1', $PORT), timeout=10)
f = s.makefile('rwb')
print(f.readline().decode().strip())
time.sleep(2)
f.write(b'USER anonymous\r\n'); f.flush()
print(f.readline().decode().strip())
f.write(b'QUIT\r\n'); f.flush()
print(f.readline().decode().strip())" > "$WORK/open.log" 2>&1 &
OPEN=$!
"$DSU" apply "$PID" "$WORK/vs.patch" --timeout 10 > "$WORK/vs-apply.log" 2>&1 &
AP=$!
wait_pending
greet > "$WORK/greet-during" # the listener reaches its update point
wait "$AP"
check "1.1.0 -> 1.1.1 applied to the listener" test $? -eq 0
cat "$WORK/vs-apply.log"
greet > "$WORK/greet2"
check "a session started after the update greets as 1.1.1" contains "$WORK/greet2" "vsFTPd 1.1.1"
wait "$OPEN"
check "the session open across the update is still served" \
  contains "$WORK/open.log" "331"

# 1.1.1 -> 1.1.2 and 1.1.2 -> 1.1.3 change struct vsf_session, which main
# keeps in its frame across the listener's loop (forked children return into
# it), and 1.1.2 rewrites the loop itself: not safe on the listener. dsu
# must say why and leave the running listener alone.
"$DSU" diff "$WORK/vsftpd-1.1.1/vsftpd" "$WORK/vsftpd-1.1.2/vsftpd" > "$WORK/vs12.diff"
check "1.1.1 -> 1.1.2: the loop's own use of a changed global is named" \
  contains "$WORK/vs12.diff" "uses global 's_children' at standalone.c:81 after the update"
check "... and the loop body that cannot be replaced" \
  contains "$WORK/vs12.diff" "partial standalone.c:"
"$DSU" patch "$WORK/vsftpd-1.1.1/vsftpd" "$WORK/vsftpd-1.1.2/vsftpd" \
  -o "$WORK/vs12.patch" > "$WORK/vs12.log" 2>&1
check "dsu patch 1.1.1 -> 1.1.2 is refused" test $? -ne 0
"$DSU" diff "$WORK/vsftpd-1.1.2/vsftpd" "$WORK/vsftpd-1.1.3/vsftpd" > "$WORK/vs23.diff"
check "1.1.2 -> 1.1.3: main's session across the loop is named" \
  contains "$WORK/vs23.diff" "function 'main' (main.c:32), which may be active here through its call at main.c:106, uses struct vsf_session at main.c:107 after the update"
check "1.1.2 -> 1.1.3: no untyped pointer blocks it" not_contains "$WORK/vs23.diff" "refused"
greet > "$WORK/greet3"
check "the listener still greets as 1.1.1" contains "$WORK/greet3" "vsFTPd 1.1.1"
kill "$PID"
finish
