#!/usr/bin/env bash
# Attribution holds while an unrelated process hammers sockets.  The socket
# tracepoints tlstap attributes native (and wrapped Go) calls with fire for
# every socket I/O of the host; an untraced process (testdata sock_hammer:
# 3 threads, each connecting, sending, receiving (send/recv, write/read,
# sendfile/splice in turn) and closing on loopback
# as fast as it can, ~10^5 socket operations a second) runs the whole time
# while traced clients do TLS next to it:
#  - python3 (OpenSSL) keep-alive clients, 4 threads, to nginx echoing the
#    path: each request names its client's local port (GET /r/PORT/ID), so
#    every call carrying a request or its answer is checked against the
#    port that request was really sent from; every event is attributed
#    (syscall-fd or cache: neither ambiguous, which a second socket in the
#    call would make, nor none) and on a tuple of the client to nginx;
#    every request logged by the client is in the trace;
#  - testdata tlsclient -raw -wrap (Go: attribution from the goroutine's
#    socket I/O, the same tracepoints), keep-alive and a new connection per
#    request: the k-th request's write and the k-th response's read are on
#    the port the client printed for request k.
# No event is on a hammer socket (its listeners' ports), no call saw two
# sockets (multi_fd_calls=0), nothing was dropped; and the hammer did
# its work while the clients were traced (else this proves nothing).
source "$(dirname "$0")/lib.sh"
need_cmd nginx
T=$E2E_TMP
HAMMER=$BUILD/testdata/c/sock_hammer
[ -x "$HAMMER" ] || fail "missing $HAMMER: run make testdata"
go_testdata "" tlsserver-default tlsclient-default
make_cert

start_nginx echo 0 tls 'return 200 "$uri\n";'
NGX_PORT=$SRV_PORT
start_go_server "$GO_BIN/tlsserver-default" -http2=false
GO_PORT=$SRV_PORT

"$HAMMER" 3 90 >"$T/hammer.out" 2>&1 &
HAMMER_PID=$!
kill_at_exit "$HAMMER_PID"
wait_for "$T/hammer.out" "^ready"
HAMMER_PORTS=$(sed -n 's/^listen //p' "$T/hammer.out" | paste -sd,)
wait_for "$T/hammer.out" "^ops " 1
ops_now() {
	sed -n 's/^ops \([0-9]*\) .*/\1/p' "$T/hammer.out" | tail -n1
}
ops_before=$(ops_now)

echo "--- traced clients, the hammer running (listeners on $HAMMER_PORTS)"
# The marker exists: each client thread makes one request, then the rest.
touch "$T/marker"
spawn_trace "$T/native.json" -- "$PYTHON3" "$E2E_REPO/testdata/py/keepalive_client.py" \
	--port "$NGX_PORT" --cafile "$E2E_TMP/cert.pem" --threads 4 --log "$T/requests" \
	--ready "$T/ready" --marker "$T/marker" --during 1000 --new-conns 5 --new 50
NATIVE_TRACER=$TRACE_PID
spawn_trace "$T/go.json" -- "$GO_BIN/tlsclient-default" -addr "127.0.0.1:$GO_PORT" -raw -wrap \
	-print-ports -n 2000 -path /keep >"$T/go.out"
GO_TRACER=$TRACE_PID
spawn_trace "$T/gonew.json" -- "$GO_BIN/tlsclient-default" -addr "127.0.0.1:$GO_PORT" -raw -wrap \
	-new-conn -print-ports -n 300 -path /new >"$T/gonew.out"
GONEW_TRACER=$TRACE_PID
for p in "$NATIVE_TRACER" "$GO_TRACER" "$GONEW_TRACER"; do
	wait "$p" || fail "a traced client failed (tlstap pid $p): $(tail -n3 "$T"/*.json.err)"
done
ops_after=$(ops_now)
kill -0 "$HAMMER_PID" 2>/dev/null || fail "the hammer ended before the clients did"
stop_processes "$HAMMER_PID"
echo "hammer: $((ops_after - ops_before)) socket operations while the clients ran"
[ $((ops_after - ops_before)) -ge 50000 ] ||
	fail "the hammer did only $((ops_after - ops_before)) socket operations: this proves nothing"
for out in native go gonew; do
	echo "--- tracer of $out: $(tail -n1 "$T/$out.json.err")"
	check_counters_zero "$T/$out.json" ringbuf_drops multi_fd_calls tuple_mismatches
done

echo "--- python (OpenSSL): every request on its own port"
py_check "$T/native.json" "$(traced_pid "$T/native.json")" "$T/requests" "$NGX_PORT" \
	"$HAMMER_PORTS" <<'PY' || fail "native attribution under the hammer"
import re, sys, events
trace, pid, log, sport = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
hammer = {int(p) for p in sys.argv[5].split(",")}
logged = {}
for line in open(log):
    rid, port, _ = line.split()
    logged[int(rid)] = int(port)
ports = set(logged.values())
evs = [e for e in events.load_events(trace) if e["pid"] == pid]
bad = [e for e in evs if e["attribution"] not in ("syscall-fd", "cache")]
if bad:
    sys.exit("%d of %d events not attributed: %s" % (len(bad), len(evs), bad[0]["attribution"]))
on_hammer = [e for e in evs if e["lport"] in hammer or e["rport"] in hammer]
if on_hammer:
    sys.exit("%d events on a hammer socket" % len(on_hammer))
wrong = [e for e in evs if (e["laddr"], e["raddr"], e["rport"]) != ("127.0.0.1", "127.0.0.1", sport)
         or e["lport"] not in ports]
if wrong:
    e = wrong[0]
    sys.exit("%d events on a tuple of no client connection, e.g. %s:%s -> %s:%s" % (
        len(wrong), e["laddr"], e["lport"], e["raddr"], e["rport"]))
seen, judged = set(), 0
for c in events.reassemble(evs):
    for port, rid in re.findall(rb"/r/(\d+)/(\d+)", c["data"]):
        port, rid = int(port), int(rid)
        judged += 1
        if c["lport"] != port or logged.get(rid) != port:
            sys.exit("request %d (sent from port %d, logged %s) in a %s call on port %s" % (
                rid, port, logged.get(rid), c["dir"], c["lport"]))
        if c["dir"] == "write":
            seen.add(rid)
missing = set(logged) - seen
if missing:
    sys.exit("%d of %d logged requests not in the trace" % (len(missing), len(logged)))
print("%d events, %d requests and answers each on its port, all %d requests seen" % (
    len(evs), judged, len(logged)))
PY

echo "--- Go (wrapped conn): the k-th request and answer on request k's port"
for run in go gonew; do
	py_check "$T/$run.json" "$T/$run.out" "$GO_PORT" "$HAMMER_PORTS" <<'PY' ||
import re, sys, events
trace, out, sport = sys.argv[1], sys.argv[2], int(sys.argv[3])
hammer = {int(p) for p in sys.argv[4].split(",")}
ports = [int(p) for p in re.findall(r"^req \d+ port (\d+) ", open(out).read(), re.M)]
evs = [e for e in events.load_events(trace) if e["lib"] == "go"]
bad = [e for e in evs if e["attribution"] not in ("syscall-fd", "cache", "none")]
if bad:
    sys.exit("attribution %s" % bad[0]["attribution"])
on_hammer = [e for e in evs if e["lport"] in hammer or e["rport"] in hammer]
if on_hammer:
    sys.exit("%d events on a hammer socket" % len(on_hammer))
wrong = [e for e in evs if e["lport"] is not None and (e["lport"] not in ports or e["rport"] != sport)]
if wrong:
    sys.exit("%d events on a wrong tuple, e.g. %s:%s" % (len(wrong), wrong[0]["lport"], wrong[0]["rport"]))
calls = events.reassemble(evs)
reqs = [c for c in calls if c["dir"] == "write" and c["data"].startswith(b"GET /")]
resps = [c for c in calls if c["dir"] == "read" and c["data"].startswith(b"HTTP/1.1 ")]
if len(reqs) != len(ports) or len(resps) != len(ports):
    sys.exit("%d requests, %d responses in the trace for %d requests" % (len(reqs), len(resps), len(ports)))
for k, (q, r) in enumerate(zip(reqs, resps)):
    for c in (q, r):
        if c["lport"] is not None and c["lport"] != ports[k]:
            sys.exit("request %d (port %d): a %s on port %d" % (k, ports[k], c["dir"], c["lport"]))
rate = sum(e["lport"] is not None for e in evs) / len(evs)
print("%d events, %.2f%% attributed, %d requests on %d connections" % (
    len(evs), 100 * rate, len(ports), len(set(ports))))
if rate < 0.99:
    sys.exit("attributed %.2f%% < 99%%" % (100 * rate))
PY
		fail "Go ($run) attribution under the hammer"
done
check_no_probes_left
echo PASS
