#!/usr/bin/env python3
"""Helpers for the end-to-end tests: read tlstap's NDJSON, put chunked TLS
calls back together, filter them, and assert on exact bytes and tuples.

Library use (from a test's inline python):

    import events
    calls = events.load_calls("trace.json")
    w = events.only(calls, pid=123, dir="write")
    events.expect_call(w, contains=b"GET / HTTP/1.1", lport=5, rport=443)

CLI use (from the shell scripts; exit 0 = assertion holds, 1 = it does not,
with one "events.py: ..." line per problem on stderr):

    events.py summary FILE
    events.py stream FILE --pid P --dir read|write [--lib L] > bytes
    events.py expect FILE --pid P --dir D [--contains-file F | --equals-file F
              | --contains TEXT] [--lport N] [--rport N] [--laddr A]
              [--raddr A] [--attribution syscall-fd,cache] [--lib L]
    events.py pids FILE --allowed P1,P2,...
    events.py attribution FILE --pid P --allowed syscall-fd,cache
    events.py proxy FILE --proxy-pids P1,P2 --frontend-port N
              --backend-ports B1,B2 --requests LOG [--min-rate 0.99]
              [--min-requests 10000] [--side server|client]

A "call" is one TLS read or write: the events of one call (same pid and tid,
chunk_off advancing, "more" on every chunk but the last) joined into one
dict with the same fields as an event and "data" as bytes.
"""

import argparse
import base64
import json
import re
import sys
from collections import Counter, defaultdict

GOOD_ATTRIBUTIONS = ("syscall-fd", "cache", "go-memory")


class CheckError(AssertionError):
    pass


def load_events(path):
    """Every event of an NDJSON file, with "data" decoded to bytes.  Lines with
    an "event" key (conn_end, exit: docs/ndjson.md) are not chunks: skipped."""
    evs = []
    with open(path, "rb") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                ev = json.loads(line)
            except ValueError as e:
                raise CheckError("%s:%d: not JSON (%s): %.120r" % (path, n, e, line))
            if "event" in ev:
                continue
            ev["data"] = base64.b64decode(ev.get("data") or "")
            ev["_line"] = n
            evs.append(ev)
    return evs


def reassemble(evs):
    """Join the chunks of each call.  Chunks of one call come in order from
    one thread; other threads' events may come in between.  A chunk that does
    not continue the pending call of its thread starts a new call (and the
    broken one is kept, flagged "broken")."""
    calls = []
    pending = {}  # (pid, tid) -> call being assembled
    for ev in evs:
        key = (ev["pid"], ev["tid"])
        cur = pending.get(key)
        off = ev.get("chunk_off", 0)
        if cur is not None:
            if (off == cur["chunk_off"] + len(cur["data"]) and ev["dir"] == cur["dir"]
                    and ev.get("conn") == cur.get("conn")):
                cur["data"] += ev["data"]
                cur["more"] = ev.get("more", False)
                cur["truncated"] = cur.get("truncated") or ev.get("truncated", False)
                cur["chunks"] += 1
                if not cur["more"]:
                    del pending[key]
                continue
            cur["broken"] = True
            del pending[key]
        call = dict(ev)
        call["data"] = bytes(ev["data"])
        call["chunks"] = 1
        call["broken"] = off != 0
        calls.append(call)
        if ev.get("more"):
            pending[key] = call
    for cur in pending.values():
        cur["broken"] = True
    return calls


def load_calls(path):
    return reassemble(load_events(path))


def only(calls, pid=None, dir=None, lib=None, pids=None):
    out = []
    for c in calls:
        if pid is not None and c["pid"] != int(pid):
            continue
        if pids is not None and c["pid"] not in pids:
            continue
        if dir is not None and c["dir"] != dir:
            continue
        if lib is not None and c["lib"] != lib:
            continue
        out.append(c)
    return out


def stream(calls):
    """The bytes of the calls, in order."""
    return b"".join(c["data"] for c in calls)


def describe(c):
    return ("pid=%s tid=%s comm=%s lib=%s dir=%s len=%s %s:%s -> %s:%s attr=%s fd=%s "
            "data=%.60r" % (c["pid"], c["tid"], c.get("comm"), c["lib"], c["dir"],
                            c["len"], c.get("laddr"), c.get("lport"), c.get("raddr"),
                            c.get("rport"), c.get("attribution"), c.get("fd"), c["data"]))


def check_tuple(c, laddr=None, lport=None, raddr=None, rport=None, attributions=None):
    """Problems with one call's tuple and attribution, as a list of strings."""
    bad = []
    for name, want in (("laddr", laddr), ("lport", lport), ("raddr", raddr),
                       ("rport", rport)):
        if want is None:
            continue
        got = c.get(name)
        if name.endswith("port") and got is not None:
            want = int(want)
        if got != want:
            bad.append("%s is %r, expected %r" % (name, got, want))
    if attributions is not None and c.get("attribution") not in attributions:
        bad.append("attribution is %r, expected one of %s" % (c.get("attribution"),
                                                              ",".join(attributions)))
    return bad


def expect_call(calls, contains=None, equals=None, **tuple_want):
    """The calls whose data equals `equals` / contains `contains` (joined
    across consecutive calls of the same connection when the bytes span
    several calls) must exist and all have the tuple and attribution asked.
    Returns the matching calls; raises CheckError with a clear message."""
    if not calls:
        raise CheckError("no TLS call at all for this filter")
    matches = []
    if equals is not None:
        matches = [c for c in calls if c["data"] == equals]
        if not matches:
            whole = stream(calls)
            if whole == equals:
                matches = list(calls)
    elif contains is not None:
        matches = [c for c in calls if contains in c["data"]]
        if not matches and contains in stream(calls):
            matches = list(calls)
    else:
        matches = list(calls)
    if not matches:
        want = equals if equals is not None else contains
        raise CheckError("no call with the expected bytes %.200r; got %d calls, "
                         "joined: %.300r" % (want, len(calls), stream(calls)))
    problems = []
    for c in matches:
        for p in check_tuple(c, **tuple_want):
            problems.append("%s: %s" % (p, describe(c)))
    if problems:
        raise CheckError("; ".join(problems[:5]) +
                         (" (and %d more)" % (len(problems) - 5) if len(problems) > 5 else ""))
    return matches


def summary(evs, calls):
    lines = ["events=%d calls=%d" % (len(evs), len(calls))]
    by = Counter((c["pid"], c.get("comm"), c["lib"], c["dir"], c.get("attribution"))
                 for c in calls)
    for (pid, comm, lib, d, attr), n in sorted(by.items(), key=lambda kv: str(kv[0])):
        lines.append("  pid=%s comm=%s lib=%s dir=%s attribution=%s calls=%d" %
                     (pid, comm, lib, d, attr, n))
    return "\n".join(lines)


# --- the proxy scenario ----------------------------------------------------

# Request paths made by testdata/py/keepalive_client.py: /r/<client port>/<id>
REQ_RE = re.compile(rb"GET /r/(\d+)/(\d+) HTTP/1\.1")
# Responses echo the path: the nginx backends' "served /r/<port>/<id> by <name>",
# testdata/py/https_server.py's "path=/r/<port>/<id>".
RESP_RE = re.compile(rb"(?:served |path=)/r/(\d+)/(\d+)\b")


def load_requests(path):
    """The requests the clients made: {id: (lport, phase)}.  Lines are
    "id lport phase" (phase: pre, during, new)."""
    reqs = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 3:
                continue
            reqs[int(parts[0])] = (int(parts[1]), parts[2])
    return reqs


def proxy_check(calls, proxy_pids, frontend_port, backend_ports, requests, min_rate,
                min_requests=10000, side="server"):
    """Judge a TLS-terminating proxy's events (side="server": the proxy reads
    requests and writes responses, its lport is frontend_port and its rport the
    client's port) or a client's own events (side="client": the client writes
    requests and reads responses, lport is its port, rport frontend_port).
    Returns (ok, report lines, problems)."""
    req_dir, resp_dir = ("read", "write") if side == "server" else ("write", "read")
    backend_ports = set(backend_ports)
    rep = []
    bad = []
    tls = only(calls, pids=set(proxy_pids))
    foreign = [c for c in calls if c["pid"] not in set(proxy_pids)]
    if foreign:
        bad.append("%d calls from pids not traced as proxy, e.g. %s" %
                   (len(foreign), describe(foreign[0])))
    on_backend = [c for c in tls if c.get("lport") in backend_ports or
                  c.get("rport") in backend_ports]
    if on_backend:
        bad.append("%d TLS calls attributed to a plaintext backend tuple, e.g. %s" %
                   (len(on_backend), describe(on_backend[0])))
    attrs = Counter(c.get("attribution") for c in tls)
    rep.append("proxy TLS calls: %d (%s)" % (len(tls), ", ".join(
        "%s=%d" % kv for kv in sorted(attrs.items()))))

    # Every request and response seen, judged against its true client tuple.
    seen = {"read": {}, "write": {}}
    wrong = {"read": [], "write": []}
    unknown_ids = 0
    for c in tls:
        rx = REQ_RE if c["dir"] == req_dir else RESP_RE
        for m in rx.finditer(c["data"]):
            port, rid = int(m.group(1)), int(m.group(2))
            if rid not in requests:
                unknown_ids += 1
                continue
            true_port = requests[rid][0]
            if true_port != port:
                bad.append("request %d: path says port %d, client logged %d" %
                           (rid, port, true_port))
            if c.get("attribution") not in GOOD_ATTRIBUTIONS or c.get("rport") is None:
                seen[c["dir"]].setdefault(rid, "unattributed")
                continue
            want = ((frontend_port, true_port) if side == "server" else
                    (true_port, frontend_port))
            if (c.get("raddr") == "127.0.0.1" and c.get("laddr") == "127.0.0.1" and
                    (c.get("lport"), c.get("rport")) == want):
                seen[c["dir"]][rid] = "right"
            else:
                seen[c["dir"]][rid] = "wrong"
                wrong[c["dir"]].append((rid, true_port, c))
    if unknown_ids:
        bad.append("%d request ids in the trace that no client logged" % unknown_ids)
    ok_rates = True
    who = "proxy" if side == "server" else "client"
    for d, what in ((req_dir, "requests (%s SSL %s of 'GET /r/..')" % (who, req_dir)),
                    (resp_dir, "responses (%s SSL %s of '/r/..' echo)" % (who, resp_dir))):
        by_phase = defaultdict(Counter)
        for rid, (port, phase) in requests.items():
            if phase == "pre":
                continue  # made before the tracer was attached
            by_phase[phase][seen[d].get(rid, "missing")] += 1
            by_phase["all"][seen[d].get(rid, "missing")] += 1
        for phase in ("during", "new", "all"):
            cnt = by_phase[phase]
            total = sum(cnt.values())
            rate = cnt["right"] / total if total else 0.0
            rep.append("%s [%s]: %d expected, right=%d wrong=%d unattributed=%d "
                       "missing=%d -> %.4f%% right" %
                       (what, phase, total, cnt["right"], cnt["wrong"], cnt["unattributed"],
                        cnt["missing"], 100.0 * rate))
            if phase == "all":
                if total < min_requests:
                    bad.append("only %d %s traced, need >= %d" % (total, what, min_requests))
                if rate < min_rate:
                    ok_rates = False
                    bad.append("%s: %.4f%% right, need >= %.2f%%" %
                               (what, 100.0 * rate, 100.0 * min_rate))
        if wrong[d]:
            rid, port, c = wrong[d][0]
            bad.append("%d %s attributed to the WRONG tuple, e.g. id %d from client port "
                       "%d: %s" % (len(wrong[d]), what, rid, port, describe(c)))
    pre = sum(1 for v in requests.values() if v[1] == "pre")
    rep.append("requests before the tracer: %d (not counted)" % pre)
    return (not bad and ok_rates), rep, bad


# --- CLI -------------------------------------------------------------------

def _ints(s):
    return [int(x) for x in s.split(",") if x]


def main(argv):
    ap = argparse.ArgumentParser(prog="events.py")
    sub = ap.add_subparsers(dest="cmd", required=True)

    def filt(p):
        p.add_argument("file")
        p.add_argument("--pid", type=int)
        p.add_argument("--dir", choices=("read", "write"))
        p.add_argument("--lib")

    p = sub.add_parser("summary")
    p.add_argument("file")
    p = sub.add_parser("stream")
    filt(p)
    p = sub.add_parser("expect")
    filt(p)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--contains-file")
    g.add_argument("--equals-file")
    g.add_argument("--contains")
    p.add_argument("--lport", type=int)
    p.add_argument("--rport", type=int)
    p.add_argument("--laddr")
    p.add_argument("--raddr")
    p.add_argument("--attribution", help="comma-separated allowed values")
    p.add_argument("--label", default="")
    p = sub.add_parser("pids")
    p.add_argument("file")
    p.add_argument("--allowed", required=True)
    p = sub.add_parser("attribution")
    filt(p)
    p.add_argument("--allowed", required=True)
    p = sub.add_parser("proxy")
    p.add_argument("file")
    p.add_argument("--proxy-pids", required=True)
    p.add_argument("--frontend-port", type=int, required=True)
    p.add_argument("--backend-ports", required=True)
    p.add_argument("--requests", required=True)
    p.add_argument("--min-rate", type=float, default=0.99)
    p.add_argument("--min-requests", type=int, default=10000)
    p.add_argument("--side", choices=("server", "client"), default="server",
                   help="the traced pids are the TLS server (proxy) or the clients")
    a = ap.parse_args(argv)

    try:
        evs = load_events(a.file)
        calls = reassemble(evs)
        broken = [c for c in calls if c["broken"]]
        if broken:
            raise CheckError("%d calls whose chunks do not follow each other, e.g. %s" %
                             (len(broken), describe(broken[0])))
        if a.cmd == "summary":
            print(summary(evs, calls))
            return 0
        if a.cmd == "pids":
            allowed = set(_ints(a.allowed))
            bad = [c for c in calls if c["pid"] not in allowed]
            if bad:
                raise CheckError("%d calls from pids other than %s, e.g. %s" %
                                 (len(bad), a.allowed, describe(bad[0])))
            return 0
        if a.cmd == "proxy":
            ok, rep, bad = proxy_check(calls, _ints(a.proxy_pids), a.frontend_port,
                                       _ints(a.backend_ports), load_requests(a.requests),
                                       a.min_rate, a.min_requests, a.side)
            for line in rep:
                print(line)
            for line in bad:
                print("events.py: %s" % line, file=sys.stderr)
            return 0 if ok else 1
        sel = only(calls, pid=a.pid, dir=a.dir, lib=a.lib)
        if a.cmd == "stream":
            sys.stdout.buffer.write(stream(sel))
            return 0
        if a.cmd == "attribution":
            allowed = a.allowed.split(",")
            bad = [c for c in sel if c.get("attribution") not in allowed]
            if not sel:
                raise CheckError("no TLS call for pid %s dir %s" % (a.pid, a.dir))
            if bad:
                raise CheckError("%d of %d calls with attribution not in %s, e.g. %s" %
                                 (len(bad), len(sel), a.allowed, describe(bad[0])))
            return 0
        if a.cmd == "expect":
            kw = {}
            if a.contains_file:
                kw["contains"] = open(a.contains_file, "rb").read()
            elif a.equals_file:
                kw["equals"] = open(a.equals_file, "rb").read()
            elif a.contains:
                kw["contains"] = a.contains.encode()
            ms = expect_call(sel, laddr=a.laddr, lport=a.lport, raddr=a.raddr, rport=a.rport,
                             attributions=a.attribution.split(",") if a.attribution else None,
                             **kw)
            print("ok %s: %d call(s), e.g. %s" % (a.label, len(ms), describe(ms[0])))
            return 0
    except CheckError as e:
        print("events.py: %s%s" % ("%s: " % a.label if getattr(a, "label", "") else "", e),
              file=sys.stderr)
        return 1
    except OSError as e:
        print("events.py: %s" % e, file=sys.stderr)
        return 1
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
