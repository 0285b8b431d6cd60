#!/usr/bin/env python3
"""TLS client that reads a response in small pieces, so most SSL_read calls
are served from OpenSSL's record buffer without a syscall (the `cache`
attribution path).  Waits for a line on stdin first (time to attach), then
sends "GET PATH" and reads until EOF with recv(CHUNK).
Prints "port N bytes N reads N"."""
import socket
import ssl
import sys

port, path, chunk = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)))
sys.stdin.readline()
s.sendall(b"GET %s HTTP/1.0\r\n\r\n" % path.encode())
total = reads = 0
while True:
    b = s.recv(chunk)
    if not b:
        break
    total += len(b)
    reads += 1
print("port %d bytes %d reads %d" % (s.getsockname()[1], total, reads), flush=True)
s.close()
