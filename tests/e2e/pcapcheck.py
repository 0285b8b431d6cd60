#!/usr/bin/env python3
"""Checks of a pcapng written by tlstap (-w), read by tshark (a reader nobody
here wrote), against the NDJSON of the same run.

    pcapcheck.py segments PCAP NDJSON --pid P [--synthetic]
        Every packet tshark reads: IP and TCP checksums good (tshark checks
        them), a comment naming the process, the EPB direction flag agreeing
        with the comment's dir.  Every data segment carries exactly the
        NDJSON's bytes at its offset (sequence number - the direction's
        first + its first stream_off; with --synthetic: - SYN - 1, and each
        connection must start with the synthetic handshake); ACKs never go
        back and cover every byte the other direction showed before.  Every
        byte of a trusted NDJSON chunk of P is in some segment.
    pcapcheck.py follow PCAP NDJSON --pid P
        tshark -z follow,tcp,raw of every TCP stream: per direction exactly
        the NDJSON's bytes, with Wireshark's "[N bytes missing in capture
        file]" exactly where stream_off jumps (lost, truncated bytes).
    pcapcheck.py untrusted NDJSON COUNT
        COUNT (tlstap's pcapng_untrusted_chunks) is the number of chunks of
        the NDJSON without a trusted tuple: attribution none or ambiguous,
        or a port 0 (a socket already closed).
    pcapcheck.py same PCAP1 PCAP2
        The same packets (time, addresses, ports, sequence numbers, flags,
        payload, comment, direction) in the same order.

Exit 0 when the check holds, 1 with "pcapcheck.py: ..." lines on stderr.
"""

import argparse
import re
import subprocess
import sys
from collections import defaultdict

import events

TRUSTED = ("go-memory", "syscall-fd", "cache", "ciphertext")
FIELDS = ["frame.number", "frame.time_epoch", "tcp.stream", "ip.src", "ipv6.src",
          "tcp.srcport", "ip.dst", "ipv6.dst", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw",
          "tcp.flags", "tcp.len", "tcp.payload", "frame.comment",
          "frame.packet_flags_direction", "tcp.checksum.status", "ip.checksum.status"]
CHECKSUMS = ["-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE"]


class Fail(Exception):
    pass


def tshark(*args):
    p = subprocess.run(["tshark", *args], capture_output=True)
    err = [l for l in p.stderr.decode(errors="replace").splitlines()
           if "Running as user" not in l]
    if p.returncode != 0 or err:
        raise Fail("tshark %s: exit %d: %s" % (" ".join(args), p.returncode, " | ".join(err)))
    return p.stdout.decode()


def packets(pcap):
    out = tshark("-r", pcap, *CHECKSUMS, "-T", "fields", "-E", "separator=\t",
                 "-E", "occurrence=f", *sum((["-e", f] for f in FIELDS), []))
    pkts = []
    for line in out.splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        v["src"] = v["ip.src"] or v["ipv6.src"]
        v["dst"] = v["ip.dst"] or v["ipv6.dst"]
        v["payload"] = bytes.fromhex(v["tcp.payload"])
        v["flags"] = int(v["tcp.flags"], 16)
        pkts.append(v)
    return pkts


def trusted(ev):
    # No TCP connection has a port 0 (a socket read after its close).
    return ev["attribution"] in TRUSTED and bool(ev["lport"]) and bool(ev["rport"])


def cmd_untrusted(a):
    n = sum(1 for ev in events.load_events(a.ndjson) if ev["data"] and not trusted(ev))
    report([] if n == a.count else ["%d chunks without a trusted tuple, %d counted" %
                                    (n, a.count)], "%d chunks left out and counted" % n)


def streams_of(ndjson, pid):
    """{(laddr, lport, raddr, rport): {dir: {offset: bytes}}} of P's trusted
    chunks, placed at their stream_off."""
    conns = defaultdict(lambda: {"read": {}, "write": {}})
    for ev in events.load_events(ndjson):
        if ev["pid"] != pid or not trusted(ev) or not ev["data"]:
            continue
        if ev.get("stream_off") is None:
            raise Fail("line %d: no stream_off" % ev["_line"])
        key = (ev["laddr"], ev["lport"], ev["raddr"], ev["rport"])
        conns[key][ev["dir"]][ev["stream_off"]] = ev["data"]
    return conns


def flat(chunks):
    """{offset: bytes} -> [(offset, bytes)] merged where contiguous."""
    out = []
    for off in sorted(chunks):
        d = chunks[off]
        if out and out[-1][0] + len(out[-1][1]) == off:
            out[-1] = (out[-1][0], out[-1][1] + d)
        elif out and out[-1][0] + len(out[-1][1]) > off:
            raise Fail("NDJSON chunks overlap at offset %d" % off)
        else:
            out.append((off, d))
    return out


def byte_at(runs, off, n):
    for o, d in runs:
        if o <= off and off + n <= o + len(d):
            return d[off - o:off - o + n]
    return None


def conn_of(pkt, conns):
    """(key, dir) of a packet: dir from the traced process's side."""
    sp, dp = int(pkt["tcp.srcport"]), int(pkt["tcp.dstport"])
    for key in conns:
        la, lp, ra, rp = key
        if (pkt["src"], sp, pkt["dst"], dp) == (la, lp, ra, rp):
            return key, "write"
        if (pkt["src"], sp, pkt["dst"], dp) == (ra, rp, la, lp):
            return key, "read"
    return None, None


def check_packet_meta(p, pid, problems):
    n = p["frame.number"]
    if p["tcp.checksum.status"] != "1":
        problems.append("frame %s: TCP checksum status %s" % (n, p["tcp.checksum.status"]))
    if p["ip.src"] and p["ip.checksum.status"] != "1":
        problems.append("frame %s: IPv4 checksum status %s" % (n, p["ip.checksum.status"]))
    c = p["frame.comment"]
    if not re.search(r"(^|; )pid=%d " % pid, c):
        problems.append("frame %s: comment %r does not name pid %d" % (n, c, pid))
    m = re.search(r" dir=(read|write) ", c)
    want = {"write": "0x00000002", "read": "0x00000001"}
    if m and p["frame.packet_flags_direction"] != want[m.group(1)]:
        problems.append("frame %s: dir=%s but EPB direction %s" %
                        (n, m.group(1), p["frame.packet_flags_direction"]))
    if not m and not c.startswith("synthetic "):
        problems.append("frame %s: comment %r has no dir=" % (n, c))
    if m and not re.search(r"tid=\d+ comm=\S+ lib=(go|openssl|gnutls) dir=\S+ "
                           r"attribution=(%s)" % "|".join(TRUSTED), c):
        problems.append("frame %s: comment %r lacks tid/comm/lib/attribution" % (n, c))


def cmd_segments(a):
    conns = streams_of(a.ndjson, a.pid)
    if not conns:
        raise Fail("no trusted chunk of pid %d in %s" % (a.pid, a.ndjson))
    runs = {k: {d: flat(v[d]) for d in v} for k, v in conns.items()}
    base = {}     # (key, dir) -> sequence number of stream offset 0
    shown = {}    # (key, dir) -> end (raw seq) of the last segment shown
    acked = {}    # (key, dir) -> last ack sent in that direction
    covered = defaultdict(set)
    problems = []
    pkts = packets(a.pcap)
    for p in pkts:
        check_packet_meta(p, a.pid, problems)
        key, d = conn_of(p, conns)
        n = p["frame.number"]
        if key is None:
            problems.append("frame %s: %s:%s -> %s:%s is no connection of pid %d" %
                            (n, p["src"], p["tcp.srcport"], p["dst"], p["tcp.dstport"], a.pid))
            continue
        seq, ack = int(p["tcp.seq_raw"]), int(p["tcp.ack_raw"])
        other = "read" if d == "write" else "write"
        if p["flags"] & 0x02:  # SYN: offset 0 is SYN + 1
            if not p["frame.comment"].startswith("synthetic SYN"):
                problems.append("frame %s: a SYN not commented synthetic" % n)
            base[(key, d)] = (seq + 1) & 0xffffffff
            continue
        if not p["payload"]:
            continue
        if (key, d) not in base:
            if a.synthetic:
                problems.append("frame %s: data before the synthetic handshake" % n)
            first = runs[key][d][0][0] if runs[key][d] else 0
            base[(key, d)] = (seq - first) & 0xffffffff
        off = (seq - base[(key, d)]) & 0xffffffff
        want = byte_at(runs[key][d], off, len(p["payload"]))
        if want != p["payload"]:
            problems.append("frame %s: %s %d bytes at offset %d differ from the NDJSON" %
                            (n, d, len(p["payload"]), off))
        covered[(key, d)].add((off, len(p["payload"])))
        shown[(key, d)] = (seq + len(p["payload"])) & 0xffffffff
        # The ACK covers what the other direction showed, and never goes back.
        if (key, other) in shown and ((ack - shown[(key, other)]) & 0xffffffff) >= 1 << 31:
            problems.append("frame %s: ack %d is behind the other direction's %d" %
                            (n, ack, shown[(key, other)]))
        if (key, d) in acked and ((ack - acked[(key, d)]) & 0xffffffff) >= 1 << 31:
            problems.append("frame %s: ack %d goes back from %d" % (n, ack, acked[(key, d)]))
        acked[(key, d)] = ack
    for key, dirs in runs.items():
        for d, rs in dirs.items():
            got = sorted(covered[(key, d)])
            for o, data in rs:
                pos = o
                for co, cl in got:
                    if co <= pos < co + cl:
                        pos = co + cl
                if pos < o + len(data):
                    problems.append("%s %s: NDJSON bytes at offset %d are in no segment" %
                                    (key, d, pos))
    report(problems, "%d packets, %d connections" % (len(pkts), len(conns)))


MISSING = re.compile(rb"^\[(\d+) bytes missing in capture file\]\x00?$")


def follow(pcap, stream):
    """{node: [(kind, value)]}: kind "data" (bytes) or "gap" (length)."""
    out = tshark("-r", pcap, "-q", "-z", "follow,tcp,raw,%d" % stream)
    nodes, parts = {}, {0: [], 1: []}
    for line in out.splitlines():
        m = re.match(r"Node ([01]): (.*):(\d+)$", line)
        if m:
            nodes[int(m.group(1))] = (m.group(2).strip("[]"), int(m.group(3)))
            continue
        if not re.fullmatch(r"\t?[0-9a-f]+", line):
            continue
        node = 1 if line.startswith("\t") else 0
        b = bytes.fromhex(line.strip())
        m = MISSING.match(b)
        if m:
            parts[node].append(("gap", int(m.group(1))))
        elif parts[node] and parts[node][-1][0] == "data":
            parts[node][-1] = ("data", parts[node][-1][1] + b)
        else:
            parts[node].append(("data", b))
    return nodes, parts


def expected_parts(rs):
    """NDJSON runs -> [(kind, value)]: the gaps between them as Wireshark
    shows them (nothing before the first byte seen)."""
    out, end = [], None
    for o, d in rs:
        if end is not None and o > end:
            out.append(("gap", o - end))
        out.append(("data", d))
        end = o + len(d)
    return out


def cmd_follow(a):
    conns = streams_of(a.ndjson, a.pid)
    runs = {k: {d: flat(v[d]) for d in v} for k, v in conns.items()}
    ids = sorted({int(p["tcp.stream"]) for p in packets(a.pcap)})
    problems, seen = [], set()
    for sid in ids:
        nodes, parts = follow(a.pcap, sid)
        key = None
        for k in conns:
            if {nodes.get(0), nodes.get(1)} == {(k[0], k[1]), (k[2], k[3])}:
                key = k
        if key is None:
            problems.append("tcp.stream %d %s: no connection of pid %d" % (sid, nodes, a.pid))
            continue
        seen.add(key)
        for node in (0, 1):
            d = "write" if nodes[node] == (key[0], key[1]) else "read"
            want = expected_parts(runs[key][d])
            # After a (synthetic) SYN Wireshark knows where the stream starts
            # and shows what is missing before its first byte seen.
            lead = runs[key][d][0][0] if runs[key][d] else 0
            if lead and parts[node][:1] == [("gap", lead)]:
                want.insert(0, ("gap", lead))
            if parts[node] != want:
                problems.append("tcp.stream %d %s (%s): follow shows %s, NDJSON %s" %
                                (sid, d, key, summarize(parts[node]), summarize(want)))
    for k in set(conns) - seen:
        problems.append("connection %s: no TCP stream in %s" % (k, a.pcap))
    report(problems, "%d TCP streams followed" % len(ids))


def summarize(parts):
    return "[" + ", ".join("%d bytes" % len(v) if k == "data" else "gap %d" % v
                           for k, v in parts) + "]"


def cmd_same(a):
    keys = ["frame.time_epoch", "src", "dst", "tcp.srcport", "tcp.dstport", "tcp.seq_raw",
            "tcp.ack_raw", "flags", "payload", "frame.comment", "frame.packet_flags_direction"]
    p1, p2 = packets(a.pcap1), packets(a.pcap2)
    problems = []
    if len(p1) != len(p2):
        problems.append("%d packets in %s, %d in %s" % (len(p1), a.pcap1, len(p2), a.pcap2))
    for x, y in zip(p1, p2):
        diff = [k for k in keys if x[k] != y[k]]
        if diff:
            problems.append("frame %s differs: %s" % (x["frame.number"], ", ".join(diff)))
            break
    report(problems, "%d packets alike" % len(p1))


def report(problems, ok):
    for p in problems[:20]:
        print("pcapcheck.py: " + p, file=sys.stderr)
    if problems:
        raise SystemExit(1)
    print("pcapcheck.py: ok: " + ok)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("segments", "follow"):
        s = sub.add_parser(name)
        s.add_argument("pcap")
        s.add_argument("ndjson")
        s.add_argument("--pid", type=int, required=True)
        if name == "segments":
            s.add_argument("--synthetic", action="store_true")
    s = sub.add_parser("untrusted")
    s.add_argument("ndjson")
    s.add_argument("count", type=int)
    s = sub.add_parser("same")
    s.add_argument("pcap1")
    s.add_argument("pcap2")
    a = ap.parse_args()
    try:
        {"segments": cmd_segments, "follow": cmd_follow, "same": cmd_same,
         "untrusted": cmd_untrusted}[a.cmd](a)
    except (Fail, events.CheckError) as e:
        print("pcapcheck.py: %s" % e, file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
