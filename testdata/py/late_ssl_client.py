#!/usr/bin/env python3
"""An HTTPS client that loads the ssl module (and so libssl, by dlopen) only
after a delay, for the tests of tracing a process before its TLS library is
mapped.  Stdlib only.

  late_ssl_client.py --port P --cafile C --path /x --portfile F
                     [--before-import S] [--after-import S]

Sleeps --before-import seconds, imports ssl, sleeps --after-import seconds
(time for a tracer's periodic rescan), connects to 127.0.0.1:P, writes its
local port to --portfile, sends one GET (Connection: close) and prints the
response body.
"""
import argparse
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cafile", required=True)
    ap.add_argument("--path", required=True)
    ap.add_argument("--portfile", required=True)
    ap.add_argument("--before-import", type=float, default=1.0)
    ap.add_argument("--after-import", type=float, default=1.5)
    a = ap.parse_args()
    if "ssl" in sys.modules or "_ssl" in sys.modules:
        sys.exit("ssl already imported")
    time.sleep(a.before_import)
    import ssl  # noqa: E402 - the point of this program
    time.sleep(a.after_import)
    ctx = ssl.create_default_context(cafile=a.cafile)
    raw = socket.create_connection(("127.0.0.1", a.port), timeout=10)
    with open(a.portfile, "w") as f:
        f.write("%d\n" % raw.getsockname()[1])
    s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    s.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n"
              % (a.path.encode(), a.port))
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
    s.close()
    sys.stdout.buffer.write(data.split(b"\r\n\r\n", 1)[1])


if __name__ == "__main__":
    main()
