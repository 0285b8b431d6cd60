#!/usr/bin/env python3
"""Checks on tlstap's HTTP exchanges (replay --http -f json) for the e2e tests.

    exchanges.py expect FILE --pid P --rows ROWS [--server-port N] [--unordered]
    exchanges.py show FILE

ROWS has one expected exchange per line (# comments allowed):

    METHOD PATH STATUS REQ_BYTES RESP_BYTES PROTO ROLE PARTIAL [AUTHORITY]

"?" stands for null (METHOD, PATH, STATUS, AUTHORITY), PARTIAL is "-" for
none or a comma list ("truncated", "hpack,mid-stream").  A row may give
alternatives separated by " | " where the peers race (either one matches).  The exchanges of
pid P must be exactly these, in this order (or in any order with
--unordered); with --server-port every one must be on a connection to or
from that port (the server's end of the tuple).  Exit 0 = all hold, 1 = not,
with one "exchanges.py: ..." line per problem.
"""
import argparse
import json
import sys


def load(path):
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            x = json.loads(line)
            if "summary" in x:
                continue
            x["_line"] = n
            out.append(x)
    return out


def null(v):
    return None if v == "?" else v


def parse_row(text):
    f = text.split()
    if len(f) not in (8, 9):
        sys.exit("exchanges.py: bad row: %r" % text)
    return dict(
        method=null(f[0]), path=null(f[1]),
        status=None if f[2] == "?" else int(f[2]),
        req_bytes=int(f[3]), resp_bytes=int(f[4]), proto=f[5], role=f[6],
        partial=[] if f[7] == "-" else f[7].split(","),
        authority=null(f[8]) if len(f) == 9 else "ANY")


def parse_rows(path):
    """Each row: the list of its alternatives."""
    rows = []
    for line in open(path):
        line = line.split("#", 1)[0].strip()
        if line:
            rows.append([parse_row(alt) for alt in line.split(" | ")])
    return rows


def describe(x):
    return "%s %s %s -> %s req %s resp %s %s %s partial %s (line %d)" % (
        x.get("proto"), x.get("method"), x.get("path"), x.get("status"), x.get("req_bytes"),
        x.get("resp_bytes"), x.get("role"), x.get("authority"), x.get("partial"), x["_line"])


def differences(x, want, port):
    bad = []
    for k, v in want.items():
        if k == "authority" and v == "ANY":
            continue
        if x.get(k) != v:
            bad.append("%s=%r (want %r)" % (k, x.get(k), v))
    if port is not None:
        p = x.get("rport") if x.get("role") == "client" else x.get("lport")
        if p != port:
            bad.append("server port %r (want %d)" % (p, port))
    return bad


def row_differences(x, alts, port):
    """Nothing when one alternative matches, else the first one's differences."""
    diffs = [differences(x, w, port) for w in alts]
    return [] if any(not d for d in diffs) else diffs[0]


def cmd_expect(a):
    xs = [x for x in load(a.file) if x["pid"] == a.pid]
    rows = parse_rows(a.rows)
    problems = []
    if len(xs) != len(rows):
        problems.append("%d exchanges of pid %d, want %d" % (len(xs), a.pid, len(rows)))
    if a.unordered:
        left = list(xs)
        for w in rows:
            match = [x for x in left if not row_differences(x, w, a.server_port)]
            if match:
                left.remove(match[0])
            else:
                problems.append("no exchange like %r" % w)
        for x in left:
            problems.append("unexpected: " + describe(x))
    else:
        for i, (x, w) in enumerate(zip(xs, rows)):
            d = row_differences(x, w, a.server_port)
            if d:
                problems.append("#%d %s: %s" % (i, describe(x), ", ".join(d)))
    for x in xs:
        print("ok? " + describe(x))
    for p in problems:
        print("exchanges.py: " + p, file=sys.stderr)
    return 1 if problems else 0


def cmd_show(a):
    for x in load(a.file):
        print(describe(x))
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("expect")
    e.add_argument("file")
    e.add_argument("--pid", type=int, required=True)
    e.add_argument("--rows", required=True)
    e.add_argument("--server-port", type=int)
    e.add_argument("--unordered", action="store_true")
    s = sub.add_parser("show")
    s.add_argument("file")
    a = ap.parse_args()
    return cmd_expect(a) if a.cmd == "expect" else cmd_show(a)


if __name__ == "__main__":
    sys.exit(main())
