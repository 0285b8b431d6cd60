#!/usr/bin/env python3
"""Checks on the JSON of `tlstap doctor --json` for the end-to-end tests.

CLI use (exit 0 = every assertion holds, 1 = one does not, with one
"doctorjson.py: ..." line per problem on stderr):

    doctorjson.py show FILE
        the maps (name, type, entries, max, pressure, read, live, unjudged,
        leaked, races) and the leaks, one line each
    doctorjson.py check FILE [--tracer PID] [--leaked N] [--races-min N]
              [--leak MAP,REASON,TGID]... [--no-unjudged]
              [--min-live MAP=N]... [--empty MAP,MAP...] [--read batch]
        --leaked N       exactly N leaks reported (and "leaked" says N)
        --leak ...       a leak of map MAP with that reason whose key (or, for
                         socks, value) has that tgid is reported
        --no-unjudged    no entry of any state map is left unjudged
        --min-live M=N   map M has at least N entries judged live
        --empty M,...    these maps have no entries at all
        --read batch     every hash map was read with batch lookups
"""

import argparse
import json
import sys

STATE_MAPS = ("go_calls", "go_conns", "go_gcalls", "go_tgids", "native_calls",
              "native_outer", "native_conns", "socks", "watch")


def load(path):
    with open(path) as f:
        return json.load(f)


def show(doc):
    for m in doc["maps"]:
        extra = ""
        if "live" in m:
            extra = " live %d unjudged %d leaked %d races %d" % (
                m["live"], m["unjudged"], m["leaked"], m["races"])
        print("map %-15s %-13s entries %s max %d pressure %s read %s%s" % (
            m["name"], m["type"], m["entries"], m["max_entries"], m["pressure"],
            m["read"], extra))
    for leak in doc["leaks"]:
        print("leak %s %s %s: %s (%s)" % (leak["map"], json.dumps(leak["key"]),
                                          json.dumps(leak["value"]), leak["reason"],
                                          leak["detail"]))
    print("checked %d live %d unjudged %d races_filtered %d leaked %d" % (
        doc["checked"], doc["live"], doc["unjudged"], doc["races_filtered"],
        doc["leaked"]))


def leak_tgid(leak):
    if "tgid" in leak["key"]:
        return leak["key"]["tgid"]
    return leak["value"].get("tgid")


def check(doc, a):
    problems = []
    maps = [m for m in doc["maps"] if a.tracer is None or m["tracer"] == a.tracer]
    by_name = {m["name"]: m for m in maps}
    for name in STATE_MAPS:
        if name not in by_name:
            problems.append("no map %s in the report" % name)
    if a.leaked is not None:
        if doc["leaked"] != a.leaked or len(doc["leaks"]) != a.leaked:
            problems.append("leaked %d (%d listed), expected %d" % (
                doc["leaked"], len(doc["leaks"]), a.leaked))
    if a.races_min is not None and doc["races_filtered"] < a.races_min:
        problems.append("races_filtered %d < %d" % (doc["races_filtered"], a.races_min))
    for spec in a.leak:
        name, reason, tgid = spec.split(",")
        if not any(leak["map"] == name and leak["reason"] == reason and
                   leak_tgid(leak) == int(tgid) for leak in doc["leaks"]):
            problems.append("no %s leak in %s for tgid %s" % (reason, name, tgid))
    if a.no_unjudged:
        for m in maps:
            if m.get("unjudged"):
                problems.append("map %s: %d entries unjudged" % (m["name"], m["unjudged"]))
    for spec in a.min_live:
        name, n = spec.split("=")
        live = by_name.get(name, {}).get("live", 0)
        if live < int(n):
            problems.append("map %s: %d live entries, expected >= %s" % (name, live, n))
    for name in (a.empty.split(",") if a.empty else []):
        if by_name.get(name, {}).get("entries") != 0:
            problems.append("map %s has %s entries, expected none" % (
                name, by_name.get(name, {}).get("entries")))
    if a.read:
        for m in maps:
            if m["type"].endswith("hash") and m["read"] != a.read:
                problems.append("map %s read by %s, expected %s" % (m["name"], m["read"],
                                                                   a.read))
    for p in problems:
        print("doctorjson.py: " + p, file=sys.stderr)
    return 1 if problems else 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("show")
    s.add_argument("file")
    c = sub.add_parser("check")
    c.add_argument("file")
    c.add_argument("--tracer", type=int)
    c.add_argument("--leaked", type=int)
    c.add_argument("--races-min", type=int)
    c.add_argument("--leak", action="append", default=[])
    c.add_argument("--no-unjudged", action="store_true")
    c.add_argument("--min-live", action="append", default=[])
    c.add_argument("--empty")
    c.add_argument("--read")
    a = ap.parse_args()
    doc = load(a.file)
    if a.cmd == "show":
        show(doc)
        return 0
    return check(doc, a)


if __name__ == "__main__":
    sys.exit(main())
