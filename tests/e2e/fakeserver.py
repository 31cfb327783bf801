#!/usr/bin/env python3
"""Pretends to be a process's runtime: listens at SOCKET, records what each
client sends to LOG, and answers every request with a made-up success.
Used to show that dsu apply/status do not trust whatever listens there.
usage: fakeserver.py SOCKET LOG"""
import os
import socket
import sys

path, log = sys.argv[1], sys.argv[2]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(8)
with open(log, "ab", buffering=0) as out:
    while True:
        c, _ = s.accept()
        c.settimeout(2)
        data = b""
        try:
            while not data.endswith(b"\n") and len(data) < 65536:
                chunk = c.recv(4096)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
        out.write(data)
        fake = b'{"pid":1,"version":"fake","built_version":"fake","updates":[],"pending":null}' \
            if b"STATUS" in data else b"OK applied fake -> fake"
        try:
            c.sendall(fake + b"\n")
        except OSError:
            pass
        c.close()
