#!/usr/bin/env python3
"""Persistent HTTPS/1.1 keep-alive client for the end-to-end tests (stdlib).

Each of --threads threads opens one keep-alive connection (http.client +
ssl) and sends GET /r/<its local port>/<unique id>, checking that the
response echoes the path.  Phases:

  pre     requests made before --marker exists (the tracer is not attached
          yet); paced by --pre-sleep, at most --max-wait seconds
  during  --during more requests on the SAME connection once --marker exists
  new     then --new-conns fresh connections, --new requests each

Every request is logged as "<id> <local port> <phase>" to --log (written at
exit).  After a thread's first request it appends "ready <port>" to --ready.
The local port is read from the socket before each request, so a silent
reconnect by http.client is logged truthfully.  Exit 1 on any error.
"""
import argparse
import http.client
import os
import ssl
import sys
import threading
import time

results = []
errors = []
lock = threading.Lock()


def run(idx, args, ctx):
    log = []
    seq = [0]

    def request(conn, phase):
        if conn.sock is None:
            conn.connect()
        port = conn.sock.getsockname()[1]
        seq[0] += 1
        rid = args.id_base + idx * 1000000 + seq[0]
        path = "/r/%d/%d" % (port, rid)
        conn.request("GET", path, headers={"User-Agent": "tlstap-e2e"})
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200 or path.encode() not in body:
            raise RuntimeError("bad response to %s: %d %r" % (path, resp.status, body[:200]))
        log.append("%d %d %s\n" % (rid, port, phase))
        return port

    try:
        conn = http.client.HTTPSConnection("127.0.0.1", args.port, context=ctx, timeout=30)
        first = request(conn, "pre")
        with lock:
            with open(args.ready, "a") as f:
                f.write("ready %d\n" % first)
        deadline = time.monotonic() + args.max_wait
        while not os.path.exists(args.marker):
            if time.monotonic() > deadline:
                raise RuntimeError("marker %s never appeared" % args.marker)
            request(conn, "pre")
            time.sleep(args.pre_sleep)
        for _ in range(args.during):
            if request(conn, "during") != first:
                log[-1] = log[-1].replace(" during", " during-reconnected")
        conn.close()
        for _ in range(args.new_conns):
            conn = http.client.HTTPSConnection("127.0.0.1", args.port, context=ctx, timeout=30)
            for _ in range(args.new):
                request(conn, "new")
            conn.close()
    except Exception as e:  # noqa: BLE001 - any failure fails the test
        with lock:
            errors.append("thread %d: %s: %s" % (idx, type(e).__name__, e))
    with lock:
        results.extend(log)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cafile", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--log", required=True)
    ap.add_argument("--ready", required=True)
    ap.add_argument("--marker", required=True)
    ap.add_argument("--during", type=int, default=1000)
    ap.add_argument("--new-conns", type=int, default=1)
    ap.add_argument("--new", type=int, default=100)
    ap.add_argument("--id-base", type=int, default=0)
    ap.add_argument("--pre-sleep", type=float, default=0.01)
    ap.add_argument("--max-wait", type=float, default=60)
    args = ap.parse_args()
    ctx = ssl.create_default_context(cafile=args.cafile)
    ts = [threading.Thread(target=run, args=(i, args, ctx)) for i in range(args.threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    with open(args.log, "a") as f:
        f.writelines(results)
    for e in errors:
        print("keepalive_client: %s" % e, file=sys.stderr)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
