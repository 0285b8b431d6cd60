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
T=$E2E_TMP
go_testdata "${MIXED_GO:-1.22}" cgossl-cgo tlsserver-default

start_go_server "$GO_BIN/tlsserver-default" -http2=false
srv=$SRV_PID port=$SRV_PORT

# The server by -p in the background, the cgo client by -- CMD.
start_trace "$T/server.json" -p "$srv"
LD_DEBUG=files LD_DEBUG_OUTPUT="$T/ld" run_trace "$T/client.json" -- \
	"$GO_BIN/cgossl-cgo" -addr "127.0.0.1:$port" -go-path /mixed/go-side -c-path /mixed/c-side \
	>"$T/client.out" || fail "client under tlstap failed: $(cat "$T/client.out" "$T/client.json.err")"
sleep 0.3
stop_trace "$T/server.json"
cat "$T/client.out"
goport=$(awk '/^go port/ { print $3 }' "$T/client.out")
cport=$(awk '/^openssl port/ { print $3 }' "$T/client.out")
[ -n "$goport" ] && [ -n "$cport" ] || fail "client did not print its ports"
client=$(loader_pid "$T/ld" cgossl-cgo) || fail "no single cgossl-cgo pid in $T/ld.*"
echo "client pid $client (its loader's), server pid $srv"

events expect "$T/client.json" --pid "$client" --dir write --lib go \
	--contains "GET /mixed/go-side HTTP/1.0" --lport "$goport" --rport "$port" \
	--attribution go-memory || fail "Go side of the cgo client"
events expect "$T/client.json" --pid "$client" --dir write --lib openssl \
	--contains "GET /mixed/c-side HTTP/1.0" --lport "$cport" --rport "$port" \
	--attribution syscall-fd || fail "OpenSSL side of the cgo client"
events expect "$T/client.json" --pid "$client" --dir read --lib openssl \
	--contains "echo /mixed/c-side" --lport "$cport" --rport "$port" \
	--attribution syscall-fd,cache || fail "OpenSSL response"
# The server saw both requests, each on the client's tuple, mirrored.
events expect "$T/server.json" --pid "$srv" --dir read --lib go \
	--contains "GET /mixed/go-side" --lport "$port" --rport "$goport" \
	--attribution go-memory || fail "server side, Go request"
events expect "$T/server.json" --pid "$srv" --dir read --lib go \
	--contains "GET /mixed/c-side" --lport "$port" --rport "$cport" \
	--attribution go-memory || fail "server side, OpenSSL request"
events pids "$T/client.json" --allowed "$client" || fail "foreign pid in client trace"
events pids "$T/server.json" --allowed "$srv" || fail "foreign pid in server trace"
check_no_probes_left
echo PASS
