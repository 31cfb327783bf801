#!/usr/bin/env python3
"""Sends one raw request to a process's control socket and prints the reply.
Used to reach the runtime's own checks, which `dsu apply` would pre-empt.
usage: rawapply.py SOCKET "APPLY TIMEOUT_MS PATCH" | "STATUS" | OTHER
APPLY opens PATCH and passes it, with a fresh commit word, as descriptors,
as dsu apply does (include/dsu/control_protocol.h)."""
import fcntl
import mmap
import os
import socket
import struct
import sys

WORD_SIZE = 4096
PENDING = 1

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(20)
s.connect(sys.argv[1])
request = sys.argv[2]
fds = []
if request.startswith("APPLY "):
    _, timeout, path = request.split(" ", 2)
    request = "APPLY " + timeout
    fds.append(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
    word = os.memfd_create("dsu-commit-word", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    os.ftruncate(word, WORD_SIZE)
    fcntl.fcntl(word, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW)
    m = mmap.mmap(word, WORD_SIZE)
    m[0:4] = struct.pack("=I", PENDING)
    fds.append(word)
body = request.encode()
frame = struct.pack("=I", len(body)) + body
if fds:
    socket.send_fds(s, [frame], fds)
else:
    s.sendall(frame)
data = b""
try:
    while len(data) < 4 or len(data) < 4 + struct.unpack("=I", data[:4])[0]:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
except socket.timeout:
    print("(no answer)")
    sys.exit(1)
print(data[4:].decode(errors="replace"))
