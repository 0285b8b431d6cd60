#!/usr/bin/env bash
# HTTP/1.1 from python's ssl module (OpenSSL, loaded with "import ssl"), both
# sides traced: http.client keep-alive (GET, POST with a body, a chunked
# response), three pipelined requests in one write, and a 101 upgrade after
# which bytes that look like HTTP are not HTTP any more.  Replayed with --http
# and checked exactly on the client and on the server.
source "$(dirname "$0")/lib.sh"
T=$E2E_TMP
PORT=$(free_port)
make_cert
"$PYTHON3" "$E2E_REPO/testdata/py/http_edge_server.py" --port "$PORT" --cert "$T/cert.pem" \
	--key "$T/key.pem" >"$T/srv.out" 2>&1 &
SRV_PID=$!
kill_at_exit "$SRV_PID"
wait_for "$T/srv.out" "listening"
start_trace "$T/srv.json" -p "$SRV_PID"
run_trace "$T/cli.json" -- "$PYTHON3" "$E2E_REPO/testdata/py/http_edge_client.py" \
	--port "$PORT" --cafile "$T/cert.pem" >"$T/cli.out" ||
	{ cat "$T/cli.json.err" "$T/cli.out"; fail "client failed"; }
grep -qx done "$T/cli.out" || fail "client: $(cat "$T/cli.out")"
CPID=$(traced_pid "$T/cli.json")
sleep 0.3
stop_trace "$T/srv.json"
check_no_probes_left
http_replay "$T/cli.json" "$T/cli.x"
http_replay "$T/srv.json" "$T/srv.x"
A=127.0.0.1:$PORT
cat >"$T/cli.rows" <<ROWS
GET /plain 200 0 12 http/1.1 client - $A
POST /echo 200 3 14 http/1.1 client - $A
GET /chunked 200 0 11 http/1.1 client - $A
GET /p1 200 0 9 http/1.1 client - pipe.test
GET /p2 200 0 9 http/1.1 client - pipe.test
GET /p3 200 0 9 http/1.1 client - pipe.test
GET /upgrade 101 0 0 http/1.1 client - up.test
ROWS
sed 's/ client / server /' "$T/cli.rows" >"$T/srv.rows"
echo "--- client (http.client, pipelined, upgrade)"
exchanges expect "$T/cli.x" --pid "$CPID" --rows "$T/cli.rows" --server-port "$PORT" ||
	fail "client side"
echo "--- server"
exchanges expect "$T/srv.x" --pid "$SRV_PID" --rows "$T/srv.rows" --server-port "$PORT" ||
	fail "server side"
for f in cli srv; do
	n=$(sed -n 's/.* http_upgrades=\([0-9]*\).*/\1/p' "$T/$f.x.err")
	[ "$n" = 1 ] || fail "$f: http_upgrades=$n, want 1"
done
echo "PASS"
