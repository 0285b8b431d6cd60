#!/usr/bin/env bash
# tls.Conn address reuse (the SUSM-146 Go bug: state keyed by the tls.Conn
# pointer alone attributes a request to an earlier, dead connection).
# testdata/go/connreuse sends >= 10,000 requests, each over a NEW TLS
# connection that it then drops without Close(), and forces GC every few
# requests, so the heap hands the memory of dead tls.Conn (and netFD) objects
# to new ones.  It logs every request's path, local port and the addresses of
# its tls.Conn and netFD.  It runs under "tlstap trace -- CMD"; the
# server (testdata tlsserver) is traced by a second tlstap with -p.
# Asserts (tests/e2e/goevents.py reuse):
#  - 0 requests attributed to the wrong connection: the client's write event
#    whose data holds path P has lport == P's port (and rport == server port),
#    its read event with "echo P" too; on the server the mirror (rport == P's
#    port); attribution go-memory;
#  - >= 99% of the requests captured and right, on each of the four sides;
#  - the event's conn field is the tls.Conn address connreuse printed for P;
#  - reuse really happened: some conn pointer is seen in the trace with more
#    than one local port (the count is printed), else the test proves nothing.
# GO_REUSE_VERSION (default: the newest Go testdata was built with),
# GO_REUSE_N (default 10000).
source "$(dirname "$0")/lib.sh"
T=$E2E_TMP
go_testdata "${GO_REUSE_VERSION:-}" tlsserver-default connreuse-default
N=${GO_REUSE_N:-10000}

start_go_server "$GO_BIN/tlsserver-default" -http2=false
SPID=$SRV_PID SPORT=$SRV_PORT
start_trace "$T/srv.json" -p "$SPID"

echo "go$GO_V: $N requests over new connections, dropped without Close, GC forced"
start=$(date +%s)
TRACE_TIMEOUT=600 run_trace "$T/cli.json" -- "$GO_BIN/connreuse-default" \
	-addr "127.0.0.1:$SPORT" -n "$N" -run "$$" -log "$T/requests.log" >"$T/cli.out"
rc=$?
echo "client done in $(($(date +%s) - start)) s"
[ $rc -eq 0 ] || { tail -5 "$T/cli.json.err" >&2; fail "traced connreuse: exit $rc"; }
CPID=$(traced_pid "$T/cli.json")
[ -n "$CPID" ] || fail "no connreuse pid in $T/cli.json.err"
cat "$T/cli.out"
sleep 0.5
stop_trace "$T/srv.json"
stop_processes "$SPID"
echo "client tracer: $(tail -n1 "$T/cli.json.err")"
for f in cli srv; do
	d=$(trace_counter "$T/$f.json" ringbuf_drops)
	[ "${d:-x}" = 0 ] || echo "note: $f tracer ringbuf_drops=${d:-?} (judged by the capture rate)"
done
goevents reuse "$T/cli.json" --pid "$CPID" --server-port "$SPORT" --log "$T/requests.log" \
	--min-requests "$N" --min-rate 0.99 --server-json "$T/srv.json" --server-pid "$SPID" ||
	fail "address reuse: see above"
echo "PASS"
