#!/usr/bin/env python3
"""A memcached text-protocol client for the live-update tests.

  mcclient.py PORT fill N          store N keys of mixed sizes
  mcclient.py PORT check N         every one of the N keys has its value
  mcclient.py PORT session N SECS  one connection: check the N keys, then set
                                   and get other keys for SECS seconds (at
                                   most 200,000 requests), check the N keys
                                   again, print the server's version
Prints "failures F" last; exits 1 if F > 0.
"""
import socket
import sys
import time


def value(i):
    return (("v%d-" % i) * (1 + i % 37)).encode()


class Client:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.f = self.sock.makefile("rwb")

    def set(self, key, val):
        self.f.write(b"set %s 0 0 %d\r\n%s\r\n" % (key, len(val), val))
        self.f.flush()
        return self.f.readline() == b"STORED\r\n"

    def get(self, key):
        self.f.write(b"get %s\r\n" % key)
        self.f.flush()
        line = self.f.readline()
        if line == b"END\r\n":
            return None
        if not line.startswith(b"VALUE "):
            raise IOError("bad reply %r" % line)
        n = int(line.split()[3])
        data = self.f.read(n + 2)[:-2]
        if self.f.readline() != b"END\r\n":
            raise IOError("no END")
        return data

    def version(self):
        self.f.write(b"version\r\n")
        self.f.flush()
        return self.f.readline().decode().strip()


def check(c, n):
    bad = 0
    for i in range(n):
        if c.get(b"k%d" % i) != value(i):
            bad += 1
    return bad


def main():
    port, mode, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    c = Client(port)
    failures = 0
    if mode == "fill":
        failures = sum(not c.set(b"k%d" % i, value(i)) for i in range(n))
    elif mode == "check":
        failures = check(c, n)
    elif mode == "session":
        failures = check(c, n)
        end = time.time() + float(sys.argv[4])
        requests = 0
        while time.time() < end and requests < 200000:
            key = b"load%d" % (requests % 500)
            val = value(requests)
            if not c.set(key, val) or c.get(key) != val:
                failures += 1
            requests += 2
        failures += check(c, n)
        print("requests %d" % requests)
        print("version %s" % c.version())
    print("failures %d" % failures)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
