#!/usr/bin/env python3
"""Damages the .dsu.tu records of a binary built with dsu-cc, in place.

usage: tutool.py FILE MODE
  json      flip a byte of the first record's model JSON (checksum left stale)
  bitcode   flip a byte in the middle of the first record's bitcode
  length    make the first record's JSON length huge
  rejson    replace the model JSON with other JSON of the same length, and
            recompute the checksum (a deliberate edit, not an accident)
  rebitcode break the bitcode's magic and recompute the checksum
The record layout is lib/Model/Manifest.cpp's: magic[8] json_size[8]
bitcode_size[8] checksum[8] json bitcode, little-endian.
"""
import struct
import sys

MAGIC = b"DSUTU002"


def fnv(data, h=0xCBF29CE484222325):
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def main(path, mode):
    blob = bytearray(open(path, "rb").read())
    pos, head = blob.find(MAGIC), 32
    if pos < 0:  # a build of the dsu-cc before checksums (to show the old bugs)
        pos, head = blob.find(b"DSUTU001"), 24
    if pos < 0:
        sys.exit("tutool: no record in " + path)
    jlen, blen = struct.unpack_from("<QQ", blob, pos + 8)
    body = pos + head
    if mode == "json":
        blob[body + jlen // 2] ^= 0x5A
    elif mode == "bitcode":
        blob[body + jlen + blen // 2] ^= 0x5A
    elif mode == "length":
        struct.pack_into("<Q", blob, pos + 8, 1 << 40)
    elif mode in ("rejson", "rebitcode"):
        if mode == "rejson":
            fake = b'{"tu":[1,2,3]}'
            blob[body:body + jlen] = fake + b" " * (jlen - len(fake))
        else:
            blob[body + jlen] ^= 0xFF
        if head == 32:
            s = fnv(bytes(blob[body:body + jlen + blen]), fnv(bytes(blob[pos:pos + 24])))
            struct.pack_into("<Q", blob, pos + 24, s)
    else:
        sys.exit("tutool: unknown mode " + mode)
    open(path, "wb").write(blob)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
