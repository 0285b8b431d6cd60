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
need_cmd gnutls-serv gnutls-cli unshare nsenter
T=$E2E_TMP
start_gnutls_echo_server
S=$SRV_PID PORT=$SRV_PORT
start_gnutls_client
C=$CLI_PID CPORT=$CLI_PORT

start_trace "$T/trace.json" -p "$S" -p "$C"
: >"$T/expected"
for i in 1 2 3 4 5; do
	send_line 8 "$i gnutls line $(printf 'g%.0s' $(seq 1 $((i * 13))))" "$T/expected" "$T/c.out"
done
sleep 0.3
stop_trace "$T/trace.json"
exec 8>&-
stop_processes "$C" "$S"
check_no_probes_left

events summary "$T/trace.json" || fail "bad NDJSON"
events pids "$T/trace.json" --allowed "$S,$C" || fail "foreign pid"
ok=1
check_call_streams "$T/trace.json" --lib gnutls "$C write $T/expected $CPORT $PORT" \
	"$S read $T/expected $PORT $CPORT" "$S write $T/expected $PORT $CPORT" \
	"$C read $T/expected $CPORT $PORT" || ok=0
n=$(events stream "$T/trace.json" --lib gnutls | wc -c)
all=$(events stream "$T/trace.json" | wc -c)
[ "$n" -eq "$all" ] || { echo "events with lib != gnutls" >&2; ok=0; }
[ $ok -eq 1 ] || fail "gnutls streams or tuples"
check_counters_zero "$T/trace.json" ringbuf_drops
echo PASS
