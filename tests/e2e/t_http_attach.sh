#!/usr/bin/env bash
# HTTP/1.1 and HTTP/2 connections opened before tlstap attaches: the Go
# testdata client sends 40 requests (paths /m0 .. /m39, 100 ms apart) on one
# keep-alive connection to the Go testdata server; tlstap attaches to both
# (-p) after ~10 requests.  Every exchange after the attach must be reported,
# and none with a wrong method, path or status: a field that could not be
# known (HTTP/2: a header from an HPACK entry inserted before the attach) is
# null and the exchange says hpack.
source "$(dirname "$0")/lib.sh"
T=$E2E_TMP
go_testdata "" tlsserver-default tlsclient-default
V=$GO_V
SRV=$GO_BIN/tlsserver-default
CLI=$GO_BIN/tlsclient-default
PATHS=$(seq -s, -f '/m%g' 0 39)

for proto in h1 h2; do
	echo "=== $proto (Go $V)"
	start_go_server "$SRV"
	"$CLI" -addr "127.0.0.1:$SRV_PORT" -n 40 -interval 100ms -path "$PATHS" \
		-http2=$([ $proto = h2 ] && echo true || echo false) >"$T/$proto.cli" 2>&1 &
	CLI_PID=$!
	kill_at_exit "$CLI_PID"
	wait_for "$T/$proto.cli" '^req ' 10 20
	start_trace "$T/$proto.json" -p "$SRV_PID" -p "$CLI_PID"
	# Requests done before the tracer was in place (one more may straddle).
	BEFORE=$(grep -c '^req ' "$T/$proto.cli")
	wait "$CLI_PID" || fail "tlsclient: $(tail -3 "$T/$proto.cli")"
	sleep 0.3
	stop_trace "$T/$proto.json"
	stop_processes "$SRV_PID"
	http_replay "$T/$proto.json" "$T/$proto.x"
	python3 - "$T/$proto.x" "$SRV_PID" "$CLI_PID" "$BEFORE" "$proto" <<'PY' || fail "$proto"
import json, sys
path, srv, cli, before, proto = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
xs = [json.loads(l) for l in open(path) if l.strip()]
bad = []
for pid, role in ((srv, "server"), (cli, "client")):
    # In request order (exchanges are written when they end).
    mine = sorted((x for x in xs if x["pid"] == pid), key=lambda x: x["time_ns"])
    want_proto = "h2" if proto == "h2" else "http/1.1"
    known = []
    for x in mine:
        d = "%s %s %s -> %s %s" % (role, x["method"], x["path"], x["status"], x["partial"])
        if x["proto"] != want_proto or x["role"] != role:
            bad.append("wrong proto/role: " + d)
        if x["method"] not in (None, "GET") or x["status"] not in (None, 200):
            bad.append("wrong method or status: " + d)
        if None in (x["method"], x["path"]) and not x["partial"]:
            bad.append("a null field without a reason: " + d)
        # No status: with a reason (a call missed while attaching: gap), or
        # the client's last request, whose answer races the client's exit.
        if x["status"] is None and not x["partial"] and not (role == "client" and x["path"] == "/m39"):
            bad.append("no response: " + d)
        if x["path"] is not None:
            if not x["path"].startswith("/m"):
                bad.append("wrong path: " + d)
            else:
                known.append(int(x["path"][2:]))
        print("ok? " + d)
    # Paths come in the client's order, each once, none skipped.
    if known != list(range(known[0], known[0] + len(known))) if known else True:
        bad.append("%s: paths not in sequence: %s" % (role, known))
    complete = [x for x in mine if x["status"] == 200]
    # Every request after the attach is reported (and answered).
    if len(complete) < 40 - before - 1:
        bad.append("%s: %d answered exchanges, want >= %d" % (role, len(complete), 40 - before - 1))
    if known and known[-1] != 39:
        bad.append("%s: last path /m%d, want /m39" % (role, known[-1]))
for b in bad:
    print("FAIL: " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
done
check_no_probes_left
echo "PASS"
