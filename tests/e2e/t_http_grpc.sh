#!/usr/bin/env bash
# gRPC over TLS with Debian's python3-grpcio: gRPC core on the system OpenSSL
# (libssl.so.3), which tlstap traces.  gRPC core does its TLS through memory
# BIOs: its calls are attributed by ciphertext (the records its BIOs produce
# and its sockets move), on the connection's true tuple.  Server (-p) and
# client ("-- python3 ...") traced; replayed with --http and checked exactly:
# service, method, grpc-status and grpc-message from the trailers, body sizes,
# the tuple (the server's local port is the one it listens on, the client's
# remote port the same, and each side's other port the other's).
source "$(dirname "$0")/lib.sh"
"$PYTHON3" -c 'import grpc' 2>/dev/null || fail "python3-grpcio is not installed: run make deps"
T=$E2E_TMP
PORT=$(free_port)
make_cert
"$PYTHON3" "$E2E_REPO/testdata/py/grpc_echo.py" server --port "$PORT" --cert "$T/cert.pem" \
	--key "$T/key.pem" >"$T/srv.out" 2>&1 &
SRV_PID=$!
kill_at_exit "$SRV_PID"
wait_for "$T/srv.out" "listening"
start_trace "$T/srv.json" -p "$SRV_PID"
run_trace "$T/cli.json" -- "$PYTHON3" "$E2E_REPO/testdata/py/grpc_echo.py" \
	client --port "$PORT" --cafile "$T/cert.pem" >"$T/cli.out" ||
	{ cat "$T/cli.json.err" "$T/cli.out"; fail "grpc client failed"; }
grep -qx done "$T/cli.out" || fail "client: $(cat "$T/cli.out")"
CPID=$(traced_pid "$T/cli.json")
sleep 0.3
stop_trace "$T/srv.json"
check_no_probes_left
http_replay "$T/srv.json" "$T/srv.x"
http_replay "$T/cli.json" "$T/cli.x"
python3 - "$T" "$SRV_PID" "$CPID" "$PORT" <<'PY' || fail "gRPC exchanges"
import json, sys
t, srv, cli, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
want = [("Say", 0, None, 10, 15), ("Say", 0, None, 10, 15), ("Fail", 5, "no such thing", 6, 0)]
bad = []
ports = {}
for name, pid, role in (("srv", srv, "server"), ("cli", cli, "client")):
    xs = sorted((json.loads(l) for l in open("%s/%s.x" % (t, name)) if l.strip()),
                key=lambda x: x["time_ns"])
    xs = [x for x in xs if x["pid"] == pid]
    if len(xs) != len(want):
        bad.append("%s: %d exchanges, want %d" % (role, len(xs), len(want)))
    for x, (m, st, msg, rq, rs) in zip(xs, want):
        got = (x["proto"], x["role"], x["method"], x["authority"], x["path"], x["status"],
               x["grpc_service"], x["grpc_method"], x["grpc_status"], x["grpc_message"],
               x["req_bytes"], x["resp_bytes"], x["partial"], x["laddr"], x["raddr"],
               x["lport" if role == "server" else "rport"], x["attribution"])
        exp = ("h2", role, "POST", "127.0.0.1:" + port, "/tlstap.Echo/" + m, 200,
               "tlstap.Echo", m, st, msg, rq, rs, [], "127.0.0.1", "127.0.0.1", int(port),
               "ciphertext")
        ports.setdefault(role, set()).add(x["rport" if role == "server" else "lport"])
        print("%s %s" % ("ok " if got == exp else "BAD", got))
        if got != exp:
            bad.append("%s: got %s, want %s" % (role, got, exp))
# One connection: the server's peer port is the client's own.
if ports.get("server") != ports.get("client") or len(ports.get("client", ())) != 1:
    bad.append("the two sides' other ports differ: %s" % ports)
for b in bad:
    print("FAIL: " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
echo "PASS"
