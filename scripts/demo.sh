#!/usr/bin/env bash
# The built-in demo: a Go HTTPS server and client from testdata, and curl
# (OpenSSL), traced by tlstap: raw plaintext events of one command, then the
# whole host's HTTP exchanges on the demo's port (client and server sides of
# each request, HTTP/1.1 and HTTP/2) and the endpoint table.
set -euo pipefail
BUILD=${BUILD:-build}
GOV=${DEMO_GO_VERSION:-1.22}
TLSTAP=$BUILD/tlstap
SRV=$BUILD/testdata/go/$GOV/tlsserver-default
CLI=$BUILD/testdata/go/$GOV/tlsclient-default

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: tracing needs root; showing what resolve finds instead" >&2
	"$TLSTAP" resolve "$CLI"
	exit 0
fi

tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$SRV" -addr "127.0.0.1:$port" >"$tmp/server.log" 2>&1 &
pids+=($!)
srv=$!
for _ in $(seq 50); do grep -q listening "$tmp/server.log" && break; sleep 0.1; done

echo "== 1. what tlstap resolve finds in the Go client (go$GOV, testdata)"
"$TLSTAP" resolve --no-prologue "$CLI" | sed -n '1,12p'
echo "   ..."
echo
echo "== 2. tlstap trace -- tlsclient: one Go request, raw plaintext events"
"$TLSTAP" trace -- "$CLI" -addr "127.0.0.1:$port" -http2=false -n 1 -path /demo/raw -q
echo
echo "== 3. the whole host, HTTP view: tlstap trace --all --hold-new --http --summary --port $port"
"$TLSTAP" trace --all --hold-new --http --summary --port "$port" -o "$tmp/http.txt" 2>"$tmp/all.err" &
tracer=$!
pids+=($tracer)
for _ in $(seq 100); do grep -q -- "--all:" "$tmp/all.err" 2>/dev/null && break; sleep 0.1; done
echo "   (Go client over HTTP/2, curl over HTTP/1.1 and HTTP/2, to the Go server on port"
echo "   $port; --hold-new holds a program tlstap has not seen at its exec until its"
echo "   probes are live, so that the Go client's first request is seen too)"
"$CLI" -addr "127.0.0.1:$port" -n 2 -path /demo/hello,/demo/world -q
curl -sk --http1.1 -o /dev/null "https://127.0.0.1:$port/demo/from-curl"
curl -sk --http2 -o /dev/null -d 'k=v' "https://127.0.0.1:$port/demo/post"
sleep 0.5
kill -INT "$tracer"
wait "$tracer" 2>/dev/null || true
echo
echo "   each exchange once from the client, once from the server, on the same"
echo "   connection seen from both ends:"
cat "$tmp/http.txt"
