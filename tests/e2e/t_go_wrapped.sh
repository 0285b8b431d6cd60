#!/usr/bin/env bash
# Go programs whose tls.Conn wraps something other than a *net.TCPConn (a
# custom dialer, a metrics wrapper): their calls are attributed from the
# socket I/O the same goroutine does while the call is on its stack
# ("syscall-fd"; "cache" for a call served from what crypto/tls buffered).
#  - testdata's tlsclient -wrap (its dialer returns a byte-counting net.Conn)
#    on every Go version and variant, HTTP/1.1 and HTTP/2: every event on the
#    port the client printed for that request, never another;
#  - 5,000 requests of one client, keep-alive and a new connection each:
#    none on a wrong tuple, at least 99% attributed;
#  - Debian's rclone as an HTTPS client of its own WebDAV server, both
#    traced: each client event's bytes are on the mirrored tuple of the
#    server's (attributed go-memory there: its listener's conns are plain).
source "$(dirname "$0")/lib.sh"
need_cmd rclone
T=$E2E_TMP
VERSIONS=${GO_WRAPPED_VERSIONS:-$(go_versions)}
NEWEST=$(go_versions | tail -n1)

# check_wrapped TRACE CLIENT_OUT SERVER_PORT MIN_RATE: judge a tlsclient
# -print-ports run's trace: each request's events on its printed port.
check_wrapped() {
	py_check "$@" <<'PY'
import re, sys, events
trace, out, sport, min_rate = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
ports = {int(m.group(1)) for m in re.finditer(r"^req \d+ port (\d+) ", open(out).read(), re.M)}
if not ports:
    sys.exit("no port printed")
evs = [e for e in events.load_events(trace) if e["lib"] == "go"]
wrong = [e for e in evs if e["lport"] is not None and (e["lport"] not in ports or e["rport"] != sport)]
if wrong:
    sys.exit("%d events on a wrong tuple, e.g. %s:%s" % (len(wrong), wrong[0]["lport"], wrong[0]["rport"]))
bad = {e["attribution"] for e in evs} - {"syscall-fd", "cache", "none"}
if bad:
    sys.exit("attributions %s" % bad)
rate = sum(e["lport"] is not None for e in evs) / len(evs)
print("%d events, %.2f%% attributed, on %d connections" % (len(evs), 100 * rate, len(ports)))
if rate < min_rate:
    sys.exit("attributed %.2f%% < %.2f%%" % (100 * rate, 100 * min_rate))
PY
}

echo "--- every Go version and variant, HTTP/1.1 and HTTP/2"
for V in $VERSIONS; do
	go_testdata "$V" tlsserver-default
	start_go_server "$GO_BIN/tlsserver-default"
	for VAR in default stripped pie cgo; do
		go_testdata "$V" "tlsclient-$VAR"
		for h2 in false true; do
			out=$T/$V-$VAR-$h2
			run_trace "$out.json" -- "$GO_BIN/tlsclient-$VAR" -addr "127.0.0.1:$SRV_PORT" \
				-n 20 -wrap -print-ports -http2=$h2 >"$out.out" ||
				fail "$V $VAR http2=$h2: tlsclient"
			echo -n "$V $VAR http2=$h2: "
			check_wrapped "$out.json" "$out.out" "$SRV_PORT" 1.0 || fail "$V $VAR http2=$h2"
		done
	done
	stop_processes "$SRV_PID"
done

echo "--- 5,000 requests, Go $NEWEST"
go_testdata "$NEWEST" tlsserver-default tlsclient-default
start_go_server "$GO_BIN/tlsserver-default"
run_trace "$T/many.json" -- "$GO_BIN/tlsclient-default" -addr "127.0.0.1:$SRV_PORT" -n 4500 \
	-wrap -print-ports -http2=false -q >"$T/many.out" || fail "tlsclient keep-alive"
run_trace "$T/new.json" -- "$GO_BIN/tlsclient-default" -addr "127.0.0.1:$SRV_PORT" -n 500 \
	-wrap -print-ports -new-conn -raw >"$T/new.out" || fail "tlsclient new connections"
check_counters_zero "$T/many.json" ringbuf_drops multi_fd_calls
check_wrapped "$T/new.json" "$T/new.out" "$SRV_PORT" 0.99 || fail "500 new connections"
# -q prints no port: the keep-alive run's one connection is the server's.
py_check "$T/many.json" "$SRV_PORT" <<'PY' || fail "4,500 keep-alive requests"
import sys, events
evs = [e for e in events.load_events(sys.argv[1]) if e["lib"] == "go"]
sport = int(sys.argv[2])
tuples = {(e["lport"], e["rport"]) for e in evs if e["lport"] is not None}
if len(tuples) != 1 or next(iter(tuples))[1] != sport:
    sys.exit("tuples %s" % tuples)
reqs = sum(e["data"].startswith(b"GET ") for e in evs if e["dir"] == "write")
rate = sum(e["lport"] is not None for e in evs) / len(evs)
print("keep-alive: %d requests written, %d events, %.2f%% attributed" % (reqs, len(evs), 100 * rate))
if reqs != 4500 or rate < 0.99:
    sys.exit("bad")
PY

echo "--- rclone as an HTTPS client of its own WebDAV server"
make_cert
mkdir -p "$T/dav"
for i in $(seq 1 100); do mkdir "$T/dav/d$i"; echo "file $i" >"$T/dav/d$i/f.txt"; done
port=$(free_port)
rclone serve webdav "$T/dav" --addr "127.0.0.1:$port" --cert "$T/cert.pem" --key "$T/key.pem" \
	>"$T/dav.log" 2>&1 &
DAV=$!
kill_at_exit $DAV
wait_listen "$port"
start_trace "$T/dav.json" -p "$DAV"
run_trace "$T/rc.json" -- rclone lsf -R :webdav:/ --webdav-url "https://127.0.0.1:$port" \
	--no-check-certificate >"$T/rc.out" || fail "rclone lsf"
[ "$(grep -c 'f.txt' "$T/rc.out")" -eq 100 ] || fail "rclone listed $(wc -l <"$T/rc.out") entries"
stop_trace "$T/dav.json"
"$TLSTAP" replay --http -f json "$T/rc.json" >"$T/rc.x" 2>/dev/null || fail "replay --http"
py_check "$T/rc.json" "$T/dav.json" "$port" "$T/rc.x" <<'PY' || fail "rclone"
import sys, events
from collections import defaultdict
cli = [e for e in events.load_events(sys.argv[1]) if e["lib"] == "go"]
srv = [e for e in events.load_events(sys.argv[2]) if e["lib"] == "go"]
port = int(sys.argv[3])

def streams(evs, mirror):
    s = defaultdict(bytes)
    for e in evs:
        if e["lport"] is None:
            continue
        key = (e["rport"], e["lport"]) if mirror else (e["lport"], e["rport"])
        s[(key, e["dir"])] += e["data"]
    return s

c, sv = streams(cli, False), streams(srv, True)
none = sum(e["lport"] is None for e in cli)
if any(k[0][1] != port for k in c):
    sys.exit("a client event not on the server's port")
for (tup, d), data in c.items():
    other = sv.get((tup, "read" if d == "write" else "write"), b"")
    if data != other:
        sys.exit("client %s %s: %d bytes, the server's mirror has %d" % (tup, d, len(data), len(other)))
# Requests as the HTTP view decodes them (rclone speaks HTTP/2 here).
import json
reqs = sum(json.loads(l)["method"] == "PROPFIND" for l in open(sys.argv[4]) if l.strip())
print("rclone: %d requests, %d client events (%d without tuple) byte-exact on the server's "
      "mirrored tuples, attributions %s" % (reqs, len(cli), none, sorted({e["attribution"] for e in cli})))
if reqs < 100 or none > len(cli) / 100:
    sys.exit("bad")
PY
echo PASS
