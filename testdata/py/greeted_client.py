#!/usr/bin/env python3
"""A TLS client for tlstap's tests of a server that writes first: it opens
--conns connections one after the other, sends "req <i>\\n" right behind its
handshake, reads until the server ends the connection, and prints the
truth of each:
    conn <i> lport <L> rport <R>
then "done".  Exit 1 unless every answer holds the greeting and "resp <i>".
"""
import argparse
import socket
import ssl
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--conns", type=int, default=10)
    args = ap.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    for i in range(args.conns):
        with socket.create_connection(("127.0.0.1", args.port)) as raw:
            with ctx.wrap_socket(raw) as s:
                lport = s.getsockname()[1]
                s.sendall(b"req %d\n" % i)
                got = b""
                while True:
                    data = s.recv(4096)
                    if not data:
                        break
                    got += data
        if b"hello %d\n" % lport not in got or b"resp %d\n" % i not in got:
            sys.exit("connection %d: %r" % (i, got))
        print("conn %d lport %d rport %d" % (i, lport, args.port), flush=True)
    print("done", flush=True)


if __name__ == "__main__":
    main()
