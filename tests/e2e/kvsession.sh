# The example key-value server driven by its scripted client, for the
# differential tests of merged programs (merge.sh, merge_chains.sh): sourced
# after lib.sh. Builds the client and a poll shim, defines kv_session.
# The server's poll has a 1 s timeout (its idle tick), so a session slowed
# down by other jobs would get extra update-point visits: both servers run
# with a shim that makes poll wait without timeout, so that visits are
# numbered by the client's requests alone.
EX="$E2E_DIR/../../examples/kvserver"
cc -O2 -o "$WORK/kvclient" "$EX/client/kvclient.c"
cat > "$WORK/notimeout.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <poll.h>
int poll(struct pollfd *fds, nfds_t n, int timeout) {
  static int (*real)(struct pollfd *, nfds_t, int);
  if (!real)
    real = (int (*)(struct pollfd *, nfds_t, int))dlsym(RTLD_NEXT, "poll");
  return real(fds, n, timeout < 0 ? timeout : -1);
}
C
cc -O2 -shared -fPIC -o "$WORK/notimeout.so" "$WORK/notimeout.c" -ldl
# kv_session EXE OUT ENV... : plays $SESSION against EXE; the replies in OUT
kv_session() {
  local exe=$1 out=$2; shift 2
  : > "$out.srv"
  env LD_PRELOAD="$WORK/notimeout.so" "$@" "$exe" -p 0 -b 127.0.0.1 > "$out.srv" 2> "$out.err" &
  local pid=$! port=""
  for _ in $(seq 200); do
    port=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$out.srv")
    [ -n "$port" ] && break
    sleep 0.05
  done
  "$WORK/kvclient" -t 10 127.0.0.1 "${port:-1}" < "$SESSION" > "$out"
  # The server sees the client's close before it is stopped (one more
  # visit). A signal that lands between the server's check of its stop
  # flag and its poll (which has no timeout here) is not seen until the
  # next one.
  sleep 0.2
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
    kill -TERM "$pid" 2>/dev/null
  done
  wait "$pid"
  echo "exit $?" >> "$out"
}
