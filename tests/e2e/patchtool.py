#!/usr/bin/env python3
"""Crafts damaged or hostile patch files for the bad-input tests.

usage: patchtool.py IN OUT [--payload SO] [--base VID] [--flip N] [--truncate N]
                           [--flip-plan N] [--base-byte N] [--elf OFFSET]
  --payload SO     replace the shared object, with valid checksums
  --base VID       claim another base version, with valid checksums
  --flip N         flip byte N of the payload, leaving checksums stale
  --truncate N     keep only the first N bytes of the file
  --flip-plan N    flip byte N of the plan, leaving checksums stale
  --base-byte N    flip byte N of the base version field, with valid checksums
  --elf OFFSET     flip a byte of the payload's ELF structure at OFFSET, with
                   valid checksums (what a forger would do)
The layout is include/dsu/patch_format.h's struct dsu_patch_header (format 2).
Checksums recomputed leave a signature stale: a signed patch stays refused.
"""
import struct
import sys

HEADER = struct.Struct("<8sII32s32sQQQQII32s64sQ")
# Format 1, to show what the old runtime accepted: no plan hash, no signature.
HEADER1 = struct.Struct("<8sII32s32sQQQQ")


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def main(argv):
    src, dst, opts = argv[1], argv[2], argv[3:]
    blob = open(src, "rb").read()
    v1 = struct.unpack_from("<I", blob, 8)[0] == 1
    if v1:
        g = HEADER1.unpack_from(blob)
        f = list(g[:8]) + [0, 0, 0, b"", b"", g[8]]
    else:
        f = list(HEADER.unpack_from(blob))
    # magic fmt hsize base target psize phash plsize plhash flags reserved signer sig hhash
    rehash = False
    flip = flip_plan = truncate = elf = rehash_payload = None
    i = 0
    while i < len(opts):
        arg = opts[i + 1]
        if opts[i] == "--payload":
            rehash_payload = open(arg, "rb").read()
            rehash = True
        elif opts[i] == "--base":
            f[3] = arg.encode().ljust(32, b"\0")
            rehash = True
        elif opts[i] == "--base-byte":
            b = bytearray(f[3]); b[int(arg)] ^= 0x01; f[3] = bytes(b)
            rehash = True
        elif opts[i] == "--elf":
            elf = int(arg)
            rehash = True
        elif opts[i] == "--flip":
            flip = int(arg)
        elif opts[i] == "--flip-plan":
            flip_plan = int(arg)
        elif opts[i] == "--truncate":
            truncate = int(arg)
        else:
            sys.exit("patchtool: unknown option " + opts[i])
        i += 2
    def pack(f):
        return HEADER1.pack(*(f[:8] + [f[13]])) if v1 else HEADER.pack(*f)
    size = HEADER1.size if v1 else HEADER.size
    payload = blob[size:size + f[5]]
    plan = blob[size + f[5]:]
    if rehash_payload is not None:
        payload = rehash_payload
    if elf is not None:
        b = bytearray(payload); b[elf] ^= 0xFF; payload = bytes(b)
    if rehash:
        f[5], f[6] = len(payload), fnv1a64(payload)
        f[8] = fnv1a64(plan)
        f[13] = 0
        f[13] = fnv1a64(pack(f))
    if flip is not None:
        b = bytearray(payload); b[flip] ^= 0xFF; payload = bytes(b)
    if flip_plan is not None:
        b = bytearray(plan); b[flip_plan] ^= 0xFF; plan = bytes(b)
    out = pack(f) + payload + plan
    if truncate is not None:
        out = out[:truncate]
    with open(dst, "wb") as fh:
        fh.write(out)


if __name__ == "__main__":
    main(sys.argv)
