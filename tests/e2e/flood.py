#!/usr/bin/env python3
"""Holds many control connections open, each trickling a byte a second, as a
careless or hostile client of the same user would.
usage: flood.py SOCKET COUNT SECONDS
Prints how many connected and, for each, whether the runtime closed it
before SECONDS ran out ("closed N of M")."""
import socket
import struct
import sys
import time

path, count, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
# A plausible start: a length prefix, then a body that never completes.
request = struct.pack("<I", 100) + b"STATUS" + b" " * 94
conns = []


def connect_more():
    while len(conns) < count:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(path)
        except OSError:  # the backlog is full: try again later
            s.close()
            return
        conns.append([s, 0, False])


start = time.time()
rounds = 0
while time.time() - start < seconds:
    connect_more()
    rounds += 1
    for c in conns:
        s, sent, closed = c
        if closed:
            continue
        try:
            if sent < len(request) and rounds % 4 == 0:
                s.send(request[sent:sent + 1])
                c[1] += 1
            data = s.recv(4096)
            if data == b"":
                c[2] = True
        except BlockingIOError:
            pass
        except OSError:
            c[2] = True
    time.sleep(0.25)
print("connected %d closed %d" % (len(conns), sum(1 for c in conns if c[2])))
sys.stdout.flush()
for c in conns:
    c[0].close()
