#!/usr/bin/env python3
"""Two memory-BIO TLS connections whose records start with the same bytes,
for tlstap's test that a non-unique record prefix never binds.

TLS 1.2 with the NULL cipher (NULL-SHA256, security level 0): a record
carries the plaintext, then a MAC, so two connections that send the same
40-byte line produce records whose first bytes are equal.  This program
drives ssl.SSLObject over ssl.MemoryBIO itself (as asyncio does), and
orders things so that each record is produced on BOTH connections before
either is sent, and received on both before either is read: at no moment
is a prefix unique.

    membio_collide.py --port P [--rounds N]

The server (--serve) is a plain echo server in its own process.
"""
import argparse
import socket
import ssl
import sys

LINE = b"the same line on both connections.......\n"


def context(server, cert=None, key=None):
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)
    if server:
        c.load_cert_chain(cert, key)
    else:
        c.check_hostname = False
        c.verify_mode = ssl.CERT_NONE
    c.maximum_version = ssl.TLSVersion.TLSv1_2
    c.set_ciphers("NULL-SHA256:@SECLEVEL=0")
    return c


def serve(args):
    ctx = context(True, args.cert, args.key)
    ls = socket.create_server(("127.0.0.1", 0))
    print("listening %d" % ls.getsockname()[1], flush=True)
    conns = [ctx.wrap_socket(ls.accept()[0], server_side=True) for _ in range(2)]
    while True:
        for c in conns:
            data = c.recv(4096)
            if not data:
                return
            c.sendall(data)


class Conn:
    def __init__(self, ctx, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.inb, self.outb = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inb, self.outb)

    def flush(self):
        data = self.outb.read()
        if data:
            self.sock.sendall(data)

    def handshake(self):
        while True:
            try:
                self.obj.do_handshake()
                self.flush()
                return
            except ssl.SSLWantReadError:
                self.flush()
                self.inb.write(self.sock.recv(65536))

    def receive(self, n):
        """Socket bytes into the incoming BIO until it holds n bytes of records."""
        while self.inb.pending < n:
            self.inb.write(self.sock.recv(65536))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve", action="store_true")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--port", type=int)
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    if args.serve:
        return serve(args)
    ctx = context(False)
    a, b = Conn(ctx, args.port), Conn(ctx, args.port)
    a.handshake()
    b.handshake()
    # Record length: the line and its SHA-256 MAC, plus the 5-byte header.
    rec = 5 + len(LINE) + 32
    for _ in range(args.rounds):
        a.obj.write(LINE)          # both records exist ...
        b.obj.write(LINE)
        a.flush()                  # ... before either is sent
        b.flush()
        a.receive(rec)             # both echoes received ...
        b.receive(rec)
        if a.obj.read(4096) != LINE or b.obj.read(4096) != LINE:  # ... before either is read
            sys.exit("bad echo")
    print("done", flush=True)


if __name__ == "__main__":
    main()
