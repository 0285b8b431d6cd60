#!/usr/bin/env python3
"""An asyncio HTTPS/1.1 client (ssl.MemoryBIO under asyncio's SSL transport)
that opens a NEW connection for each request, for tlstap's late-binding
test: the first request of a memory-BIO connection is written before any
of its ciphertext has been sent.

  asyncio_newconns.py --port P --conns N [--parallel K]

Request i is "GET /n/<i>" with Connection: close, K connections at a time
(each batch opened together: several first writes wait for their
ciphertext's send at once); for each it prints the truth of the connection
that carried it:
    conn <i> lport <L> rport <R>
then "done".  Exit 1 on any error.
"""
import argparse
import asyncio
import ssl
import sys


async def one(i, port, ctx):
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ctx)
    lport = writer.get_extra_info("sockname")[1]
    writer.write(b"GET /n/%d HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n" % i)
    await writer.drain()
    body = await reader.read()
    writer.close()
    await writer.wait_closed()
    if b" 200 " not in body.split(b"\r\n", 1)[0]:
        raise RuntimeError("request %d: %r" % (i, body[:80]))
    print("conn %d lport %d rport %d" % (i, lport, port), flush=True)


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--conns", type=int, default=20)
    ap.add_argument("--parallel", type=int, default=1)
    args = ap.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    for first in range(0, args.conns, args.parallel):
        batch = range(first, min(first + args.parallel, args.conns))
        await asyncio.gather(*(one(i, args.port, ctx) for i in batch))
    print("done", flush=True)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except Exception as e:  # noqa: BLE001 - the test wants one line
        print("error: %s" % e, file=sys.stderr)
        sys.exit(1)
