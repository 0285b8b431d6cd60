#!/usr/bin/env bash
# A connection's end is reported when its socket closes, though the
# program frees its TLS object first (Python's ssl and Go's Close both
# do, before the close()): a client makes two connections one after the
# other, a pause between.  Each connection gets exactly one conn_end, on
# its own tuple, and it comes before the next connection's first event,
# not at the program's exit; so HTTP exchanges whose responses end with
# the connection (HTTP/1.0) end there too.  OpenSSL (python3 against
# openssl s_server -www, which closes after each response) and Go
# (tlsclient -raw -new-conn against the Go testdata server), on the
# newest Go of the testdata.  The Go client closes first, so its socket
# closes only once the server's FIN is in: -linger keeps it alive for a
# second after its last close, as the pause does after the first (an
# exit before the FIN ends the stream at the exit instead).
source "$(dirname "$0")/lib.sh"
T=$E2E_TMP
PAUSE=1.5

# check_ends TRACE NAME: two connections of one pid, each ended before the next began.
check_ends() {
	py_check "$1" "$2" <<'PY'
import json, sys
from events import CheckError
path, name = sys.argv[1], sys.argv[2]
chunks, ends = [], []
for line in open(path):
    ev = json.loads(line)
    if ev.get("event") == "conn_end":
        ends.append(ev)
    elif "event" not in ev and ev.get("lport"):
        chunks.append(ev)
if not chunks:
    raise CheckError("%s: no attributed event" % name)
ports = []
for c in chunks:
    if c["lport"] not in ports:
        ports.append(c["lport"])
if len(ports) != 2:
    raise CheckError("%s: %d connections, not 2: %s" % (name, len(ports), ports))
by_port = {}
for e in ends:
    by_port.setdefault(e["lport"], []).append(e)
for p in ports:
    got = by_port.get(p, [])
    if len(got) != 1:
        raise CheckError("%s: port %d: %d conn_end, not 1 (conn_ends: %s)" % (name, p, len(got), ends))
    mine = [c for c in chunks if c["lport"] == p]
    e = got[0]
    if e["pid"] != mine[0]["pid"] or e["rport"] != mine[0]["rport"] or e["raddr"] != mine[0]["raddr"]:
        raise CheckError("%s: port %d: conn_end %s is not the connection's %s" % (name, p, e, mine[0]))
    if e["time_ns"] < mine[-1]["time_ns"]:
        raise CheckError("%s: port %d: conn_end before its last event" % (name, p))
first_of_second = min(c["time_ns"] for c in chunks if c["lport"] == ports[1])
if by_port[ports[0]][0]["time_ns"] > first_of_second:
    raise CheckError("%s: the first connection ended after the second began (at exit?)" % name)
print("%s: 2 connections, each ended before the next began" % name)
PY
}

echo "=== OpenSSL (python3 ssl client, openssl s_server -www)"
start_openssl_server www -www
cat >"$T/client.py" <<PY
import socket, ssl, sys, time
ctx = ssl._create_unverified_context()
for i in range(2):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", $SRV_PORT)))
    s.sendall(b"GET /conn%d HTTP/1.0\r\n\r\n" % i)
    while s.recv(65536):
        pass
    s.close()
    time.sleep($PAUSE)
PY
run_trace "$T/py.json" -- "$PYTHON3" "$T/client.py" ||
	{ cat "$T/py.json.err"; fail "traced python client failed"; }
cat "$T/py.json.err" | tail -n 1
check_ends "$T/py.json" openssl || fail "openssl: connection ends"
# The responses end with their connections: each exchange is whole.
"$TLSTAP" replay --http "$T/py.json" >"$T/py.x" 2>"$T/py.x.err" || fail "replay --http"
cat "$T/py.x"
[ "$(grep -c ' GET ? /conn[01] -> 200 ' "$T/py.x")" = 2 ] || fail "openssl: exchanges"

V=$(go_versions | tail -n 1)
[ -n "$V" ] || fail "no Go testdata ($GO_TD/manifest.txt): run make testdata"
echo "=== Go $V (tlsclient -raw -new-conn)"
go_testdata "$V" tlsserver-default tlsclient-default
start_go_server "$GO_BIN/tlsserver-default"
run_trace "$T/go.json" -- "$GO_BIN/tlsclient-default" -addr "127.0.0.1:$SRV_PORT" -raw \
	-new-conn -n 2 -interval "${PAUSE}s" -linger 1s -q ||
	{ cat "$T/go.json.err"; fail "traced tlsclient failed"; }
cat "$T/go.json.err" | tail -n 1
check_ends "$T/go.json" go || fail "go: connection ends"
check_no_probes_left
echo PASS
