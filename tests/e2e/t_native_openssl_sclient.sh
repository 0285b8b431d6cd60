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
[ -x "$TLSTAP" ] || fail "$TLSTAP not built"
need_cmd openssl
T=$E2E_TMP
make_cert
PORT=$(free_port)
mkfifo "$T/s.in" "$T/c.in"
# Hold both fifos open for writing for the whole test.
exec 7<>"$T/s.in" 8<>"$T/c.in"

openssl s_server -accept "127.0.0.1:$PORT" -cert "$T/cert.pem" -key "$T/key.pem" \
	-quiet -naccept 1 <"$T/s.in" >"$T/s.out" 2>"$T/s.err" &
S=$!
bg_pid "$S"
wait_listen "$PORT"
openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$T/cert.pem" -quiet \
	<"$T/c.in" >"$T/c.out" 2>"$T/c.err" &
C=$!
bg_pid "$C"
CPORT=
for i in $(seq 1 100); do
	CPORT=$(ss -tnpH state established "( dport = :$PORT )" 2>/dev/null |
		grep "pid=$C," | sed -n 's/.*127\.0\.0\.1:\([0-9]*\) *127\.0\.0\.1:'"$PORT"'.*/\1/p' | head -n1)
	[ -n "$CPORT" ] && break
	sleep 0.1
done
[ -n "$CPORT" ] || fail "s_client never connected"
sleep 0.5 # handshake done before the tracer attaches

start_trace_all "$T/trace.json" -p "$S" -p "$C"

: >"$T/c.expected"
: >"$T/s.expected"
for i in 1 2 3 4 5; do
	line="$i client to server: $(printf 'c%.0s' $(seq 1 $((i * 7))))"
	printf '%s\n' "$line" >&8
	printf '%s\n' "$line" >>"$T/c.expected"
	wait_for "$T/s.out" "^$line\$"
	line="$i server to client: $(printf 's%.0s' $(seq 1 $((i * 11))))"
	printf '%s\n' "$line" >&7
	printf '%s\n' "$line" >>"$T/s.expected"
	wait_for "$T/c.out" "^$line\$"
done
sleep 0.3
stop_trace "$T/trace.json"
TRACER=$TRACE_PID
cat "$T/trace.json.err"
exec 7>&- 8>&-
kill "$C" "$S" 2>/dev/null
wait "$C" "$S" 2>/dev/null
check_no_probes_left_shared "$TRACER"

cmp "$T/c.expected" "$T/s.out" || fail "s_server printed other bytes than the client sent"
cmp "$T/s.expected" "$T/c.out" || fail "s_client printed other bytes than the server sent"
events summary "$T/trace.json" || fail "bad NDJSON"
events pids "$T/trace.json" --allowed "$S,$C" || fail "foreign pid"
A=127.0.0.1
ok=1
for spec in "$S read c.expected $PORT $CPORT" "$S write s.expected $PORT $CPORT" \
	"$C write c.expected $CPORT $PORT" "$C read s.expected $CPORT $PORT"; do
	set -- $spec
	events stream "$T/trace.json" --pid "$1" --dir "$2" >"$T/got.$1.$2"
	cmp "$T/$3" "$T/got.$1.$2" ||
		{ echo "pid $1 $2 stream differs from $3" >&2; ok=0; }
	# Every call of this pid and direction: the exact tuple.
	events expect "$T/trace.json" --label "pid $1 $2" --pid "$1" --dir "$2" \
		--laddr $A --lport "$4" --raddr $A --rport "$5" \
		--attribution syscall-fd,cache || ok=0
done
[ $ok -eq 1 ] || fail "s_server/s_client streams or tuples"
d=$(trace_counter "$T/trace.json" ringbuf_drops)
[ "${d:-x}" = 0 ] || fail "ringbuf_drops=${d:-?}"
echo PASS
