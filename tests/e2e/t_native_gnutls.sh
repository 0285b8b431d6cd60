#!/usr/bin/env bash
# gnutls-serv --echo <-> gnutls-cli, both traced by one tlstap (-p S -p C)
# attached after the connection was made.  gnutls-serv cannot bind to one
# address (it listens on 0.0.0.0 and ::), so both run in a private network
# namespace (unshare -n; only its loopback is up): that also checks that
# tuples of processes in another netns are read right.
# Asserts: lib == "gnutls" for every event; the client's write stream, the
# server's read stream, the server's write stream (echo) and the client's read
# stream are exactly the lines sent; every call has the exact tuple
# (server 127.0.0.1:P <-> 127.0.0.1:CPORT, client the mirror) with attribution
# syscall-fd or cache; only the two pids; gnutls-cli printed every line back;
# no probe left.
source "$(dirname "$0")/lib.sh"
[ -x "$TLSTAP" ] || fail "$TLSTAP not built"
need_cmd gnutls-serv gnutls-cli unshare nsenter
unshare -n true 2>/dev/null || skip_unfixable sandbox "cannot create a network namespace"
T=$E2E_TMP
make_cert
PORT=$(free_port)
mkfifo "$T/c.in"
exec 8<>"$T/c.in"

unshare -n sh -c 'ip link set lo up && exec "$@"' sh gnutls-serv --echo -p "$PORT" \
	--x509certfile "$T/cert.pem" --x509keyfile "$T/key.pem" >"$T/s.out" 2>&1 &
S=$!
bg_pid "$S"
inns() { nsenter -t "$S" -n "$@"; }
for i in $(seq 1 100); do
	inns ss -ltnH "( sport = :$PORT )" 2>/dev/null | grep -q . && break
	sleep 0.1
done
inns ss -ltnH "( sport = :$PORT )" | grep -q . || fail "gnutls-serv does not listen"
[ "$(cat /proc/$S/comm)" = gnutls-serv ] || fail "pid $S is $(cat /proc/$S/comm), not gnutls-serv"

nsenter -t "$S" -n gnutls-cli --x509cafile "$T/cert.pem" -p "$PORT" 127.0.0.1 \
	<"$T/c.in" >"$T/c.out" 2>"$T/c.err" &
C=$!
bg_pid "$C"
CPORT=
for i in $(seq 1 100); do
	CPORT=$(inns ss -tnpH state established "( dport = :$PORT )" 2>/dev/null |
		grep "pid=$C," | sed -n 's/.*127\.0\.0\.1:\([0-9]*\) *127\.0\.0\.1:'"$PORT"'.*/\1/p' | head -n1)
	[ -n "$CPORT" ] && break
	sleep 0.1
done
[ -n "$CPORT" ] || { cat "$T/c.err"; fail "gnutls-cli never connected"; }
wait_for "$T/c.out" "Handshake was completed"
[ "$(cat /proc/$C/comm)" = gnutls-cli ] || fail "pid $C is not gnutls-cli"

start_trace_all "$T/trace.json" -p "$S" -p "$C"
: >"$T/expected"
for i in 1 2 3 4 5; do
	line="$i gnutls line $(printf 'g%.0s' $(seq 1 $((i * 13))))"
	printf '%s\n' "$line" >&8
	printf '%s\n' "$line" >>"$T/expected"
	wait_for "$T/c.out" "^$line\$"
done
sleep 0.3
stop_trace "$T/trace.json"
TRACER=$TRACE_PID
cat "$T/trace.json.err"
exec 8>&-
kill "$C" "$S" 2>/dev/null
wait "$C" "$S" 2>/dev/null
check_no_probes_left_shared "$TRACER"

events summary "$T/trace.json" || fail "bad NDJSON"
events pids "$T/trace.json" --allowed "$S,$C" || fail "foreign pid"
A=127.0.0.1
ok=1
for spec in "$C write $CPORT $PORT" "$S read $PORT $CPORT" "$S write $PORT $CPORT" \
	"$C read $CPORT $PORT"; do
	set -- $spec
	events stream "$T/trace.json" --pid "$1" --dir "$2" --lib gnutls >"$T/got.$1.$2"
	cmp "$T/expected" "$T/got.$1.$2" ||
		{ echo "pid $1 $2 gnutls stream differs from the lines sent" >&2; ok=0; }
	events expect "$T/trace.json" --label "pid $1 $2" --pid "$1" --dir "$2" \
		--laddr $A --lport "$3" --raddr $A --rport "$4" \
		--attribution syscall-fd,cache || ok=0
done
n=$(events stream "$T/trace.json" --lib gnutls | wc -c)
all=$(events stream "$T/trace.json" | wc -c)
[ "$n" -eq "$all" ] || { echo "events with lib != gnutls" >&2; ok=0; }
[ $ok -eq 1 ] || fail "gnutls streams or tuples"
d=$(trace_counter "$T/trace.json" ringbuf_drops)
[ "${d:-x}" = 0 ] || fail "ringbuf_drops=${d:-?}"
echo PASS
