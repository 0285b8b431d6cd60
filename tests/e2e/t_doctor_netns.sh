#!/usr/bin/env bash
# tlstap doctor judges a connection in the network namespace of the process
# that holds it, not in its own: gnutls-serv --echo and gnutls-cli run in a
# private network namespace (only its loopback is up), both traced.  While
# the connection is open, doctor must judge its state live (the tuple exists
# only in that namespace's /proc/PID/net/tcp{,6}: checked absent from ours),
# and once the client is gone and the server has closed its end, nothing
# may be left of it.
source "$(dirname "$0")/lib.sh"
need_cmd gnutls-serv gnutls-cli unshare nsenter ss
T=$E2E_TMP
start_gnutls_echo_server
S=$SRV_PID
start_gnutls_client
C=$CLI_PID CPORT=$CLI_PORT
[ -z "$(ss -tnH "( sport = :$CPORT or dport = :$CPORT )")" ] ||
	fail "the connection's port $CPORT is in this namespace too: the test proves nothing"

start_trace "$T/trace.json" -p "$S" -p "$C"
: >"$T/sent"
# The client's socket is named by its own calls' I/O; the cached socket of
# each side serves the next call.
for i in 1 2 3; do
	send_line 8 "netns line $i" "$T/sent" "$T/c.out"
done
sleep 0.3

run_doctor "$TRACE_PID" "$T/open.json"
rc=$?
doctorjson show "$T/open.json"
[ $rc -eq 0 ] || fail "doctor exited $rc while the connection is open"
doctorjson check "$T/open.json" --leaked 0 --no-unjudged --min-live native_conns=2 \
	--min-live socks=2 || fail "the open connection's state"

# The client ends (SIGTERM: the kernel closes its socket, its state is
# swept with it); the server stays and closes its end on the EOF: the
# tracer must drop that too.
kill "$C"
wait_gone "$C" 10 || fail "gnutls-cli did not exit"
sleep 1
run_doctor "$TRACE_PID" "$T/closed.json"
rc=$?
doctorjson show "$T/closed.json"
[ $rc -eq 0 ] || fail "doctor exited $rc after the close"
doctorjson check "$T/closed.json" --leaked 0 --empty native_calls,native_conns,socks ||
	fail "state of the closed connection left"
stop_trace "$T/trace.json"
stop_processes "$S"
check_no_probes_left
echo PASS
