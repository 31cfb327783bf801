#!/usr/bin/env bash
# The CLI on bad input (issue 11, item 12): a build whose .dsu.tu records were
# damaged or edited, and inputs that are not regular files, are refused with
# 'dsu: error: FILE: ...' and exit 1: never a crash inside LLVM, never a hang,
# never a model accepted as if nothing had happened.
source "$(dirname "$0")/lib.sh"
P="$E2E_DIR/programs"

build v1 "$P/onstack/v1/main.c"
build v2 "$P/onstack/v2/main.c"
make_patch v1 v2 good.patch

# expect_error WHAT TEXT CMD... : exit 1 (not a signal, not 0), the prefix, TEXT
expect_error() {
  local what=$1 text=$2; shift 2
  timeout 20 "$@" > "$WORK/out" 2>&1
  local rc=$?
  check "$what: exit 1 (got $rc)" test "$rc" -eq 1
  check "$what: dsu: error: prefix" contains "$WORK/out" "dsu: error: "
  check "$what: names the reason ($text)" contains "$WORK/out" "$text"
  not_contains "$WORK/out" "Stack dump" || fail "$what: LLVM crash report"
}

for mode in json bitcode length rejson rebitcode; do
  cp "$WORK/v2" "$WORK/t-$mode"
  python3 "$E2E_DIR/tutool.py" "$WORK/t-$mode" "$mode"
done
expect_error "json byte flipped (diff)" "checksum mismatch" "$DSU" diff "$WORK/v1" "$WORK/t-json"
expect_error "bitcode byte flipped (patch)" "checksum mismatch" \
  "$DSU" patch "$WORK/v1" "$WORK/t-bitcode" -o "$WORK/x.patch"
expect_error "bitcode byte flipped (diff)" "$WORK/t-bitcode: " "$DSU" diff "$WORK/v1" "$WORK/t-bitcode"
expect_error "record length too large" "truncated .dsu.tu record" "$DSU" diff "$WORK/v1" "$WORK/t-length"
expect_error "model replaced, checksum recomputed" "program model" \
  "$DSU" patch "$WORK/v1" "$WORK/t-rejson" -o "$WORK/x.patch"
expect_error "bitcode magic broken, checksum recomputed" "not LLVM bitcode" \
  "$DSU" patch "$WORK/v1" "$WORK/t-rebitcode" -o "$WORK/x.patch"
expect_error "dsu model on a damaged build" "checksum mismatch" "$DSU" model "$WORK/t-json"
check "no output written for a damaged build" test ! -e "$WORK/x.patch"

# Many single-byte flips across the section: never a crash, never exit 0
# with a changed model (the checksum catches every one).
python3 - "$WORK/v2" "$WORK/flip" <<'PY'
import sys
blob = open(sys.argv[1], "rb").read()
pos = blob.find(b"DSUTU003")
end = pos + 48 + int.from_bytes(blob[pos + 32:pos + 40], "little")
step = max(1, (end - pos) // 40)
for i, off in enumerate(range(pos, end, step)):
    b = bytearray(blob); b[off] ^= 0x01 << (i % 8)
    open("%s-%d" % (sys.argv[2], i), "wb").write(b)
PY
crashes=0; accepted=0; n=0
for f in "$WORK"/flip-*; do
  n=$((n + 1))
  timeout 20 "$DSU" diff "$WORK/v1" "$f" > "$WORK/out" 2>&1
  rc=$?
  [ "$rc" -eq 0 ] && accepted=$((accepted + 1))
  [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ] && crashes=$((crashes + 1))
done
check "$n flipped sections: no crash ($crashes)" test "$crashes" -eq 0
check "$n flipped sections: none accepted ($accepted)" test "$accepted" -eq 0

# Inputs that are not regular files.
mkfifo "$WORK/fifo"
expect_error "a FIFO (diff)" "$WORK/fifo: not a regular file" "$DSU" diff "$WORK/fifo" "$WORK/v2"
expect_error "a FIFO (patch)" "$WORK/fifo: not a regular file" \
  "$DSU" patch "$WORK/v1" "$WORK/fifo" -o "$WORK/x.patch"
expect_error "a FIFO (model)" "$WORK/fifo: not a regular file" "$DSU" model "$WORK/fifo"
expect_error "/dev/zero" "/dev/zero: not a regular file" "$DSU" diff /dev/zero "$WORK/v2"
expect_error "/dev/zero (model)" "/dev/zero: not a regular file" "$DSU" model /dev/zero
mkdir "$WORK/dir"
expect_error "a directory" "$WORK/dir: is a directory" "$DSU" diff "$WORK/v1" "$WORK/dir"
expect_error "a FIFO as transformers" "$WORK/fifo: not a regular file" \
  "$DSU" patch "$WORK/v1" "$WORK/v2" --transformers "$WORK/fifo" -o "$WORK/x.patch"

# The undamaged build still diffs and patches.
"$DSU" diff "$WORK/v1" "$WORK/v2" > "$WORK/diff.out" 2>&1
check "the undamaged build still diffs" test $? -eq 0

# Patch integrity (issue 11, item 8): every byte of a patch is checked, the
# payload's ELF structure before the dynamic loader sees it, and a process
# started with trusted keys loads only patches signed by one of them.
build s1 "$E2E_DIR/programs/hits/v1/main.c"
build s2 "$E2E_DIR/programs/hits/v2/main.c"
make_patch s1 s2 s.patch
T="$E2E_DIR/patchtool.py"
python3 "$T" "$WORK/s.patch" "$WORK/plan.patch" --flip-plan 5
python3 "$T" "$WORK/s.patch" "$WORK/lastbase.patch" --base-byte 31
python3 "$T" "$WORK/s.patch" "$WORK/elf.patch" --elf 39 # e_phoff's top byte
python3 "$T" "$WORK/s.patch" "$WORK/dyn.patch" --elf 16 # e_type: not ET_DYN
"$DSU" keygen "$WORK/k1" > /dev/null && "$DSU" keygen "$WORK/k2" > /dev/null
check "keygen writes the secret key with mode 600" test "$(stat -c %a "$WORK/k1")" = 600
"$DSU" keygen "$WORK/k1" > "$WORK/again.out" 2>&1
check "keygen never replaces a key" test $? -eq 1
"$DSU" patch "$WORK/s1" "$WORK/s2" -o "$WORK/signed1.patch" --sign "$WORK/k1"
check "dsu patch --sign" test $? -eq 0
"$DSU" patch "$WORK/s1" "$WORK/s2" -o "$WORK/signed2.patch" --sign "$WORK/k2"
# Changed after signing, with every checksum recomputed.
python3 "$T" "$WORK/signed1.patch" "$WORK/resigned.patch" --base-byte 31
python3 "$T" "$WORK/signed1.patch" "$WORK/forged.patch" --elf 200
chmod 600 "$WORK"/*.patch

# rawrefuse WHAT PATCH TEXT : the runtime itself refuses (no CLI pre-check)
rawrefuse() {
  python3 "$E2E_DIR/rawapply.py" "$SOCK" "APPLY 2000 $WORK/$2" > "$WORK/$2.raw" 2>&1
  check "runtime refuses $1" contains "$WORK/$2.raw" "ERR"
  check "runtime names the reason for $1 ($3)" contains "$WORK/$2.raw" "$3"
}
start s1
send a
wait_lines "$WORK/s1.out" 1
SOCK="$DSU_RUNTIME_DIR/$PID.sock"
rawrefuse "a changed plan byte" plan.patch "plan checksum mismatch"
rawrefuse "a changed last byte of the base version" lastbase.patch "is for version"
rawrefuse "a broken ELF header, checksums recomputed" elf.patch "program headers are not inside the file"
rawrefuse "a payload that is no shared object, checksums recomputed" dyn.patch "not an ELF shared object"
"$DSU" apply "$PID" "$WORK/plan.patch" --timeout 2 > "$WORK/plan.out" 2>&1
check "dsu apply refuses a changed plan byte" contains "$WORK/plan.out" "plan checksum mismatch"
"$DSU" apply "$PID" "$WORK/forged.patch" --timeout 2 > "$WORK/forged.out" 2>&1
check "dsu apply refuses a signed patch changed after signing" contains "$WORK/forged.out" "bad signature"
send b
wait_lines "$WORK/s1.out" 2
check "the process still serves version 1" contains "$WORK/s1.out" "[v1] 2 hits, last b"
stop

# A process started with trusted keys.
(umask 077; cat "$WORK/k1.pub" > "$WORK/trusted")
DSU_TRUSTED_KEYS="$WORK/trusted" start s1
send a
wait_lines "$WORK/s1.out" 1
SOCK="$DSU_RUNTIME_DIR/$PID.sock"
rawrefuse "an unsigned patch (keys required)" s.patch "is not signed"
rawrefuse "a patch signed by another key" signed2.patch "which this process does not trust"
rawrefuse "a signed patch changed, checksums recomputed" resigned.patch "bad signature"
rawrefuse "a forged signed patch" forged.patch "bad signature"
"$DSU" apply "$PID" "$WORK/signed1.patch" --timeout 5 > "$WORK/signed1.out" 2>&1 &
AP=$!
sleep 0.3
send b
check "a patch signed by the trusted key applies" wait "$AP"
wait_lines "$WORK/s1.out" 2
check "the process runs version 2" contains "$WORK/s1.out" "[v2] 2 hits, last b"
stop

# Trusted keys that cannot be used: every patch refused, never a fallback.
chmod 666 "$WORK/trusted"
DSU_TRUSTED_KEYS="$WORK/trusted" start s1
SOCK="$DSU_RUNTIME_DIR/$PID.sock"
rawrefuse "any patch when the key file is writable by others" signed1.patch "writable by group or others"
stop

# A program built with its trusted key (-fdsu-trusted-key): no variable
# needed, and the environment cannot add a key.
build sk -fdsu-trusted-key="$WORK/k1.pub" "$E2E_DIR/programs/hits/v1/main.c"
check "the built-in key is in the program" contains <(strings "$WORK/sk") "$(cat "$WORK/k1.pub")"
(umask 077; cat "$WORK/k2.pub" > "$WORK/trusted2")
DSU_TRUSTED_KEYS="$WORK/trusted2" start sk
send a
wait_lines "$WORK/sk.out" 1
SOCK="$DSU_RUNTIME_DIR/$PID.sock"
rawrefuse "an unsigned patch (key built in)" s.patch "is not signed"
rawrefuse "another key, even named in DSU_TRUSTED_KEYS (key built in)" signed2.patch "does not trust"
"$DSU" apply "$PID" "$WORK/signed1.patch" --timeout 5 > "$WORK/sk1.out" 2>&1 &
AP=$!
sleep 0.3
send b
check "a patch signed by the built-in key applies" wait "$AP"
wait_lines "$WORK/sk.out" 2
check "the keyed program runs version 2" contains "$WORK/sk.out" "[v2] 2 hits, last b"
stop
echo nothex > "$WORK/bad.pub"
"$DSU_CC" -o "$WORK/badkey" -fdsu-trusted-key="$WORK/bad.pub" "$E2E_DIR/programs/hits/v1/main.c" > "$WORK/badkey.out" 2>&1
check "dsu-cc refuses a key file that is no public key" test $? -ne 0
check "dsu-cc names the key file" contains "$WORK/badkey.out" "bad.pub: not a public key"
finish
