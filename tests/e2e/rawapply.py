#!/usr/bin/env python3
"""Sends one raw request to a process's control socket and prints the reply.
Used to reach the runtime's own checks, which `dsu apply` would pre-empt.
usage: rawapply.py SOCKET REQUEST"""
import socket
import sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(20)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
data = b""
while not data.endswith(b"\n"):
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
print(data.decode().rstrip("\n"))
