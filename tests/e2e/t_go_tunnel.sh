#!/usr/bin/env bash
# TLS inside TLS in Go: testdata's tlsclient through an HTTPS proxy
# (testdata/py/https_connect_proxy.py) to a Go origin, traced, on the
# oldest and newest Go version, HTTP/1.1 and HTTP/2.  net/http runs the
# origin's tls.Conn over its tls.Conn to the proxy: each origin Write calls
# the proxy's Write on the same goroutine, each origin Read the proxy's
# Read, so two calls of one function are in flight on one goroutine.  Both
# are traced, each with its own buffer: no RET without its entry; every
# request and response of the origin once, on the client's one TCP
# connection (to the proxy), attributed; the proxy's CONNECT once, on
# another TLS object; and, after the CONNECT, the proxy object's calls are
# the origin's TLS records (Go shows them as that object's plaintext: they
# are what it carried).
source "$(dirname "$0")/lib.sh"
T=$E2E_TMP
N=5
make_cert
"$PYTHON3" "$E2E_REPO/testdata/py/https_connect_proxy.py" --cert "$T/cert.pem" --key "$T/key.pem" \
	>"$T/proxy.out" 2>&1 &
kill_at_exit $!
wait_for "$T/proxy.out" "^listening " 1 10
PROXY=$(sed -n 's/^listening //p' "$T/proxy.out")

runs=0
for V in $(go_versions | sed -n '1p;$p' | sort -u); do
	go_testdata "$V" tlsserver-default tlsclient-default
	start_go_server "$GO_BIN/tlsserver-default"
	for h2 in false true; do
		out=$T/$V-$h2
		run_trace "$out.json" -- "$GO_BIN/tlsclient-default" -proxy "https://127.0.0.1:$PROXY" \
			-url "https://127.0.0.1:$SRV_PORT/through/tunnel" -n $N -print-ports -http2=$h2 \
			>"$out.out" || fail "$V http2=$h2: tlsclient through the proxy: $(cat "$out.json.err")"
		check_counters_zero "$out.json" ringbuf_drops returns_without_entry user_read_faults
		runs=$((runs + 1))
		echo -n "$V http2=$h2: "
		py_check "$out.json" "$out.out" "$PROXY" "$N" "$h2" <<'PY' || fail "$V http2=$h2"
import re, sys, events
trace, out, proxy, n, h2 = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "true"
ports = {int(p) for p in re.findall(r"^req \d+ port (\d+) ", open(out).read(), re.M)}
if len(ports) != 1:
    sys.exit("client ports %s" % ports)
lport = ports.pop()
calls = [c for c in events.load_calls(trace) if c["lib"] == "go"]
wrong = [c for c in calls if (c["lport"], c["rport"]) != (lport, proxy)]
if wrong:
    sys.exit("%d calls not on %d -> %d, e.g. %s" % (len(wrong), lport, proxy, events.describe(wrong[0])))
connect = [c for c in calls if c["dir"] == "write" and c["data"].startswith(b"CONNECT 127.0.0.1:")]
if len(connect) != 1:
    sys.exit("%d CONNECT writes" % len(connect))
proxy_obj = connect[0]["conn"]
origin = [c for c in calls if c["conn"] != proxy_obj]
bad = [c for c in origin if c["attribution"] not in events.GOOD_ATTRIBUTIONS]
if bad:
    sys.exit("origin call not attributed: %s" % events.describe(bad[0]))
wdata = b"".join(c["data"] for c in origin if c["dir"] == "write")
rdata = b"".join(c["data"] for c in origin if c["dir"] == "read")
if h2:
    reqs = wdata.count(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
    want_reqs = 1
else:
    reqs = wdata.count(b"GET /through/tunnel HTTP/1.1\r\n")
    want_reqs = n
resps = rdata.count(b"echo /through/tunnel\n")
if (reqs, resps) != (want_reqs, n):
    sys.exit("origin: %d requests (or prefaces), %d responses; want %d, %d" % (reqs, resps, want_reqs, n))
# After the CONNECT's answer, the proxy object carries the origin's TLS
# records only, in its calls nested in the origin's: each direction's bytes
# are whole records, end to end (a call given another's buffer breaks that).
def whole_records(data, what):
    i = 0
    while i < len(data):
        if len(data) - i < 5 or data[i] not in (0x14, 0x15, 0x16, 0x17) or data[i + 1] != 3:
            sys.exit("%s through the proxy: no TLS record at byte %d of %d: %r" %
                     (what, i, len(data), data[i:i + 8]))
        i += 5 + (data[i + 3] << 8 | data[i + 4])
    if i != len(data):
        sys.exit("%s through the proxy: the last record is cut" % what)
tunnel = {}
for d in ("write", "read"):
    cs = [c for c in calls if c["conn"] == proxy_obj and c["dir"] == d]
    body = b"".join(c["data"] for c in cs[1:])  # after CONNECT and its answer
    whole_records(body, d)
    tunnel[d] = len(cs) - 1
if tunnel["write"] < want_reqs or tunnel["read"] < n:
    sys.exit("calls through the proxy: %s" % tunnel)
print("%d origin calls, %d writes and %d reads through the proxy, on %d -> %d" %
      (len(origin), tunnel["write"], tunnel["read"], lport, proxy))
PY
	done
	stop_processes "$SRV_PID"
done
[ "$runs" -gt 0 ] || fail "no run: no Go testdata?"
check_no_probes_left
echo PASS
