#!/usr/bin/env bash
# Large Go TLS writes: chunking and truncation.  testdata tlsclient -raw
# writes a POST with a large body in ONE tls.Conn.Write; it runs under
# "tlstap trace -- CMD" with different --max-bytes/--chunk-size.  The exact
# bytes written are rebuilt here from tlsclient's documented format.
# Asserts (goevents.py chunks), for the write call: every chunk has len == the
# whole call, chunk_off == k*chunk, the exact bytes of that offset, more on
# all but the last, the number of chunks, truncated iff the call exceeds
# --max-bytes; truncated_bytes at exit == the sum of (len - captured) of all
# events.  The server (traced with -p in the first run) read exactly the
# request.  The writes carry the main goroutine's id.
source "$(dirname "$0")/lib.sh"
T=$E2E_TMP
go_testdata "${GO_PAYLOADS_VERSION:-}" tlsserver-default tlsclient-default

start_go_server "$GO_BIN/tlsserver-default" -http2=false
SPID=$SRV_PID SPORT=$SRV_PORT
start_trace "$T/srv.json" -p "$SPID"

# expected_request PATH BODYSIZE > FILE: tlsclient -raw's request.
expected_request() {
	python3 - "$1" "$2" "$SPORT" <<'PY'
import sys
path, n, port = sys.argv[1], int(sys.argv[2]), sys.argv[3]
body = bytes(ord("a") + i % 26 for i in range(n))
sys.stdout.buffer.write(("POST %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nUser-Agent: tlsclient\r\n"
                         "Content-Length: %d\r\n\r\n" % (path, port, n)).encode() + body)
PY
}

run=0
# case BODYSIZE MAXBYTES CHUNK [tlstap options...]
case_() {
	local size=$1 max=$2 chunk=$3 path rc cpid tb
	shift 3
	run=$((run + 1))
	path=/big-$$-$run
	expected_request "$path" "$size" >"$T/req-$run"
	run_trace "$T/c$run.json" "$@" -- "$GO_BIN/tlsclient-default" -raw \
		-addr "127.0.0.1:$SPORT" -n 1 -path "$path" -body-size "$size" >"$T/c$run.out"
	rc=$?
	[ $rc -eq 0 ] || { cat "$T/c$run.json.err" >&2; fail "run $run: exit $rc"; }
	grep -q "status 200 bytes $((size + ${#path} + 6))" "$T/c$run.out" ||
		fail "run $run: unexpected client output: $(head -c 200 "$T/c$run.out")"
	cpid=$(traced_pid "$T/c$run.json")
	tb=$(trace_counter "$T/c$run.json" truncated_bytes)
	echo "--- run $run: $((size)) byte body, options: ${*:-(defaults)}; $(tail -n1 "$T/c$run.json.err")"
	goevents chunks "$T/c$run.json" --pid "$cpid" --dir write --expect-file "$T/req-$run" \
		--chunk "$chunk" --max-bytes "$max" --truncated-total "${tb:-0}" ||
		fail "run $run: chunks of the write"
	check_counters_zero "$T/c$run.json" ringbuf_drops
	# -raw writes from the main goroutine, whose id is 1 in every Go.
	py_check "$T/c$run.json" "$cpid" <<'PY' || fail "run $run: goid of the writes"
import json, sys
ids = {json.loads(l).get("goid") for l in open(sys.argv[1])
       if '"dir":"write"' in l and json.loads(l)["pid"] == int(sys.argv[2])}
if ids != {1}:
    sys.exit("goid of the client's writes: %r, want {1}" % sorted(ids, key=str))
PY
}

case_ 100000 262144 16384 --max-bytes 262144
case_ 30000 65536 4096 --max-bytes 65536 --chunk-size 4096
case_ 100000 65536 4096 --max-bytes 65536 --chunk-size 4096
case_ 100000 1000 16384 --max-bytes 1000
case_ 100000 16384 16384
case_ 300000 262144 16384 --max-bytes 262144
case_ 100 262144 16384 --max-bytes 262144

sleep 0.3
stop_trace "$T/srv.json"
# Server side: its reads on the first connection are exactly the request
# (Go reads at most one 16 KiB TLS record per call: many calls, none cut).
py_check "$T/srv.json" "$SPID" "$T/req-1" <<'PY' || fail "server side of run 1"
import sys
import events
calls = [c for c in events.load_calls(sys.argv[1]) if c["pid"] == int(sys.argv[2])]
want = open(sys.argv[3], "rb").read()
conns = {}
for c in calls:
    if c["dir"] == "read":
        conns.setdefault(c["rport"], []).append(c)
hits = [p for p, cs in conns.items() if events.stream(cs) == want]
if len(hits) != 1:
    sys.exit("server: %d connections whose reads are exactly run 1's request" % len(hits))
cs = conns[hits[0]]
bad = [c for c in cs if c["truncated"] or c["attribution"] != "go-memory"]
if bad:
    sys.exit("server: %d reads truncated or not go-memory" % len(bad))
print("server read run 1's %d bytes exactly in %d calls (max %d bytes)" %
      (len(want), len(cs), max(c["len"] for c in cs)))
PY
echo "PASS"
