#!/usr/bin/env python3
"""Hold N open TCP connections on loopback, both ends in this process (N/2
pairs, accepted from a listener of its own), for bench/doctor.sh: a tracer's
maps get one entry per socket, and doctor checks each against the system.

Writes one line per socket to OUT: "FD LADDR LPORT RADDR RPORT", then
"ready" on stdout, and holds them until killed.

  conns.py N OUT
"""
import os
import signal
import socket
import sys


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1024)
    socks = []
    with open(out, "w") as f:
        for _ in range(n // 2):
            c = socket.create_connection(ls.getsockname())
            s, _ = ls.accept()
            for x in (c, s):
                socks.append(x)
                la, lp = x.getsockname()
                ra, rp = x.getpeername()
                f.write("%d %s %d %s %d\n" % (x.fileno(), la, lp, ra, rp))
    print("ready", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
