#!/usr/bin/env bash
# The proxy scenario (issue 6 point 3; ../shared/seeds/gotls-misattribution-
# investigation.md): haproxy terminates TLS on 127.0.0.1:FE for persistent
# keep-alive python clients (several processes, two connections each) and
# forwards to TWO plaintext nginx backends over kept-alive connections.
# The clients' connections exist and carry traffic BEFORE tlstap attaches to
# haproxy (-p); once attached, the clients send DURING more requests on those
# same connections, then open new connections (NEW requests each).  Each
# request path is /r/<client local port>/<unique id>, each client logs
# "id port phase"; the backends answer "served /r/<port>/<id> by bN".
# Asserts over >= 10,000 traced requests: 0 haproxy TLS calls attributed to a
# backend (plaintext) tuple, 0 requests or responses attributed to the wrong
# client, >= 99% of requests (haproxy SSL read of "GET /r/..") and of
# responses (haproxy SSL write of "served /r/..") attributed to their true
# client tuple 127.0.0.1:FE <-> 127.0.0.1:<client port>; no ring-buffer drop;
# every client got the right answers; no probe left.  Prints the rates.
# Knobs: PROXY_NPROC (4), PROXY_THREADS (2), PROXY_DURING (1300), PROXY_NEW (100).
source "$(dirname "$0")/lib.sh"
[ -x "$TLSTAP" ] || fail "$TLSTAP not built"
need_cmd haproxy nginx

NPROC=${PROXY_NPROC:-4}
THREADS=${PROXY_THREADS:-2}
DURING=${PROXY_DURING:-1300}
NEW=${PROXY_NEW:-100}
T=$E2E_TMP
make_cert
cat "$T/cert.pem" "$T/key.pem" >"$T/haproxy.pem"
FE=$(free_port)
B1=$(free_port)
B2=$(free_port)
while [ "$B2" = "$B1" ] || [ "$B2" = "$FE" ]; do B2=$(free_port); done

nginx_backend b1 "$B1"
nginx_backend b2 "$B2"

cat >"$T/haproxy.cfg" <<CFG
global
	nbthread 2
	maxconn 4000
defaults
	mode http
	timeout connect 5s
	timeout client 300s
	timeout server 300s
	timeout http-keep-alive 300s
frontend fe
	bind 127.0.0.1:$FE ssl crt $T/haproxy.pem
	default_backend be
backend be
	balance roundrobin
	http-reuse always
	server b1 127.0.0.1:$B1
	server b2 127.0.0.1:$B2
CFG
haproxy -f "$T/haproxy.cfg" -db >"$T/haproxy.out" 2>&1 &
HAP=$!
bg_pid "$HAP"
wait_port "$FE"
grep -q libssl "/proc/$HAP/maps" || fail "haproxy is not linked with a shared libssl"

# Persistent clients; their traffic flows before the tracer exists.
start_proxy_clients "$FE" "$NPROC" "$THREADS" "$DURING" 1 "$NEW"
sleep 1
start_trace_all "$T/trace.json" -p "$HAP"
# haproxy holds plaintext connections to both backends (what must never get
# a TLS event).
ss -tnp state established "( dport = :$B1 or dport = :$B2 )" >"$T/ss.txt" 2>&1
grep -q ":$B1 .*haproxy" "$T/ss.txt" && grep -q ":$B2 .*haproxy" "$T/ss.txt" ||
	{ cat "$T/ss.txt"; fail "haproxy has no connection to both backends"; }
finish_proxy_clients
sleep 0.5
stop_trace "$T/trace.json"
TRACER=$TRACE_PID
cat "$T/trace.json.err"
check_no_probes_left_shared "$TRACER"

echo "requests logged by the clients: $(wc -l <"$T/clients/requests")"
events summary "$T/trace.json" || fail "bad NDJSON"
events proxy "$T/trace.json" --proxy-pids "$HAP" --frontend-port "$FE" \
	--backend-ports "$B1,$B2" --requests "$T/clients/requests" --min-rate 0.99
rc=$?
d=$(trace_counter "$T/trace.json" ringbuf_drops)
[ "${d:-x}" = 0 ] || fail "ringbuf_drops=${d:-?}"
[ $rc -eq 0 ] || fail "haproxy attribution"
echo "PASS"
