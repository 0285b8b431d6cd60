#!/usr/bin/env bash
# One process, two TLS stacks: a Go program that uses crypto/tls and, through
# cgo, OpenSSL (testdata/go/cgossl).  One tlstap traces both, with the same
# output: lib "go" with go-memory attribution for the first request, lib
# "openssl" with syscall-fd for the second, each on its exact tuple.  And
# several processes at once: the Go server is traced by the same tlstap.
# The truth the events are checked against comes from the processes: the
# server's pid ($!), the client's pid as its own dynamic loader writes it
# (LD_DEBUG), the client's local ports as it prints them.
source "$(dirname "$0")/lib.sh"
GOV=${MIXED_GO:-1.22}
BIN=$BUILD/testdata/go/$GOV/cgossl-cgo
SRV=$BUILD/testdata/go/$GOV/tlsserver-default
[ -x "$BIN" ] && [ -x "$SRV" ] || fail "missing $BIN or $SRV (make testdata)"

port=$(free_port)
"$SRV" -addr "127.0.0.1:$port" -http2=false >"$E2E_TMP/server.log" 2>&1 &
srv=$!
bg_pid $srv
wait_for "$E2E_TMP/server.log" listening

# The server by -p in the background, the cgo client by -- CMD.
start_trace "$E2E_TMP/server.json" -p "$srv"
LD_DEBUG=files LD_DEBUG_OUTPUT="$E2E_TMP/ld" "$TLSTAP" trace -f json -o "$E2E_TMP/client.json" -- \
	"$BIN" -addr "127.0.0.1:$port" -go-path /mixed/go-side -c-path /mixed/c-side \
	>"$E2E_TMP/client.out" 2>"$E2E_TMP/client.err" ||
	fail "client under tlstap failed: $(cat "$E2E_TMP/client.out" "$E2E_TMP/client.err")"
sleep 0.3
stop_trace "$E2E_TMP/server.json"
cat "$E2E_TMP/client.out"
goport=$(awk '/^go port/ { print $3 }' "$E2E_TMP/client.out")
cport=$(awk '/^openssl port/ { print $3 }' "$E2E_TMP/client.out")
[ -n "$goport" ] && [ -n "$cport" ] || fail "client did not print its ports"
client=$(loader_pid "$E2E_TMP/ld" cgossl-cgo) || fail "no single cgossl-cgo pid in $E2E_TMP/ld.*"
echo "client pid $client (its loader's), server pid $srv"

events expect "$E2E_TMP/client.json" --pid "$client" --dir write --lib go \
	--contains "GET /mixed/go-side HTTP/1.0" --lport "$goport" --rport "$port" \
	--attribution go-memory || fail "Go side of the cgo client"
events expect "$E2E_TMP/client.json" --pid "$client" --dir write --lib openssl \
	--contains "GET /mixed/c-side HTTP/1.0" --lport "$cport" --rport "$port" \
	--attribution syscall-fd || fail "OpenSSL side of the cgo client"
events expect "$E2E_TMP/client.json" --pid "$client" --dir read --lib openssl \
	--contains "echo /mixed/c-side" --lport "$cport" --rport "$port" \
	--attribution syscall-fd,cache || fail "OpenSSL response"
# The server saw both requests, each on the client's tuple, mirrored.
events expect "$E2E_TMP/server.json" --pid "$srv" --dir read --lib go \
	--contains "GET /mixed/go-side" --lport "$port" --rport "$goport" \
	--attribution go-memory || fail "server side, Go request"
events expect "$E2E_TMP/server.json" --pid "$srv" --dir read --lib go \
	--contains "GET /mixed/c-side" --lport "$port" --rport "$cport" \
	--attribution go-memory || fail "server side, OpenSSL request"
events pids "$E2E_TMP/client.json" --allowed "$client" || fail "foreign pid in client trace"
events pids "$E2E_TMP/server.json" --allowed "$srv" || fail "foreign pid in server trace"
check_no_probes_left_shared
echo PASS
