#!/usr/bin/env python3
"""Check a trace of testdata's *_pair programs (a TLS server and client in
one process, Node's https_pair.js or Python's asyncio_pair.py) against the
truth they print:

    client <i> lport <L> rport <R>      server <i> lport <L> rport <R>

Every request i is "req <i>" (or "GET /req/<i>"), its answer "resp <i>".
An event carrying request or answer i belongs to one side:
    write "req i" -> client    read "req i" -> server
    write "resp i" -> server   read "resp i" -> client
and its tuple, when it has one, must be that side's truth for i.  An event
that names no request (HTTP headers, the handshake's leftovers) must carry
a tuple of its side's connections or none.

    pairs.py TRACE TRUTH --pid P [--min-rate R] [--after-line N]

--after-line N: judge only the requests numbered N and up (those sent
after the tracer attached).  Exit 0 when no event is on a wrong tuple and
at least R of the judged events carry their tuple.
"""
import argparse
import base64
import json
import re
import sys

REQ = re.compile(rb"(?:req |/req/)(\d+)\b")
RESP = re.compile(rb"resp (\d+)\b")


def truth(path):
    sides = {"client": {}, "server": {}}
    for line in open(path):
        m = re.match(r"(client|server) (\d+) lport (\d+) rport (\d+)$", line.strip())
        if m:
            sides[m.group(1)][int(m.group(2))] = (int(m.group(3)), int(m.group(4)))
    return sides


def side_of(ev, data):
    if REQ.search(data):
        return ("client" if ev["dir"] == "write" else "server"), [int(x) for x in REQ.findall(data)]
    if RESP.search(data):
        return ("server" if ev["dir"] == "write" else "client"), [int(x) for x in RESP.findall(data)]
    return None, []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("trace")
    ap.add_argument("truth")
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--min-rate", type=float, default=0.99)
    ap.add_argument("--after-line", type=int, default=0)
    a = ap.parse_args()
    sides = truth(a.truth)
    known = {s: set(v.values()) for s, v in sides.items()}
    judged = attributed = wrong = other = 0
    problems = []
    for line in open(a.trace):
        ev = json.loads(line)
        if "event" in ev:
            continue  # a connection end or a process exit, no data
        if ev["pid"] != a.pid:
            problems.append("foreign pid %d" % ev["pid"])
            continue
        data = base64.b64decode(ev["data"])
        tup = (ev["lport"], ev["rport"]) if ev["lport"] is not None else None
        side, ids = side_of(ev, data)
        if side is None:
            other += 1
            if tup and not (tup in known["client"] or tup in known["server"]):
                wrong += 1
                problems.append("unknown tuple %s: %r" % (tup, data[:60]))
            continue
        ids = [i for i in ids if i >= a.after_line]
        if not ids:
            continue
        judged += 1
        if tup is None:
            continue
        attributed += 1
        for i in ids:
            want = sides[side].get(i)
            if want is None:
                problems.append("%s %d: no truth line" % (side, i))
            elif want != tup:
                wrong += 1
                problems.append("%s %d on %s, truth %s (%s)" % (side, i, tup, want,
                                                              ev["attribution"]))
    rate = attributed / judged if judged else 0.0
    print("pairs: %d events judged, %d with their tuple (%.2f%%), %d on a wrong tuple, "
          "%d naming no request" % (judged, attributed, 100 * rate, wrong, other))
    for p in problems[:10]:
        print("pairs: " + p, file=sys.stderr)
    if wrong or problems or not judged or rate < a.min_rate:
        sys.exit(1)


if __name__ == "__main__":
    main()
