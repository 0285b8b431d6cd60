#!/usr/bin/env python3
"""A small HTTPS/1.1 server for the end-to-end tests (python3 stdlib only).

Every request is answered with a deterministic response (no Date header;
an X-Client-Port header echoes the client's port),
so a test knows the exact bytes on the wire.  For each request it logs one
line "<client port> <path>" to --log, and the exact request bytes it
received and response bytes it sent to --dump-dir/req-N.bin / resp-N.bin
(N counts from 1).  Keep-alive: several requests per connection; one
thread per connection.  Prints "listening <port>" when ready.

  https_server.py --port P --cert C --key K --log FILE [--dump-dir DIR]
"""
import argparse
import os
import signal
import socket
import ssl
import sys
import threading

lock = threading.Lock()
counter = 0


def body_for(path):
    # Deterministic and a little longer than one line, so a test sees it whole.
    return ("hello from tlstap e2e server\npath=%s\n" % path).encode() + b"x" * 64 + b"\n"


def serve_conn(conn, peer, args):
    buf = b""
    try:
        while True:
            while b"\r\n\r\n" not in buf:
                d = conn.recv(65536)
                if not d:
                    return
                buf += d
            head, buf = buf.split(b"\r\n\r\n", 1)
            req = head + b"\r\n\r\n"
            line = head.split(b"\r\n", 1)[0].decode("latin-1")
            parts = line.split()
            path = parts[1] if len(parts) > 1 else "/"
            close = b"\r\nconnection: close" in head.lower()
            body = body_for(path)
            resp = (b"HTTP/1.1 200 OK\r\nServer: tlstap-e2e\r\n"
                    b"Content-Type: text/plain\r\nContent-Length: %d\r\n"
                    b"X-Client-Port: %d\r\nConnection: %s\r\n\r\n"
                    % (len(body), peer[1], b"close" if close else b"keep-alive")
                    ) + body
            global counter
            with lock:
                counter += 1
                n = counter
                with open(args.log, "a") as f:
                    f.write("%d %s\n" % (peer[1], path))
                if args.dump_dir:
                    with open(os.path.join(args.dump_dir, "req-%d.bin" % n), "wb") as f:
                        f.write(req)
                    with open(os.path.join(args.dump_dir, "resp-%d.bin" % n), "wb") as f:
                        f.write(resp)
            conn.sendall(resp)
            if close:
                return
    except (OSError, ssl.SSLError) as e:
        print("connection from %s: %s" % (peer, e), file=sys.stderr)
    finally:
        try:
            conn.close()
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--dump-dir")
    ap.add_argument("--max-conns", type=int, default=1000, help="exit after this many")
    args = ap.parse_args()
    # SIGTERM/SIGINT: exit 0, so a tracer running us with -- CMD exits 0 too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", args.port))
    ls.listen(64)
    print("listening %d" % args.port, flush=True)
    for _ in range(args.max_conns):
        raw, peer = ls.accept()
        try:
            conn = ctx.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError) as e:
            print("handshake with %s: %s" % (peer, e), file=sys.stderr)
            raw.close()
            continue
        threading.Thread(target=serve_conn, args=(conn, peer, args), daemon=True).start()


if __name__ == "__main__":
    main()
