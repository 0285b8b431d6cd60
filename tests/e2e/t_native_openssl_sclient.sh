#!/usr/bin/env bash
# openssl s_server <-> openssl s_client exchanging known lines, both traced
# by ONE tlstap (-p S -p C), attached after their connection was made.
# Asserts: every event belongs to one of the two pids; the server's read
# stream is exactly the client's lines and its write stream exactly its own
# lines (and the mirror on the client); every call of the server is on
# 127.0.0.1:P <-> 127.0.0.1:CPORT and every call of the client on the mirror
# tuple; attribution syscall-fd or cache; both programs print exactly the
# lines they received (output unchanged under tracing); no probe left.
source "$(dirname "$0")/lib.sh"
T=$E2E_TMP
# -naccept 1: s_server serves one connection (wait_listen never connects).
start_openssl_server s_server -quiet -naccept 1
S=$SRV_PID PORT=$SRV_PORT
mkfifo "$T/c.in"
# Hold both stdins open for writing for the whole test.
exec 7<>"$T/s_server.in" 8<>"$T/c.in"
openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$T/cert.pem" -quiet \
	<"$T/c.in" >"$T/c.out" 2>"$T/c.err" &
C=$!
kill_at_exit "$C"
CPORT=$(client_port "$C" "$PORT") || fail "s_client never connected"
sleep 0.5 # handshake done before the tracer attaches

start_trace "$T/trace.json" -p "$S" -p "$C"
: >"$T/c.expected"
: >"$T/s.expected"
for i in 1 2 3 4 5; do
	send_line 8 "$i client to server: $(printf 'c%.0s' $(seq 1 $((i * 7))))" \
		"$T/c.expected" "$T/s_server.out"
	send_line 7 "$i server to client: $(printf 's%.0s' $(seq 1 $((i * 11))))" \
		"$T/s.expected" "$T/c.out"
done
sleep 0.3
stop_trace "$T/trace.json"
exec 7>&- 8>&-
stop_processes "$C" "$S"
check_no_probes_left

cmp "$T/c.expected" "$T/s_server.out" || fail "s_server printed other bytes than the client sent"
cmp "$T/s.expected" "$T/c.out" || fail "s_client printed other bytes than the server sent"
events summary "$T/trace.json" || fail "bad NDJSON"
events pids "$T/trace.json" --allowed "$S,$C" || fail "foreign pid"
check_call_streams "$T/trace.json" "$S read $T/c.expected $PORT $CPORT" \
	"$S write $T/s.expected $PORT $CPORT" "$C write $T/c.expected $CPORT $PORT" \
	"$C read $T/s.expected $CPORT $PORT" || fail "s_server/s_client streams or tuples"
check_counters_zero "$T/trace.json" ringbuf_drops
echo PASS
