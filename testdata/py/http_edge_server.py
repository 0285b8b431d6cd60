#!/usr/bin/env python3
"""An HTTPS/1.1 server for the HTTP-view end-to-end tests (python3 stdlib).

Parses requests itself (so pipelined requests are answered in order from one
buffer) and answers deterministically:
  /chunked   200, Transfer-Encoding: chunked, body "hello world" in 2 chunks
  /upgrade   101 Switching Protocols, then raw bytes that look like HTTP
             ("HTTP/1.1 200 OK ..."), then reads until the client closes
  otherwise  200 with Content-Length, body "path=<path>\\n" + the request body
Prints "listening <port>" when ready; one thread per connection.

  http_edge_server.py --port P --cert C --key K
"""
import argparse
import socket
import ssl
import threading


def read_request(conn, buf):
    while b"\r\n\r\n" not in buf:
        d = conn.recv(65536)
        if not d:
            return None, buf
        buf += d
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    hdrs = {}
    for l in lines[1:]:
        k, v = l.split(":", 1)
        hdrs[k.strip().lower()] = v.strip()
    n = int(hdrs.get("content-length", "0"))
    while len(buf) < n:
        d = conn.recv(65536)
        if not d:
            return None, buf
        buf += d
    return (method, path, hdrs, buf[:n]), buf[n:]


def serve(conn):
    buf = b""
    try:
        while True:
            req, buf = read_request(conn, buf)
            if req is None:
                return
            method, path, hdrs, body = req
            if path == "/chunked":
                conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                             b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
            elif path == "/upgrade":
                conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: tlstap-test\r\n"
                             b"Connection: Upgrade\r\n\r\n")
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno")
                while conn.recv(65536):
                    pass
                return
            else:
                b = ("path=%s\n" % path).encode() + body
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                             b"Content-Length: %d\r\n\r\n" % len(b) + b)
    except (OSError, ValueError):
        pass
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    a = ap.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    ctx.set_alpn_protocols(["http/1.1"])
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", a.port))
    ls.listen(16)
    print("listening %d" % a.port, flush=True)
    while True:
        c, _ = ls.accept()
        try:
            c = ctx.wrap_socket(c, server_side=True)
        except (OSError, ssl.SSLError):
            c.close()
            continue
        threading.Thread(target=serve, args=(c,), daemon=True).start()


if __name__ == "__main__":
    main()
