#!/usr/bin/env python3
"""The HTTPS/1.1 client of the HTTP-view end-to-end tests (python3 stdlib).

  1. http.client, one keep-alive connection: GET /plain, POST /echo ("abc"),
     GET /chunked
  2. a raw TLS socket: three pipelined GETs (/p1 /p2 /p3) in one write, then
     the three responses
  3. a raw TLS socket: GET /upgrade with Upgrade headers, the 101 and what
     follows it, then bytes that look like a request (not HTTP any more)
Prints "done" at the end; exits non-zero if an answer is not the expected one.

  http_edge_client.py --port P --cafile C
"""
import argparse
import http.client
import socket
import ssl
import sys


def recv_until(s, n):
    buf = b""
    while len(buf) < n:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    return buf


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cafile", required=True)
    a = ap.parse_args()
    ctx = ssl.create_default_context(cafile=a.cafile)

    c = http.client.HTTPSConnection("127.0.0.1", a.port, context=ctx)
    for method, path, body, want in (("GET", "/plain", None, b"path=/plain\n"),
                                     ("POST", "/echo", b"abc", b"path=/echo\nabc"),
                                     ("GET", "/chunked", None, b"hello world")):
        c.request(method, path, body=body)
        r = c.getresponse()
        got = r.read()
        if r.status != 200 or got != want:
            sys.exit("%s %s: %d %r" % (method, path, r.status, got))
    c.close()

    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", a.port)),
                        server_hostname="127.0.0.1")
    s.sendall(b"".join(b"GET /p%d HTTP/1.1\r\nHost: pipe.test\r\n\r\n" % i for i in (1, 2, 3)))
    want = b"".join(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\n"
                    b"path=/p%d\n" % i for i in (1, 2, 3))
    got = recv_until(s, len(want))
    if got != want:
        sys.exit("pipelined: %r" % got)
    s.close()

    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", a.port)),
                        server_hostname="127.0.0.1")
    s.sendall(b"GET /upgrade HTTP/1.1\r\nHost: up.test\r\nConnection: Upgrade\r\n"
              b"Upgrade: tlstap-test\r\n\r\n")
    want = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: tlstap-test\r\nConnection: Upgrade"
            b"\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno")
    got = recv_until(s, len(want))
    if got != want:
        sys.exit("upgrade: %r" % got)
    s.sendall(b"GET /after-upgrade HTTP/1.1\r\nHost: up.test\r\n\r\n")
    s.close()
    print("done")


if __name__ == "__main__":
    main()
