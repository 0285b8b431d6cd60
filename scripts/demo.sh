#!/usr/bin/env bash
# The built-in demo: a Go HTTPS server and client from testdata, and curl
# (OpenSSL), traced by tlstap; their requests and responses in plaintext.
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
echo "== 2. the Go server (pid $srv) traced in the background"
"$TLSTAP" trace -v -p "$srv" -o "$tmp/server.txt" 2>"$tmp/server.err" &
tracer=$!
pids+=($tracer)
for _ in $(seq 50); do grep -q probes "$tmp/server.err" && break; sleep 0.1; done
cat "$tmp/server.err"
echo
echo "== 3. tlstap trace -- tlsclient (Go client, HTTP/1.1, two requests)"
"$TLSTAP" trace -- "$CLI" -addr "127.0.0.1:$port" -http2=false -n 2 -path /demo/hello,/demo/world -q
echo
echo "== 4. tlstap trace -- curl (OpenSSL), same server"
"$TLSTAP" trace -- curl -sk --http1.1 -o /dev/null "https://127.0.0.1:$port/demo/from-curl"
sleep 0.3
kill -INT "$tracer"
wait "$tracer" 2>/dev/null || true
echo
echo "== 5. what the server side saw (tlstap trace -p $srv)"
cat "$tmp/server.txt"
