#!/usr/bin/env python3
"""An asyncio TLS server and client in ONE process (ssl.MemoryBIO under
asyncio's SSL transport: memory-BIO TLS on both sides), for tlstap's
ciphertext attribution tests.

Each client connection sends lines "req <i>\\n" and reads "resp <i>\\n";
both sides print the truth of the connection that carried request i:
    client <i> lport <L> rport <R>
    server <i> lport <L> rport <R>
Phases: --phases N1,N2,... requests each, with a line read from stdin
between two phases when --wait-stdin (--before N --after M is --phases
N,M); the connections opened first stay open throughout.  --timing prints
"phase <k> requests <n> ns <t>" once phase k is over (for benchmarks).

--same-payload: every connection sends the same 40-byte line and gets the
same answer, with a NULL cipher (TLS 1.2 NULL-SHA256: records carry the
plaintext, then a MAC), so the records of two connections start with the
same bytes: no record prefix is unique, and none may bind a connection.
"""
import argparse
import asyncio
import os
import ssl
import sys
import time


# Longer than a record prefix, so that the prefix is all plaintext.
SAME = "same"
SAME_REQ = b"the same request on every connection...\n"
SAME_RESP = b"the same answer on every connection.....\n"


def contexts(args):
    srv = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    srv.load_cert_chain(args.cert, args.key)
    cli = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cli.check_hostname = False
    cli.verify_mode = ssl.CERT_NONE
    if args.same_payload:
        for c in (srv, cli):
            c.maximum_version = ssl.TLSVersion.TLSv1_2
            c.set_ciphers("NULL-SHA256:@SECLEVEL=0")
    return srv, cli


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--conns", type=int, default=8)
    ap.add_argument("--before", type=int, default=0)
    ap.add_argument("--after", type=int, default=100)
    ap.add_argument("--phases", help="N1,N2,...: requests per phase")
    ap.add_argument("--wait-stdin", action="store_true")
    ap.add_argument("--same-payload", action="store_true")
    ap.add_argument("--timing", action="store_true")
    args = ap.parse_args()
    srv_ctx, cli_ctx = contexts(args)
    lines = []

    async def serve(reader, writer):
        lport = writer.get_extra_info("sockname")[1]
        rport = writer.get_extra_info("peername")[1]
        while True:
            line = await reader.readline()
            if not line:
                break
            i = line.split()[-1].decode() if not args.same_payload else SAME
            if not args.same_payload:
                lines.append("server %s lport %d rport %d" % (i, lport, rport))
            writer.write(b"resp %s\n" % i.encode() if not args.same_payload else SAME_RESP)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=srv_ctx)
    port = server.sockets[0].getsockname()[1]
    print("listening %d pid %d" % (port, os.getpid()), flush=True)
    conns = []
    for _ in range(args.conns):
        conns.append(await asyncio.open_connection("127.0.0.1", port, ssl=cli_ctx))
    counter = iter(range(10**9))

    async def client(reader, writer, n):
        lport = writer.get_extra_info("sockname")[1]
        for _ in range(n):
            i = next(counter)
            payload = SAME_REQ if args.same_payload else b"req %d\n" % i
            writer.write(payload)
            await writer.drain()
            resp = await reader.readline()
            want = SAME_RESP if args.same_payload else b"resp %d\n" % i
            if resp != want:
                raise RuntimeError("request %d: %r" % (i, resp))
            lines.append("client %d lport %d rport %d" % (i, lport, port))

    async def phase(n):
        per = [n // args.conns + (k < n % args.conns) for k in range(args.conns)]
        await asyncio.gather(*(client(r, w, m) for (r, w), m in zip(conns, per)))

    phases = [int(n) for n in args.phases.split(",")] if args.phases else [args.before, args.after]
    for k, n in enumerate(phases):
        if k and args.wait_stdin:
            print("waiting %d" % k, flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        t0 = time.monotonic_ns()
        await phase(n)
        if args.timing:
            print("phase %d requests %d ns %d" % (k, n, time.monotonic_ns() - t0), flush=True)
    for _, w in conns:
        w.close()
    server.close()
    print("\n".join(lines))
    print("done", flush=True)


asyncio.run(main())
