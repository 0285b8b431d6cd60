#!/usr/bin/env bash
# curl -> python3 ssl HTTPS server (testdata/py/https_server.py), both traced:
# the server by one tlstap (-p, started after it), curl by a second tlstap
# started with "-- curl ..." (two tracers at once).
# Asserts exact request/response bytes on both sides, exact tuples (curl's
# lport == the port the server logged, rport == server port, and the mirror on
# the server), syscall-fd attribution, no foreign pid, no ring-buffer drop,
# curl's output identical to an untraced run, no probe left.
source "$(dirname "$0")/lib.sh"
need_cmd curl
T=$E2E_TMP
mkdir -p "$T/dump"

# The server, started untraced (libssl already mapped once it listens), then
# traced by -p.  (Tracing from exec with "-- python3 ..." and the dlopen
# rescan are covered by t_native_python.sh.)
start_python_https_server --log "$T/srv.log" --dump-dir "$T/dump"
PORT=$SRV_PORT
grep -q "libssl" "/proc/$SRV_PID/maps" || fail "python server has no libssl mapped"
start_trace "$T/srv.json" -p "$SRV_PID"

URL_PATH=/curl/e2e-$$
CURL=(curl -sS --http1.1 --cacert "$T/cert.pem" -A tlstap-e2e-curl -H "X-Tlstap-Test: exact-bytes"
	"https://127.0.0.1:$PORT$URL_PATH")
# The two runs differ only in one header (so their requests can be told
# apart in the server's trace); the response body depends on the path only.

# Untraced reference run (request 1), then the traced run (request 2).
"${CURL[@]}" -H "X-Run: untraced" -o "$T/body.untraced" || fail "untraced curl failed"
run_trace "$T/curl.json" -- "${CURL[@]}" -H "X-Run: traced" -o "$T/body.traced"
rc=$?
[ $rc -eq 0 ] || { cat "$T/curl.json.err" >&2; fail "traced curl: tlstap exited $rc"; }
CURL_PID=$(traced_pid "$T/curl.json")
[ -n "$CURL_PID" ] || fail "no curl pid in $T/curl.json.err"
cmp "$T/body.untraced" "$T/body.traced" || fail "curl output differs when traced"

# Stop the server's tracer (SIGINT: detach, exit 0), then the server.
stop_trace "$T/srv.json"
stop_processes "$SRV_PID"
check_no_probes_left

echo "--- server log"; cat "$T/srv.log"
[ "$(wc -l <"$T/srv.log")" -eq 2 ] || fail "server saw $(wc -l <"$T/srv.log") requests, expected 2"
CPORT=$(sed -n '2s/^\([0-9]*\) .*/\1/p' "$T/srv.log")
grep -q "^$CPORT $URL_PATH\$" "$T/srv.log" || fail "server log: no '$CPORT $URL_PATH'"

# The exact request, written out independently of the server.
printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nUser-Agent: tlstap-e2e-curl\r\nAccept: */*\r\nX-Tlstap-Test: exact-bytes\r\nX-Run: traced\r\n\r\n' \
	"$URL_PATH" "$PORT" >"$T/req.expected"
cmp "$T/req.expected" "$T/dump/req-2.bin" || fail "server received other bytes than expected"
printf 'hello from tlstap e2e server\npath=%s\n%s\n' "$URL_PATH" \
	"$(printf 'x%.0s' $(seq 1 64))" >"$T/body.expected"
cmp "$T/body.expected" "$T/body.traced" || fail "curl body is not the expected body"

echo "--- curl trace"; events summary "$T/curl.json" || fail "bad NDJSON"
echo "--- server trace"; events summary "$T/srv.json" || fail "bad NDJSON"
A=127.0.0.1
events pids "$T/curl.json" --allowed "$CURL_PID" || fail "foreign pid in curl's trace"
events pids "$T/srv.json" --allowed "$SRV_PID" || fail "foreign pid in server's trace"
events expect "$T/curl.json" --label "curl write = request" --pid "$CURL_PID" --dir write \
	--lib openssl --equals-file "$T/req.expected" --laddr $A --lport "$CPORT" --raddr $A \
	--rport "$PORT" --attribution syscall-fd || fail "curl write event"
events expect "$T/curl.json" --label "curl read = response" --pid "$CURL_PID" --dir read \
	--lib openssl --equals-file "$T/dump/resp-2.bin" --laddr $A --lport "$CPORT" --raddr $A \
	--rport "$PORT" --attribution syscall-fd,cache || fail "curl read event"
events attribution "$T/curl.json" --pid "$CURL_PID" --allowed syscall-fd,cache ||
	fail "curl: unattributed calls"
# Server side: request 2 is the traced curl's (request 1 the untraced one).
events expect "$T/srv.json" --label "server read = request" --pid "$SRV_PID" --dir read \
	--lib openssl --contains-file "$T/req.expected" --laddr $A --lport "$PORT" --raddr $A \
	--rport "$CPORT" --attribution syscall-fd,cache || fail "server read event"
events expect "$T/srv.json" --label "server write = response" --pid "$SRV_PID" --dir write \
	--lib openssl --equals-file "$T/dump/resp-2.bin" --laddr $A --lport "$PORT" --raddr $A \
	--rport "$CPORT" --attribution syscall-fd || fail "server write event"
events attribution "$T/srv.json" --pid "$SRV_PID" --allowed syscall-fd,cache ||
	fail "server: unattributed calls"
check_counters_zero "$T/curl.json" ringbuf_drops
check_counters_zero "$T/srv.json" ringbuf_drops
echo "PASS"
