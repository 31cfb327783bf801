#!/usr/bin/env python3
"""Crafts damaged or hostile patch files for the bad-input tests.

usage: patchtool.py IN OUT [--payload SO] [--base VID] [--flip N] [--truncate N]
  --payload SO   replace the shared object, with valid checksums
  --base VID     claim another base version, with valid checksums
  --flip N       flip byte N of the payload, leaving checksums stale
  --truncate N   keep only the first N bytes of the file
The layout is include/dsu/patch_format.h's struct dsu_patch_header.
"""
import struct
import sys

HEADER = struct.Struct("<8sII32s32sQQQQ")


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def main(argv):
    src, dst, opts = argv[1], argv[2], argv[3:]
    blob = open(src, "rb").read()
    magic, fmt, hsize, base, target, psize, phash, plsize, hhash = HEADER.unpack_from(blob)
    payload = blob[HEADER.size:HEADER.size + psize]
    plan = blob[HEADER.size + psize:]
    rehash = False
    flip = truncate = None
    i = 0
    while i < len(opts):
        if opts[i] == "--payload":
            payload = open(opts[i + 1], "rb").read()
            rehash = True
        elif opts[i] == "--base":
            base = opts[i + 1].encode().ljust(32, b"\0")
            rehash = True
        elif opts[i] == "--flip":
            flip = int(opts[i + 1])
        elif opts[i] == "--truncate":
            truncate = int(opts[i + 1])
        else:
            sys.exit("patchtool: unknown option " + opts[i])
        i += 2
    if rehash:
        psize, phash = len(payload), fnv1a64(payload)
        hhash = fnv1a64(HEADER.pack(magic, fmt, hsize, base, target, psize, phash, plsize, 0))
    if flip is not None:
        payload = bytearray(payload)
        payload[flip] ^= 0xFF
        payload = bytes(payload)
    out = HEADER.pack(magic, fmt, hsize, base, target, psize, phash, plsize, hhash) + payload + plan
    if truncate is not None:
        out = out[:truncate]
    with open(dst, "wb") as f:
        f.write(out)


if __name__ == "__main__":
    main(sys.argv)
