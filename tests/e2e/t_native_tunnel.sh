#!/usr/bin/env bash
# TLS inside TLS: curl to an HTTPS origin (nginx) through an HTTPS proxy
# (testdata/py/https_connect_proxy.py), traced.  curl runs the origin's TLS
# inside its TLS to the proxy, on one thread: the origin's SSL_write calls
# the proxy's SSL_write with the origin's records, its SSL_read the proxy's
# SSL_read for a record's header, then for its body.  The origin's request
# and response are in the trace once, on curl's one TCP connection (to the
# proxy); the proxy connection's calls made inside them carry the origin's
# records and are not shown (counted, nested_calls_untraced): once the
# origin's request is written, the proxy's TLS object shows no read, and
# no write but the alert curl's SSL_shutdown of the origin (not a traced
# call) sends through it.  (The origin's handshake runs in SSL_connect,
# which is not traced: its records are shown as the proxy's data.)
source "$(dirname "$0")/lib.sh"
need_cmd curl
T=$E2E_TMP
make_cert
start_nginx origin 0 tls 'return 200 "tunnelled $uri\n";'
"$PYTHON3" "$E2E_REPO/testdata/py/https_connect_proxy.py" --cert "$T/cert.pem" --key "$T/key.pem" \
	>"$T/proxy.out" 2>&1 &
kill_at_exit $!
wait_for "$T/proxy.out" "^listening " 1 10
PROXY=$(sed -n 's/^listening //p' "$T/proxy.out")

# TLS 1.2 to the origin: its untraced handshake and its SSL_shutdown alert
# then go through the tunnel as records the checks below can tell apart.
run_trace "$T/curl.json" -- curl -sS --http1.1 --tls-max 1.2 --proxy "https://127.0.0.1:$PROXY" --proxy-insecure \
	-k "https://127.0.0.1:$SRV_PORT/through/tunnel" -o "$T/body" -w "%{local_port}\n" \
	>"$T/curl.out" || fail "curl through the proxy: $(cat "$T/curl.json.err")"
cat "$T/curl.json.err"
grep -qx "tunnelled /through/tunnel" "$T/body" || fail "body: $(cat "$T/body")"
LPORT=$(cat "$T/curl.out")
check_counters_zero "$T/curl.json" ringbuf_drops
n=$(trace_counter "$T/curl.json" nested_calls_untraced)
[ "${n:-0}" -ge 1 ] || fail "nested_calls_untraced=${n:-missing}: no call nested in another was seen"
py_check "$T/curl.json" "$LPORT" "$PROXY" <<'PY' || fail "the tunnel's data"
import sys, events
lport, proxy = int(sys.argv[2]), int(sys.argv[3])
calls = events.load_calls(sys.argv[1])
def one(d, needle):
    got = [c for c in calls if c["dir"] == d and needle in c["data"]]
    if len(got) != 1:
        sys.exit("%d %s calls with %r" % (len(got), d, needle))
    c = got[0]
    if (c["lport"], c["rport"]) != (lport, proxy) or c["attribution"] not in events.GOOD_ATTRIBUTIONS:
        sys.exit("%r on %s:%s (%s), truly on %d -> %d" % (needle, c["lport"], c["rport"],
                                                          c["attribution"], lport, proxy))
    return c
req = one("write", b"GET /through/tunnel HTTP/1.1")
resp = one("read", b"tunnelled /through/tunnel")
if req["conn"] == one("write", b"CONNECT 127.0.0.1:")["conn"]:
    sys.exit("the origin's request is on the proxy's TLS object")
# The tunnel's records (the origin's application data, 0x17) are never
# shown as the proxy connection's plaintext, nor a record's body.
proxy_conn = one("write", b"CONNECT 127.0.0.1:")["conn"]
after = calls[calls.index(req) + 1:]
shown = [c for c in after if c["conn"] == proxy_conn and
         not (c["dir"] == "write" and c["data"][:1] == b"\x15")]
if shown:
    sys.exit("%d calls of the proxy's TLS object after the request: %s" %
             (len(shown), [(c["dir"], c["data"][:8]) for c in shown]))
recs = [c for c in calls if c["data"][:3] == b"\x17\x03\x03"]
if recs:
    sys.exit("%d calls show the tunnel's application records as plaintext" % len(recs))
print("tunnel: the origin's request and response once each, on %d -> %d" % (lport, proxy))
PY
check_no_probes_left
echo PASS
