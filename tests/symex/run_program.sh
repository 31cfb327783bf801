#!/usr/bin/env bash
# Checks one program of tests/symex/programs: its header comments say
#   // ARGS: <dsu symex options>          (optional)
#   // VERDICT: holds | error | unknown
#   // KIND: <error kind>                 (optional, for error programs)
#   // STATUS: <exit status>              (0 holds, 1 error, 2 unknown)
#   // REASON: <text>                     (optional: part of the unknown reason)
#   // WHERE: <file:line>                 (optional: every error case is there)
#   // NO-REPLAY: <why>                   (optional: error cases are not replayed)
# Every error test case written must reproduce under dsu replay.
set -u
driver=$1 prog=$2 out=$3
shift 3
extra="$*"   # more dsu symex options (e.g. another --search)
rm -rf "$out"; mkdir -p "$out"
args=$(sed -n 's|^// ARGS: ||p' "$prog")
want=$(sed -n 's|^// VERDICT: ||p' "$prog")
kind=$(sed -n 's|^// KIND: ||p' "$prog")
reason=$(sed -n 's|^// REASON: ||p' "$prog")
where=$(sed -n 's|^// WHERE: ||p' "$prog")
# shellcheck disable=SC2086
"$driver" symex --quiet --output-dir "$out/cases" $args $extra "$prog" >"$out/log" 2>"$out/err"
status=$?
cat "$out/log"
last=$(tail -n 1 "$out/log")
case $want in
  holds) [ "$last" = "verdict: holds" ] && [ $status -eq 0 ] || { echo "FAIL: expected holds"; cat "$out/err"; exit 1; } ;;
  error) [ "$last" = "verdict: error" ] && [ $status -eq 1 ] || { echo "FAIL: expected error"; cat "$out/err"; exit 1; } ;;
  unknown) case $last in "verdict: unknown ("*) [ $status -eq 2 ] || exit 1 ;; *) echo "FAIL: expected unknown"; exit 1 ;; esac ;;
  *) echo "FAIL: no VERDICT line in $prog"; exit 1 ;;
esac
if [ -n "$reason" ]; then
  case $last in *"$reason"*) ;; *) echo "FAIL: the reason does not say: $reason"; exit 1 ;; esac
fi
if [ -n "$kind" ]; then
  grep -q "^kind: $kind\$" "$out"/cases/error-*.case || { echo "FAIL: no error of kind $kind"; exit 1; }
fi
if [ -n "$where" ]; then
  ! grep -L "^where: .*$where\$" "$out"/cases/error-*.case | grep -q . ||
    { echo "FAIL: an error case is not at $where"; grep -h "^where:" "$out"/cases/error-*.case; exit 1; }
fi
if [ "$want" = error ] && grep -q '^// NO-REPLAY: ' "$prog"; then
  ls "$out"/cases/error-*.case > /dev/null 2>&1 || { echo "FAIL: no test case written"; exit 1; }
elif [ "$want" = error ]; then
  n=0
  for c in "$out"/cases/error-*.case; do
    n=$((n + 1))
    "$driver" replay "$c" "$prog" -- $(sed -n 's|^// CFLAGS: ||p' "$prog") >"$out/replay.log" 2>&1
    rs=$?
    if [ $rs -ne 1 ]; then
      echo "FAIL: $c did not reproduce (status $rs)"; cat "$c"; cat "$out/replay.log"; exit 1
    fi
    tail -n 1 "$out/replay.log"
  done
  [ $n -gt 0 ] || { echo "FAIL: no test case written"; exit 1; }
fi
echo PASS
