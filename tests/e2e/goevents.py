#!/usr/bin/env python3
"""Checks of the Go end-to-end tests (t_go_*.sh) on tlstap's NDJSON.

Built on events.py (load_calls, reassemble, describe).  Subcommands (exit 0 =
the assertion holds, 1 = it does not, one "goevents.py: ..." line per problem
on stderr; numbers on stdout):

    goevents.py paths PREFIX N
        N request paths PREFIX-000.. that HPACK sends as literal strings (no
        Huffman coding), so the path bytes appear as such in HTTP/2 plaintext.
    goevents.py pair --client-json F --client-pid P --client-log F
              --server-json F --server-pid P --server-port N --paths P1,P2..
              --mode h1|h2|raw [--server-log F] [--all-client-logs F1,F2..]
        One tlsclient run against one tlsserver, both traced: exact request
        bytes, the response, exact tuples on both sides, go-memory, no event
        of one side in the other's trace.
    goevents.py reuse FILE --pid P --server-port N --log F [--min-rate 0.99]
              [--min-requests 10000] [--server-json F --server-pid P]
        testdata/go/connreuse: every request's event must carry the tuple of
        its own connection; >= min-rate captured; tls.Conn reuse counted.
    goevents.py copies FILE --pids A,B --ports PA,PB --logs LA,LB --paths-re RE
        Two copies of one server traced by one tlstap: no cross attribution.
    goevents.py chunks FILE --pid P --dir D --expect-file F [--chunk N]
              [--max-bytes N] [--truncated-total N]
        The call with exactly F's bytes, chunk by chunk (see cmd_chunks).
    goevents.py text PID BINARY [--expect-probes]
        Compare the code of the traced Go functions in the process with the
        file: any difference (int3 of a uprobe) fails, or with
        --expect-probes, no difference fails.
"""

import argparse
import os
import re
import sys
from collections import Counter, defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import events  # noqa: E402  (tests/e2e/events.py)
from events import describe  # noqa: E402

LOOPBACK = "127.0.0.1"

# Bits of each byte's HPACK Huffman code (RFC 7541, Appendix B).
HUFFMAN_BITS = [
    13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
    28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
    6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
    5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
    13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
    7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
    15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
    6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
] + [20] * 128  # (bytes >= 0x80 are never used here)


def huffman_len(s):
    return (sum(HUFFMAN_BITS[b] for b in s.encode()) + 7) // 8


def literal_path(p):
    """p padded with '~' (13-bit code, unreserved in URLs) until an HPACK
    encoder that uses Huffman only when strictly shorter sends it literally."""
    while huffman_len(p) < len(p):
        p += "~"
    return p


class Report:
    def __init__(self):
        self.bad = []
        self.lines = []

    def fail(self, msg):
        self.bad.append(msg)

    def say(self, msg):
        self.lines.append(msg)

    def done(self):
        for line in self.lines:
            print(line)
        for line in self.bad[:20]:
            print("goevents.py: %s" % line, file=sys.stderr)
        if len(self.bad) > 20:
            print("goevents.py: ... and %d more problems" % (len(self.bad) - 20),
                  file=sys.stderr)
        return 1 if self.bad else 0


def load(path, rep):
    calls = events.load_calls(path)
    broken = [c for c in calls if c["broken"]]
    if broken:
        rep.fail("%s: %d calls whose chunks do not follow each other, e.g. %s" %
                 (path, len(broken), describe(broken[0])))
    return calls


def tuple_is(c, lport, rport):
    return (c.get("laddr") == LOOPBACK and c.get("raddr") == LOOPBACK and
            c.get("lport") == lport and c.get("rport") == rport)


def check_go_call(c, rep, what):
    if c.get("lib") != "go":
        rep.fail("%s: lib %r: %s" % (what, c.get("lib"), describe(c)))
    if c.get("attribution") != "go-memory":
        rep.fail("%s: attribution %r, expected go-memory: %s" %
                 (what, c.get("attribution"), describe(c)))
    if c.get("tuple_mismatch") or c.get("multi_fd"):
        rep.fail("%s: flagged tuple_mismatch/multi_fd: %s" % (what, describe(c)))
    if c.get("truncated"):
        rep.fail("%s: truncated: %s" % (what, describe(c)))


# --- one tlsclient run against one tlsserver -------------------------------

REQ_LINE = re.compile(r"^req (\d+) port (\d+) proto (\S+) status (\d+) bytes (\d+)$")
SRV_LINE = re.compile(r"^tlsserver: (\S+) (\S+) (\S+) from 127\.0\.0\.1:(\d+)$")


def client_log(path):
    """{request index: (local port, proto)} from tlsclient -print-ports."""
    out = {}
    with open(path) as f:
        for line in f:
            m = REQ_LINE.match(line.strip())
            if m:
                out[int(m.group(1))] = (int(m.group(2)), m.group(3))
    return out


def client_ports(path):
    """Every local port in a file of tlsclient -print-ports output (several
    runs may be concatenated)."""
    with open(path) as f:
        return {int(m.group(2)) for m in map(REQ_LINE.match, (l.strip() for l in f)) if m}


def expected_request(mode, path, server_port):
    host = "%s:%d" % (LOOPBACK, server_port)
    if mode == "raw":
        return ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tlsclient\r\n\r\n" %
                (path, host)).encode()
    if mode == "h1":
        return ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: Go-http-client/1.1\r\n"
                "Accept-Encoding: gzip\r\n\r\n" % (path, host)).encode()
    return None  # h2: HPACK; the literal path is checked


def cmd_pair(a):
    rep = Report()
    cpid, spid, sport = a.client_pid, a.server_pid, a.server_port
    cc = load(a.client_json, rep)
    # The server trace may hold other traced servers (their own -p): this
    # server's events are judged here, the others' pids by "events.py pids".
    sc = [c for c in load(a.server_json, rep) if c["pid"] == spid]
    paths = a.paths.split(",")
    log = client_log(a.client_log)
    want_proto = {"h1": "HTTP/1.1", "raw": "HTTP/1.1", "h2": "HTTP/2.0"}[a.mode]
    if len(log) != len(paths):
        rep.fail("client log has %d requests, expected %d" % (len(log), len(paths)))
    cports = {p for p, _ in log.values()}
    # The server may also serve other clients of the same test (their logs):
    # its events must be on a connection of one of them.
    speers = set(cports)
    for other in (a.all_client_logs or "").split(","):
        if other:
            speers |= {p for p, _ in client_log(other).values()}
    for i, (port, proto) in sorted(log.items()):
        if proto != want_proto:
            rep.fail("request %d went over %s, expected %s" % (i, proto, want_proto))
    if a.server_log:
        # tlsserver -v: "tlsserver: PROTO GET PATH from 127.0.0.1:PORT"
        srv = {}
        with open(a.server_log) as f:
            for line in f:
                m = SRV_LINE.match(line.strip())
                if m:
                    srv[m.group(3)] = int(m.group(4))
        for i, path in enumerate(paths):
            if i in log and srv.get(path) != log[i][0]:
                rep.fail("request %d %s: server logged peer port %r, client printed %d" %
                         (i, path, srv.get(path), log[i][0]))

    # Whole-trace checks: every event is the traced process's own, and on a
    # connection of this client<->server pair seen from its own side.
    notuple = Counter()
    for side, calls, pid in (("client", cc, cpid), ("server", sc, spid)):
        if not calls:
            rep.fail("%s trace has no event at all" % side)
        for c in calls:
            if c["pid"] != pid:
                rep.fail("%s trace: event of pid %d (expected %d): %s" %
                         (side, c["pid"], pid, describe(c)))
                continue
            if a.skip_last and c.get("attribution") == "none" and c.get("lport") is None \
                    and c.get("raddr") is None and \
                    not any(p.encode() in c["data"] for p in paths[:-1]):
                # Around the unasserted last exchange (see --skip-last): a call
                # that claims no tuple is not a wrong one; the asserted
                # exchanges are all judged below.
                notuple[side] += 1
                continue
            check_go_call(c, rep, side)
            ok = (c.get("rport") == sport and c.get("lport") in cports) if side == "client" \
                else (c.get("lport") == sport and c.get("rport") in speers)
            if not ok or c.get("laddr") != LOOPBACK or c.get("raddr") != LOOPBACK:
                rep.fail("%s trace: event on a tuple that is not this %s's side of a "
                         "client connection: %s" % (side, side, describe(c)))

    def matching(calls, needle, d):
        return [c for c in calls if c["dir"] == d and needle in c["data"]]

    for i, path in enumerate(paths):
        if i not in log or (a.skip_last and i == len(paths) - 1):
            continue
        port = log[i][0]
        pb = path.encode()
        body = b"echo " + pb + b"\n"
        req = expected_request(a.mode, path, sport)
        checks = (
            ("client write (request)", cc, "write", pb, port, sport),
            ("client read (response)", cc, "read", body, port, sport),
            ("server read (request)", sc, "read", pb, sport, port),
            ("server write (response)", sc, "write", body, sport, port),
        )
        for what, calls, d, needle, lp, rp in checks:
            ms = matching(calls, needle, d)
            if not ms:
                rep.fail("request %d %s: no %s containing %r" % (i, path, what, needle))
                continue
            for c in ms:
                if not tuple_is(c, lp, rp):
                    rep.fail("request %d %s: %s on the wrong tuple (expected "
                             "127.0.0.1:%d -> 127.0.0.1:%d): %s" % (i, path, what, lp, rp,
                                                                   describe(c)))
        if req is not None:
            exact = [c for c in matching(cc, pb, "write") if c["data"] == req]
            if not exact:
                got = matching(cc, pb, "write")
                rep.fail("request %d: no client write equal to the exact request %r; got %r" %
                         (i, req, got[0]["data"][:300] if got else None))
            # net/http's server may read the first byte of a request in a
            # background read: join the server's reads on this connection.
            sstream = events.stream([c for c in sc if c["dir"] == "read" and
                                     tuple_is(c, sport, port)])
            if req not in sstream:
                rep.fail("request %d: the server's reads on 127.0.0.1:%d <- :%d do not "
                         "contain the exact request %r" % (i, sport, port, req))
        elif a.mode == "h2":
            # HEADERS frame (type 1) with the path as an HPACK literal.
            lit = bytes([len(pb)]) + pb if len(pb) < 127 else pb
            if not [c for c in matching(cc, pb, "write") if lit in c["data"]]:
                rep.fail("request %d: client write has the path but not as an HPACK "
                         "literal of length %d" % (i, len(pb)))
    if notuple:
        rep.say("last exchange: %s call(s) with no tuple" % fmt_counter(notuple))
    rep.say("client pid %d: %d calls (%s); server pid %d: %d calls (%s); requests %d, "
            "client ports %s" % (cpid, len(cc), fmt_counter(Counter(c["dir"] for c in cc)),
                                 spid, len(sc), fmt_counter(Counter(c["dir"] for c in sc)),
                                 len(log), ",".join(str(p) for p in sorted(cports))))
    return rep.done()


def fmt_counter(cnt):
    return " ".join("%s=%d" % kv for kv in sorted(cnt.items()))


# --- address reuse (testdata/go/connreuse) ---------------------------------

REUSE_REQ = re.compile(rb"GET (/reuse/[^ ]+) HTTP/1\.1")
REUSE_RESP = re.compile(rb"echo (/reuse/[^\n]+)\n")


def reuse_log(path):
    """{path: (lport, tls.Conn address, netFD address)}."""
    out = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 4 and parts[0].startswith("/reuse/"):
                out[parts[0]] = (int(parts[1]), int(parts[2], 16), int(parts[3], 16))
    return out


def cmd_reuse(a):
    rep = Report()
    calls = load(a.file, rep)
    truth = reuse_log(a.log)
    n = len(truth)
    rep.say("requests logged by connreuse: %d" % n)
    if n < a.min_requests:
        rep.fail("only %d requests logged, need >= %d" % (n, a.min_requests))

    # The program's own view of reuse: connections whose tls.Conn address an
    # earlier connection (another local port) had.
    by_addr = defaultdict(set)
    for path, (port, tc, nc) in truth.items():
        by_addr[tc].add(port)
    prog_reused_addrs = sum(1 for s in by_addr.values() if len(s) > 1)
    prog_reused_conns = sum(len(s) - 1 for s in by_addr.values())
    pair = defaultdict(set)
    for path, (port, tc, nc) in truth.items():
        pair[(tc, nc)].add(port)
    prog_pair_reused = sum(len(s) - 1 for s in pair.values())
    rep.say("program: %d connections, %d distinct tls.Conn addresses, %d of them used by "
            "more than one connection; %d connections got a tls.Conn address an earlier "
            "one had; %d got the same (tls.Conn, netFD) address pair" %
            (n, len(by_addr), prog_reused_addrs, prog_reused_conns, prog_pair_reused))

    foreign = [c for c in calls if c["pid"] != a.pid]
    if foreign:
        rep.fail("%d events of pids other than %d, e.g. %s" % (len(foreign), a.pid,
                                                             describe(foreign[0])))
    mine = [c for c in calls if c["pid"] == a.pid]

    def judge(calls, d, rx, lport_of, rport_of, what):
        seen = {}
        wrong = []
        unknown = 0
        conn_of = {}
        for c in calls:
            if c["dir"] != d:
                continue
            for m in rx.finditer(c["data"]):
                path = m.group(1).decode()
                if path not in truth:
                    unknown += 1
                    continue
                port = truth[path][0]
                if c.get("attribution") != "go-memory" or c.get("lport") is None:
                    seen.setdefault(path, "unattributed:%s" % c.get("attribution"))
                    continue
                if tuple_is(c, lport_of(port), rport_of(port)):
                    if seen.get(path) != "wrong":
                        seen[path] = "right"
                    conn_of[path] = c.get("conn")
                else:
                    seen[path] = "wrong"
                    wrong.append((path, port, c))
        cnt = Counter(seen.get(p, "missing") for p in truth)
        right = cnt["right"]
        rate = right / n if n else 0.0
        rep.say("%s: %d expected, right=%d wrong=%d missing=%d %s -> %.3f%% captured "
                "and right" % (what, n, right, len(wrong), cnt["missing"],
                               " ".join("%s=%d" % kv for kv in sorted(cnt.items())
                                        if kv[0].startswith("unattributed")),
                               100.0 * rate))
        if unknown:
            rep.fail("%s: %d paths in the trace that connreuse did not log" % (what, unknown))
        if wrong:
            path, port, c = wrong[0]
            rep.fail("%s: %d attributed to the WRONG connection, e.g. %s (true local port "
                     "%d): %s" % (what, len(wrong), path, port, describe(c)))
        if rate < a.min_rate:
            rep.fail("%s: %.3f%% captured and right, need >= %.2f%%" %
                     (what, 100.0 * rate, 100.0 * a.min_rate))
        return conn_of

    sp = a.server_port
    conn_of = judge(mine, "write", REUSE_REQ, lambda p: p, lambda p: sp,
                    "client writes (requests)")
    judge(mine, "read", REUSE_RESP, lambda p: p, lambda p: sp, "client reads (responses)")

    # The conn field must be the connection's own tls.Conn (the program
    # printed it), and reuse must be visible in the trace itself.
    bad_conn = [(p, c) for p, c in conn_of.items() if c != truth[p][1]]
    if bad_conn:
        p, c = bad_conn[0]
        rep.fail("%d events whose conn field is not the request's tls.Conn, e.g. %s: "
                 "conn=%#x, program printed %#x" % (len(bad_conn), p, c, truth[p][1]))
    ev_ports = defaultdict(set)
    for c in mine:
        if c.get("conn") and c.get("lport") is not None:
            ev_ports[c["conn"]].add(c["lport"])
    ev_fd_ports = defaultdict(set)
    for c in mine:
        if c.get("conn") and c.get("lport") is not None:
            ev_fd_ports[(c["conn"], c.get("fd"))].add(c["lport"])
    rep.say("trace: %d connections on a reused (conn pointer, fd number) pair" %
            sum(len(s) - 1 for s in ev_fd_ports.values()))
    ev_reused_addrs = sum(1 for s in ev_ports.values() if len(s) > 1)
    ev_reused_conns = sum(len(s) - 1 for s in ev_ports.values())
    rep.say("trace: %d distinct conn pointers; %d seen with more than one local port; "
            "%d connections on a reused conn pointer (%.1f%% of %d)" %
            (len(ev_ports), ev_reused_addrs, ev_reused_conns,
             100.0 * ev_reused_conns / n if n else 0, n))
    if ev_reused_addrs == 0:
        rep.fail("no tls.Conn address was reused in the trace: the test proves nothing")

    if a.server_json:
        scalls = load(a.server_json, rep)
        sfor = [c for c in scalls if c["pid"] != a.server_pid]
        if sfor:
            rep.fail("server trace: %d events of other pids, e.g. %s" %
                     (len(sfor), describe(sfor[0])))
        judge([c for c in scalls if c["pid"] == a.server_pid], "read", REUSE_REQ,
              lambda p: sp, lambda p: p, "server reads (requests)")
        judge([c for c in scalls if c["pid"] == a.server_pid], "write", REUSE_RESP,
              lambda p: sp, lambda p: p, "server writes (responses)")
    return rep.done()


# --- two copies of one binary -----------------------------------------------

def cmd_copies(a):
    rep = Report()
    calls = load(a.file, rep)
    pids = [int(x) for x in a.pids.split(",")]
    ports = [int(x) for x in a.ports.split(",")]
    logs = [client_ports(x) for x in a.logs.split(",")]
    tags = a.tags.split(",")
    rx = re.compile(a.paths_re.encode())
    cports = logs
    counts = Counter()
    unattributed = Counter()
    for c in calls:
        if c["pid"] not in pids:
            rep.fail("event of a pid not traced: %s" % describe(c))
            continue
        k = pids.index(c["pid"])
        if c.get("attribution") == "none" and c.get("lport") is None and \
                c.get("raddr") is None:
            # No tuple claimed (e.g. the socket was already closed when the
            # call returned): not a wrong attribution; its data is still
            # checked below, and the number is reported.
            unattributed[k] += 1
        else:
            check_go_call(c, rep, "copy %d" % k)
        if c.get("lport") is None:
            pass
        elif not (c.get("lport") == ports[k] and c.get("rport") in cports[k] and
                  c.get("laddr") == LOOPBACK and c.get("raddr") == LOOPBACK):
            rep.fail("copy %d (pid %d): event not on one of its own connections: %s" %
                     (k, pids[k], describe(c)))
        for m in rx.finditer(c["data"]):
            tag = m.group(1).decode()
            if tag not in tags:
                rep.fail("unknown tag %r in %s" % (tag, describe(c)))
            elif tags.index(tag) != k:
                rep.fail("copy %d (pid %d) has an event with copy %d's request: %s" %
                         (k, pids[k], tags.index(tag), describe(c)))
            else:
                counts[(k, c["dir"])] += 1
    for k in range(len(pids)):
        for d in ("read", "write"):
            if counts[(k, d)] == 0:
                rep.fail("copy %d (pid %d): no %s event with its own requests" %
                         (k, pids[k], d))
    shared = set.intersection(*[{c.get("conn") for c in calls if c["pid"] == p}
                                for p in pids])
    for k, p in enumerate(pids):
        n = sum(1 for c in calls if c["pid"] == p)
        rep.say("copy %d (pid %d): %d calls, %d of them with no tuple (attribution none)" %
                (k, p, n, unattributed[k]))
        if unattributed[k]:
            rep.fail("copy %d: %d of %d calls unattributed (every call of a live "
                     "connection must carry its tuple)" % (k, unattributed[k], n))
    rep.say("calls per copy: %s; tls.Conn addresses seen in both copies: %d" % (
        ", ".join("pid %d read=%d write=%d" % (p, counts[(k, "read")], counts[(k, "write")])
                  for k, p in enumerate(pids)), len(shared)))
    if a.min_shared and len(shared) < a.min_shared:
        rep.fail("only %d tls.Conn addresses common to both copies (need >= %d): the "
                 "copies do not share heap addresses, the test proves little" %
                 (len(shared), a.min_shared))
    return rep.done()


# --- chunking and truncation --------------------------------------------------

def cmd_chunks(a):
    """The one call of PID/DIR whose data starts with the expected bytes,
    chunk by chunk: len, chunk_off, size, more and truncated exact.  Also
    checks --truncated-total against the sum of (len - captured) of every call
    in the file."""
    rep = Report()
    evs = events.load_events(a.file)
    want = open(a.expect_file, "rb").read()
    L = len(want)
    cap = min(L, a.max_bytes)
    head = want[:min(64, cap)]
    starts = [i for i, e in enumerate(evs) if e["pid"] == a.pid and e["dir"] == a.dir and
              e.get("chunk_off") == 0 and e["data"].startswith(head)]
    if len(starts) != 1:
        rep.fail("%d calls start with %r, expected exactly 1" % (len(starts), head))
        return rep.done()
    first = evs[starts[0]]
    chunks = [e for e in evs[starts[0]:] if e["pid"] == first["pid"] and
              e["tid"] == first["tid"] and e["dir"] == first["dir"]]
    got = []
    for e in chunks:
        got.append(e)
        if not e.get("more"):
            break
    nexp = (cap + a.chunk - 1) // a.chunk
    if len(got) != nexp:
        rep.fail("%d chunks, expected %d (call of %d bytes, cap %d, chunk %d)" %
                 (len(got), nexp, L, cap, a.chunk))
    for k, e in enumerate(got):
        off = k * a.chunk
        size = min(a.chunk, cap - off)
        last = k == nexp - 1
        probs = []
        if e["len"] != L:
            probs.append("len %d != %d" % (e["len"], L))
        if e.get("chunk_off") != off:
            probs.append("chunk_off %s != %d" % (e.get("chunk_off"), off))
        if len(e["data"]) != size:
            probs.append("%d data bytes != %d" % (len(e["data"]), size))
        elif e["data"] != want[off:off + size]:
            probs.append("data differs from the bytes written at offset %d" % off)
        if bool(e.get("more")) != (not last):
            probs.append("more=%s" % e.get("more"))
        if bool(e.get("truncated")) != (L > a.max_bytes):
            probs.append("truncated=%s" % e.get("truncated"))
        if e.get("attribution") != "go-memory":
            probs.append("attribution %s" % e.get("attribution"))
        if probs:
            rep.fail("chunk %d: %s" % (k, "; ".join(probs)))
    calls = events.reassemble(evs)
    if a.truncated_total is not None:
        tot = sum(c["len"] - len(c["data"]) for c in calls)
        if tot != a.truncated_total:
            rep.fail("the events lack %d bytes in all, the counter says truncated_bytes=%d" %
                     (tot, a.truncated_total))
        rep.say("truncated bytes: %d by the events, %d by the counter" % (tot, a.truncated_total))
    rep.say("%s of %d bytes: %d chunk(s) of <= %d, captured %d, truncated=%s" %
            (a.dir, L, len(got), a.chunk, sum(len(e["data"]) for e in got),
             any(e.get("truncated") for e in got)))
    return rep.done()


# --- the traced process's code, compared with its file -------------------------

def cmd_text(a):
    """How many bytes of the traced functions' code differ between the running
    process (/proc/PID/mem) and the binary (a uprobe shows as an int3 in the
    process's copy of the page while it is registered)."""
    import json
    import subprocess
    res = json.loads(subprocess.run([a.tlstap, "resolve", "--json", a.binary], check=True,
                                    stdout=subprocess.PIPE).stdout)
    if res.get("pie"):
        raise events.CheckError("%s is PIE: give a non-PIE binary" % a.binary)
    diff = total = 0
    with open(a.binary, "rb") as f, open("/proc/%d/mem" % a.pid, "rb") as mem:
        for fn in res["functions"]:
            if not fn.get("found"):
                continue
            f.seek(fn["file_offset"])
            want = f.read(fn["size"])
            mem.seek(fn["address"])
            got = mem.read(fn["size"])
            total += len(want)
            diff += sum(1 for x, y in zip(want, got) if x != y)
    print("%d of %d code bytes of the traced functions differ from the file" % (diff, total))
    if total == 0:
        raise events.CheckError("no traced function found in %s" % a.binary)
    return 0 if (diff > 0) == a.expect_probes else 1


def main(argv):
    ap = argparse.ArgumentParser(prog="goevents.py")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("paths")
    p.add_argument("prefix")
    p.add_argument("n", type=int)
    p = sub.add_parser("pair")
    p.add_argument("--client-json", required=True)
    p.add_argument("--client-pid", type=int, required=True)
    p.add_argument("--client-log", required=True)
    p.add_argument("--server-json", required=True)
    p.add_argument("--server-pid", type=int, required=True)
    p.add_argument("--server-port", type=int, required=True)
    p.add_argument("--server-log")
    p.add_argument("--all-client-logs", help="every client of this server, comma list")
    p.add_argument("--paths", required=True)
    p.add_argument("--mode", choices=("h1", "h2", "raw"), required=True)
    p.add_argument("--skip-last", action="store_true",
                   help="do not assert the last path's exchange (the client exits right "
                   "after it: see t_go_close_race.sh)")
    p = sub.add_parser("reuse")
    p.add_argument("file")
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--server-port", type=int, required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--min-rate", type=float, default=0.99)
    p.add_argument("--min-requests", type=int, default=10000)
    p.add_argument("--server-json")
    p.add_argument("--server-pid", type=int)
    p = sub.add_parser("copies")
    p.add_argument("file")
    p.add_argument("--pids", required=True)
    p.add_argument("--ports", required=True)
    p.add_argument("--logs", required=True, help="tlsclient -print-ports output, per copy")
    p.add_argument("--tags", required=True, help="the tag in each copy's request paths")
    p.add_argument("--paths-re", required=True, help="regex; group 1 is the tag")
    p.add_argument("--min-shared", type=int, default=0)
    p = sub.add_parser("chunks")
    p.add_argument("file")
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--dir", choices=("read", "write"), required=True)
    p.add_argument("--expect-file", required=True, help="the exact bytes of the call")
    p.add_argument("--chunk", type=int, default=16384)
    p.add_argument("--max-bytes", type=int, default=16384)
    p.add_argument("--truncated-total", type=int)
    p = sub.add_parser("text")
    p.add_argument("pid", type=int)
    p.add_argument("binary")
    p.add_argument("--tlstap", default=os.environ.get("TLSTAP", "build/tlstap"))
    p.add_argument("--expect-probes", action="store_true",
                   help="expect differences (probes registered); default: none")
    a = ap.parse_args(argv)
    try:
        if a.cmd == "paths":
            print(",".join(literal_path("%s-%03d" % (a.prefix, i)) for i in range(a.n)))
            return 0
        if a.cmd == "pair":
            return cmd_pair(a)
        if a.cmd == "reuse":
            return cmd_reuse(a)
        if a.cmd == "copies":
            return cmd_copies(a)
        if a.cmd == "chunks":
            return cmd_chunks(a)
        if a.cmd == "text":
            return cmd_text(a)
    except (events.CheckError, OSError) as e:
        print("goevents.py: %s" % e, file=sys.stderr)
        return 1
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
