#!/usr/bin/env python3
"""Damages the .dsu.tu records of a binary built with dsu-cc, in place.

usage: tutool.py FILE MODE
  json      flip a byte early in the first record's payload (where the model
            JSON starts; checksum left stale)
  bitcode   flip a byte late in the first record's payload (checksum stale)
  length    make the first record's payload length huge
  rejson    replace the model JSON with other JSON of the same length,
            compress again and recompute the checksum (a deliberate edit,
            not an accident)
  rebitcode break the bitcode's magic, compress again and recompute the
            checksum
The record layout is lib/Model/TURecord.cpp's (format 3): magic[8]
method[8] json_size[8] bitcode_size[8] payload_size[8] checksum[8] payload,
little-endian; the payload is one zstd frame (method 1) holding the JSON and
the bitcode. A record compressed again is written in the old one's place,
zero-padded (the reader skips padding between records), so that the file's
layout does not move. zstd is called through ctypes (libzstd.so.1, which
LLVM depends on).
"""
import ctypes
import struct
import sys

MAGIC = b"DSUTU003"
HEAD = 48


def fnv(data, h=0xCBF29CE484222325):
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def zstd():
    z = ctypes.CDLL("libzstd.so.1")
    z.ZSTD_compressBound.restype = ctypes.c_size_t
    z.ZSTD_compressBound.argtypes = [ctypes.c_size_t]
    z.ZSTD_compress.restype = ctypes.c_size_t
    z.ZSTD_compress.argtypes = [ctypes.c_void_p, ctypes.c_size_t,
                                ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int]
    z.ZSTD_decompress.restype = ctypes.c_size_t
    z.ZSTD_decompress.argtypes = [ctypes.c_void_p, ctypes.c_size_t,
                                  ctypes.c_char_p, ctypes.c_size_t]
    z.ZSTD_isError.argtypes = [ctypes.c_size_t]
    return z


def unpack(payload, size):
    z = zstd()
    out = ctypes.create_string_buffer(size)
    n = z.ZSTD_decompress(out, size, bytes(payload), len(payload))
    if z.ZSTD_isError(n) or n != size:
        sys.exit("tutool: cannot unpack the record")
    return out.raw


def pack(plain, level):
    z = zstd()
    cap = z.ZSTD_compressBound(len(plain))
    out = ctypes.create_string_buffer(cap)
    n = z.ZSTD_compress(out, cap, plain, len(plain), level)
    if z.ZSTD_isError(n):
        sys.exit("tutool: cannot compress")
    return out.raw[:n]


def main(path, mode):
    blob = bytearray(open(path, "rb").read())
    pos = blob.find(MAGIC)
    if pos < 0:
        sys.exit("tutool: no record in " + path)
    method, jlen, blen, plen = struct.unpack_from("<QQQQ", blob, pos + 8)
    body = pos + HEAD
    if mode == "json":
        blob[body + 8] ^= 0x5A
    elif mode == "bitcode":
        blob[body + plen * 3 // 4] ^= 0x5A
    elif mode == "length":
        struct.pack_into("<Q", blob, pos + 32, 1 << 40)
    elif mode in ("rejson", "rebitcode"):
        plain = bytearray(unpack(blob[body:body + plen], jlen + blen)
                          if method == 1 else blob[body:body + plen])
        if mode == "rejson":
            fake = b'{"tu":[1,2,3]}'
            plain[:jlen] = fake + b" " * (jlen - len(fake))
        else:
            plain[jlen] ^= 0xFF
        for level in (3, 19, 22):
            payload = pack(bytes(plain), level)
            if len(payload) <= plen:
                break
        else:
            sys.exit("tutool: the record does not fit in its place")
        head = MAGIC + struct.pack("<QQQQ", 1, jlen, blen, len(payload))
        rec = head + struct.pack("<Q", fnv(payload, fnv(head))) + payload
        blob[pos:body + plen] = rec + b"\0" * (HEAD + plen - len(rec))
    else:
        sys.exit("tutool: unknown mode " + mode)
    open(path, "wb").write(blob)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
