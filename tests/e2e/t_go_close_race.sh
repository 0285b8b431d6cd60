#!/usr/bin/env bash
# The last write before the peer closes keeps its tuple.  A Go HTTPS server
# (testdata tlsserver, traced with -p) answers HTTP/2 clients that close the
# connection as soon as they have the response (tlsclient -new-conn): the
# server's Write of that response succeeded on a live connection, but its
# reader goroutine may close the socket before the Write's RET probe runs.
# Asserts: every server write event carries the connection's exact tuple
# (lport == server port, rport == one of the client's ports), go-memory —
# a tracer that looks the socket up only at the return loses (attribution
# none, no tuple) the tuple of some of these writes.
source "$(dirname "$0")/lib.sh"
T=$E2E_TMP
go_testdata "${GO_CLOSE_VERSION:-}" tlsserver-default tlsclient-default
N=200
start_go_server "$GO_BIN/tlsserver-default"
start_trace "$T/srv.json" -p "$SRV_PID"
"$GO_BIN/tlsclient-default" -addr "127.0.0.1:$SRV_PORT" -n $N -new-conn -http2=true -print-ports \
	-path "$(goevents paths /close-$$ 1)" >"$T/cli.out" 2>&1 || fail "tlsclient failed"
sleep 0.5
stop_trace "$T/srv.json"
py_check "$T/srv.json" "$SRV_PID" "$SRV_PORT" "$T/cli.out" "$N" <<'PY' || fail "see above"
import sys
import events, goevents
calls = events.load_calls(sys.argv[1])
pid, sport, n = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[5])
cports = goevents.client_ports(sys.argv[4])
if len(cports) != n:
    sys.exit("tlsclient printed %d ports, expected %d" % (len(cports), n))
writes = [c for c in calls if c["pid"] == pid and c["dir"] == "write"]
resp = [c for c in writes if b"echo /close-" in c["data"]]
bad = [c for c in writes if not (c.get("attribution") == "go-memory" and
                                 c.get("lport") == sport and c.get("rport") in cports)]
bad_resp = [c for c in bad if c in resp]
print("server writes: %d, with the response body: %d; without the right tuple: %d "
      "(%d of them responses)" % (len(writes), len(resp), len(bad), len(bad_resp)))
if len(resp) < n:
    print("FAIL: only %d of %d responses traced" % (len(resp), n), file=sys.stderr)
for c in bad[:3]:
    print("FAIL: %s" % events.describe(c), file=sys.stderr)
sys.exit(1 if bad or len(resp) < n else 0)
PY
echo "PASS"
