#!/usr/bin/env bash
# Memory-BIO TLS attributed by ciphertext: one Node process and one Python
# asyncio process, each an HTTPS/TLS server and a keep-alive client of it
# with many concurrent connections, opened before tlstap attaches (-p).
# After attach, a few requests show tlstap the process uses memory BIOs,
# which makes it attach the ciphertext probes (with -p the process is not
# held meanwhile: the requests of those ~15 ms go unattributed); then 5,000
# requests each: every event that names a request is on the true tuple of
# its side (the program prints the truth) or on none; none on a wrong
# tuple, and at least 99% attributed.  Then two memory-BIO connections
# whose records start alike (NULL cipher, identical payloads, each record
# produced on both before either is sent): no record prefix is unique, and
# nothing binds.  And a client that opens a connection per request: the
# first request of each connection is written before any of the
# connection's ciphertext was sent, and gets its tuple all the same (late
# binding).
source "$(dirname "$0")/lib.sh"
need_cmd node
T=$E2E_TMP
make_cert
BEFORE=200 WARM=20 AFTER=5000

# pair NAME CMD...: run a *_pair program traced with -p after its first
# phase: BEFORE requests, attach, WARM requests, wait for the probes, AFTER
# requests judged; its truth in $T/NAME.out, the trace in $T/NAME.json.
pair() {
	local name=$1 pid
	shift
	mkfifo "$T/$name.in"
	"$@" --cert "$T/cert.pem" --key "$T/key.pem" --phases "$BEFORE,$WARM,$AFTER" \
		--wait-stdin <"$T/$name.in" >"$T/$name.out" 2>&1 &
	kill_at_exit $!
	exec 7>"$T/$name.in"
	wait_for "$T/$name.out" "^waiting 1" 1 30
	pid=$(sed -n 's/^listening [0-9]* pid \([0-9]*\)$/\1/p' "$T/$name.out")
	[ -n "$pid" ] || fail "$name: no pid"
	start_trace "$T/$name.json" -p "$pid"
	echo go >&7
	wait_for "$T/$name.out" "^waiting 2" 1 30
	wait_for "$T/$name.json.err" "uses memory BIOs" 1 10
	echo go >&7
	exec 7>&-
	wait_for "$T/$name.out" "^done" 1 120
	stop_trace "$T/$name.json"
	check_counters_zero "$T/$name.json" ringbuf_drops cipher_conflicts
	python3 "$E2E_DIR/pairs.py" "$T/$name.json" "$T/$name.out" --pid "$pid" \
		--after-line "$BEFORE" --min-rate 0 || fail "$name: a wrong tuple"
	python3 "$E2E_DIR/pairs.py" "$T/$name.json" "$T/$name.out" --pid "$pid" \
		--after-line $((BEFORE + WARM)) || fail "$name: attribution"
}

echo "--- Node: https server and keep-alive agent, 16 connections"
pair node node "$E2E_REPO/testdata/js/https_pair.js" --conns 16
echo "--- Python asyncio: start_server and open_connection, 16 connections"
pair asyncio "$PYTHON3" "$E2E_REPO/testdata/py/asyncio_pair.py" --conns 16

echo "--- new connections: the first request of each is bound when its ciphertext is sent"
# An asyncio client opens a connection per request to nginx, 8 at a time:
# each request is written (SSL_write returns, its record goes out) before
# any of that connection's ciphertext was sent.  A Node client does the
# same from its 'secureConnect' handler, which Node runs inside SSL_read:
# each write is a TLS call inside another on the same thread.  And a Node
# server that writes a greeting from its connection handler (inside
# SSL_read), whose read then returns the client's request; and a Node
# client whose handler also writes on another connection.  The record waits for its
# bind record.  Only the process's first request precedes the ciphertext
# probes.  Every request is in the trace; at most one other may miss its
# tuple (a record waits 200 ms: a client stalled on a loaded machine), none
# may be on a wrong one.  Then the same under --port, which the kernel
# cannot judge for a record without a tuple: the requests missing are those
# without one; and under a --port no connection has: none is in the trace.
N=24
start_nginx newconns 0 tls 'return 200 "ok $uri\n";'
# newconns NAME CLIENT MODE ARGS...: trace CLIENT (py, node) with ARGS
# and check its requests; MODE all (no filter), port (--port of the
# server) or none.
newconns() {
	local name=$1 client=$2 mode=$3 bound unbound filtered cmd
	shift 3
	case $client in
	py) cmd=("$PYTHON3" "$E2E_REPO/testdata/py/asyncio_newconns.py" --port "$SRV_PORT"
		--conns $N --parallel 8) ;;
	node) cmd=(node "$E2E_REPO/testdata/js/tls_newconns.js" "$SRV_PORT" $N 8) ;;
	esac
	run_trace "$T/$name.json" "$@" -- "${cmd[@]}" >"$T/$name.out" ||
		fail "$name: $(cat "$T/$name.out")"
	cat "$T/$name.json.err"
	grep -q "^done" "$T/$name.out" || fail "asyncio_newconns did not finish"
	check_counters_zero "$T/$name.json" ringbuf_drops cipher_conflicts nested_calls_untraced
	bound=$(trace_counter "$T/$name.json" late_bound_records)
	unbound=$(trace_counter "$T/$name.json" late_unbound_records)
	filtered=$(trace_counter "$T/$name.json" late_filtered_records)
	[ "${bound:-0}" -ge $((N - 2)) ] || fail "$name: late_bound_records=${bound:-none}, expected >= $((N - 2))"
	case $mode in
	all) [ "$filtered" = 0 ] || fail "$name: late_filtered_records=$filtered without --port" ;;
	port) [ "$filtered" = "$unbound" ] ||
		fail "$name: late_filtered_records=$filtered, late_unbound_records=$unbound" ;;
	none) [ "$filtered" = $((bound + unbound)) ] ||
		fail "$name: late_filtered_records=$filtered of $((bound + unbound))" ;;
	esac
	py_check "$T/$name.json" "$T/$name.out" "$N" "$mode" <<'PY' || fail "$name: a request lost, on a wrong tuple, or without one"
import re, sys, events
truth = {}
for line in open(sys.argv[2]):
    m = re.match(r"conn (\d+) lport (\d+) rport (\d+)", line)
    if m:
        truth[int(m.group(1))] = (int(m.group(2)), int(m.group(3)))
n, mode = int(sys.argv[3]), sys.argv[4]
if len(truth) != n:
    sys.exit("the client told %d connections, not %d" % (len(truth), n))
seen = {}
for c in events.load_calls(sys.argv[1]):
    m = re.search(rb"GET /n/(\d+) ", c["data"])
    if c["dir"] != "write" or not m:
        continue
    i = int(m.group(1))
    seen[i] = (c["lport"], c["rport"], c["attribution"])
    if c["lport"] is not None and (c["lport"], c["rport"]) != truth[i]:
        sys.exit("request %d on %s, truly on %s" % (i, seen[i], truth[i]))
if mode == "none":
    if seen:
        sys.exit("--port of no connection: requests %s in the trace" % sorted(seen))
    import json
    ends = [l for l in open(sys.argv[1]) if json.loads(l).get("event") == "conn_end"]
    if ends:
        sys.exit("--port of no connection: %d connection ends in the trace" % len(ends))
    print("new connections under a --port none has: no request and no connection end in the trace")
    sys.exit(0)
missing = [i for i in truth if i not in seen]
unbound = [i for i in seen if seen[i][2] != "ciphertext" or seen[i][0] is None]
if mode == "all" and missing:
    sys.exit("requests lost: %s" % missing)
if mode == "port" and unbound:
    sys.exit("requests without a tuple through --port: %s" % unbound)
# The process's first request precedes the probes; one more may miss.
others = [i for i in missing + unbound if i != 0]
if len(others) > 1:
    sys.exit("requests without their tuple: %s (%s)" % (others, [seen.get(i) for i in others]))
print("new connections: %d of %d requests on their own connection (ciphertext), none on another"
      % (n - len(missing) - len(unbound), n))
PY
}
newconns newconns py all
newconns newconns-port py port --port "$SRV_PORT"
newconns newconns-none py none --port 1
newconns newconns-node node all

echo "--- a Node server greets from inside SSL_read, which then returns the request"
# tls.createServer's connection handler runs inside SSL_read: the greeting
# is a write nested in a read of the same TLS object, and the read, resumed,
# returns the request the client sent right behind its handshake.  Every
# greeting, request and answer is in the trace; all but the process's first
# write on the client's true port.
spawn_trace "$T/greeter.json" -- node "$E2E_REPO/testdata/js/tls_greeter.js" \
	"$T/cert.pem" "$T/key.pem" 10 >"$T/greeter.out"
wait_for "$T/greeter.out" "^listening " 1 20
port=$(sed -n 's/^listening //p' "$T/greeter.out")
"$PYTHON3" "$E2E_REPO/testdata/py/greeted_client.py" --port "$port" --conns 10 >"$T/greeted.out" ||
	fail "greeted_client: $(cat "$T/greeted.out")"
trace_status "$T/greeter.json" || fail "the greeter's tracer failed: $(tail -n3 "$T/greeter.json.err")"
cat "$T/greeter.json.err"
check_counters_zero "$T/greeter.json" ringbuf_drops nested_calls_untraced
py_check "$T/greeter.json" "$T/greeted.out" <<'PY' || fail "a greeting, request or answer lost, or on a wrong port"
import re, sys, events
truth = {}
for line in open(sys.argv[2]):
    m = re.match(r"conn (\d+) lport (\d+)", line)
    if m:
        truth[int(m.group(1))] = int(m.group(2))
if len(truth) != 10:
    sys.exit("the client told %d connections" % len(truth))
calls = events.load_calls(sys.argv[1])
unbound = 0
for what, d, pat in (("greeting", "write", rb"hello (\d+)\n"), ("request", "read", rb"req (\d+)\n"),
                     ("answer", "write", rb"resp (\d+)\n")):
    found = {}
    for c in calls:
        m = re.fullmatch(pat, c["data"])
        if c["dir"] == d and m:
            found[int(m.group(1))] = c
    # A greeting names the client's port, a request and an answer its index.
    want = set(truth.values()) if what == "greeting" else set(truth)
    if set(found) != want:
        sys.exit("%ss in the trace: %s, expected %s" % (what, sorted(found), sorted(want)))
    for k, c in found.items():
        port = k if what == "greeting" else truth[k]
        if c["rport"] is None:
            unbound += 1
        elif c["rport"] != port:
            sys.exit("%s %d on client port %s, truly %d" % (what, k, c["rport"], port))
if unbound > 1:
    sys.exit("%d writes and reads without a tuple" % unbound)
print("greeter: 10 greetings, requests and answers each; %d without a tuple" % unbound)
PY

echo "--- a Node callback writes on another connection from inside SSL_read"
# Each new connection's secureConnect handler (inside its SSL_read) sends a
# request on a keep-alive connection opened first, then its own: a TLS call
# on another object inside a call.  Every request is in the trace, on its
# own connection's tuple (one without: the process's first write).
run_trace "$T/cross.json" -- node "$E2E_REPO/testdata/js/tls_crosswrite.js" "$SRV_PORT" 10 \
	>"$T/cross.out" || fail "tls_crosswrite: $(cat "$T/cross.out")"
cat "$T/cross.json.err"
grep -q "^done" "$T/cross.out" || fail "tls_crosswrite did not finish"
check_counters_zero "$T/cross.json" ringbuf_drops nested_calls_untraced
py_check "$T/cross.json" "$T/cross.out" <<'PY' || fail "a cross-written request lost, or on a wrong tuple"
import re, sys, events
truth = {}
for line in open(sys.argv[2]):
    m = re.match(r"(keep|conn (\d+)) lport (\d+)", line)
    if m:
        truth["y" if m.group(1) == "keep" else int(m.group(2))] = int(m.group(3))
seen, unbound = set(), 0
for c in events.load_calls(sys.argv[1]):
    m = re.search(rb"GET /(y|n)/(\d+) ", c["data"])
    if c["dir"] != "write" or not m:
        continue
    key = (m.group(1).decode(), int(m.group(2)))
    seen.add(key)
    want = truth["y"] if key[0] == "y" else truth[key[1]]
    if c["lport"] is None:
        unbound += 1
    elif c["lport"] != want:
        sys.exit("%s /%d on %s, truly %d" % (key[0], key[1], c["lport"], want))
expected = {(k, i) for k in "yn" for i in range(10)}
if seen != expected:
    sys.exit("requests missing: %s" % sorted(expected - seen))
if unbound > 1:
    sys.exit("%d requests without a tuple" % unbound)
print("cross-writes: 20 requests on their own connections, %d without a tuple" % unbound)
PY

echo "--- records alike on two connections never bind"
"$PYTHON3" "$E2E_REPO/testdata/py/membio_collide.py" --serve --cert "$T/cert.pem" \
	--key "$T/key.pem" >"$T/collide-srv.out" 2>&1 &
kill_at_exit $!
wait_for "$T/collide-srv.out" "^listening" 1 10
port=$(sed -n 's/^listening //p' "$T/collide-srv.out")
run_trace "$T/same.json" -- "$PYTHON3" "$E2E_REPO/testdata/py/membio_collide.py" --port "$port" \
	>"$T/same.out" || fail "membio_collide"
grep -q "^done" "$T/same.out" || fail "membio_collide did not finish"
n=$(trace_counter "$T/same.json" cipher_collisions)
[ "${n:-0}" -gt 0 ] || fail "no collision counted: the test proves nothing"
py_check "$T/same.json" <<'PY' || fail "a record shared by two connections bound one"
import sys, events
evs = [e for e in events.load_events(sys.argv[1]) if b"the same line" in e["data"]]
if len(evs) < 40:
    sys.exit("only %d events of the line" % len(evs))
bound = [e for e in evs if e["attribution"] != "none" or e["lport"] is not None]
if bound:
    sys.exit("%d events of the line have a tuple (%s)" % (len(bound), bound[0]["attribution"]))
print("same records: %d events of the line, none with a tuple" % len(evs))
PY
check_no_probes_left
echo PASS
