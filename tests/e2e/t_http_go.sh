#!/usr/bin/env bash
# HTTP exchanges of Go programs, on every Go version in the testdata manifest:
# the Go testdata server (HTTP/2 by ALPN) traced with -p while curl --http2,
# curl --http1.1 and the Go testdata client (net/http, HTTP/2 forced) send
# requests; the client is traced too ("-- tlsclient").  Both sides replayed
# with --http and checked exactly: method, path, authority, status, body
# sizes, proto, role, server port.
source "$(dirname "$0")/lib.sh"
need_cmd curl
T=$E2E_TMP
VERSIONS=$(go_versions)
[ -n "$VERSIONS" ] || fail "no Go testdata ($GO_TD/manifest.txt): run make testdata"
ran=0
for V in $VERSIONS; do
	go_testdata "$V" tlsserver-default tlsclient-default
	SRV=$GO_BIN/tlsserver-default
	CLI=$GO_BIN/tlsclient-default
	echo "=== Go $V"
	start_go_server "$SRV"
	start_trace "$T/srv-$V.json" -p "$SRV_PID"
	U=https://127.0.0.1:$SRV_PORT
	curl -sk --http2 -o /dev/null -o /dev/null "$U/c/$V/1" "$U/c/$V/2" || fail "curl --http2"
	curl -sk --http1.1 -o /dev/null "$U/h/$V/1" || fail "curl --http1.1"
	run_trace "$T/cli-$V.json" -- "$CLI" -addr "127.0.0.1:$SRV_PORT" -n 3 \
		-path "/g/$V/a,/g/$V/b" -body-size 20 -q ||
		{ cat "$T/cli-$V.json.err"; fail "traced tlsclient failed"; }
	CPID=$(traced_pid "$T/cli-$V.json")
	sleep 0.3
	stop_trace "$T/srv-$V.json"
	stop_processes "$SRV_PID"
	http_replay "$T/srv-$V.json" "$T/srv-$V.x"
	http_replay "$T/cli-$V.json" "$T/cli-$V.x"
	A=127.0.0.1:$SRV_PORT
	len() { echo $((${#1} + 6 + ${2:-0})); } # "echo PATH\n" + body
	cat >"$T/cli-$V.rows" <<ROWS
POST /g/$V/a 200 20 $(len /g/$V/a 20) h2 client - $A
POST /g/$V/b 200 20 $(len /g/$V/b 20) h2 client - $A
POST /g/$V/a 200 20 $(len /g/$V/a 20) h2 client - $A
ROWS
	{
		echo "GET /c/$V/1 200 0 $(len /c/$V/1) h2 server - $A"
		echo "GET /c/$V/2 200 0 $(len /c/$V/2) h2 server - $A"
		echo "GET /h/$V/1 200 0 $(len /h/$V/1) http/1.1 server - $A"
		sed 's/ client / server /' "$T/cli-$V.rows"
	} >"$T/srv-$V.rows"
	exchanges expect "$T/srv-$V.x" --pid "$SRV_PID" --rows "$T/srv-$V.rows" \
		--server-port "$SRV_PORT" || fail "Go $V: server side"
	exchanges expect "$T/cli-$V.x" --pid "$CPID" --rows "$T/cli-$V.rows" \
		--server-port "$SRV_PORT" || fail "Go $V: client side"
	ran=$((ran + 1))
done
check_no_probes_left
echo "PASS ($ran Go versions)"
