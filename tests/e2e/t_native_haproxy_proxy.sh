#!/usr/bin/env bash
# The proxy scenario, where production tracers misattribute: haproxy
# terminates TLS on 127.0.0.1:FE for persistent
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
need_cmd haproxy nginx
start_proxy_backends
start_haproxy_tls_proxy "${BACKEND_PORTS[@]}"
grep -q libssl "/proc/$SRV_PID/maps" || fail "haproxy is not linked with a shared libssl"
run_proxy_scenario haproxy "$SRV_PORT" "$SRV_PID"
echo "PASS"
