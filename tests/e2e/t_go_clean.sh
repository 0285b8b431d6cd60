#!/usr/bin/env bash
# Tracing leaves no trace: a Go program's output is byte-identical traced and
# untraced; SIGINT and SIGTERM both detach (exit 0, the target's code is the
# file's again, no BPF program of the tracer left, the target keeps serving);
# a target that exits while traced ends that pid's trace and a tracer of two
# pids keeps tracing the other; one whose only target exits ends by itself;
# "tlstap trace -- CMD" exits with CMD's status (0, 1, 2, and 128+9 for a
# SIGKILL).
source "$(dirname "$0")/lib.sh"
T=$E2E_TMP
go_testdata "${GO_CLEAN_VERSION:-}" tlsserver-default tlsclient-default
SRV=$GO_BIN/tlsserver-default CLI=$GO_BIN/tlsclient-default

# The tracers' programs gone, and no uprobe on our binaries left.
no_probes_left() {
	check_no_probes_left
	if [ -r /sys/kernel/tracing/uprobe_events ] &&
		grep -q "$GO_TD" /sys/kernel/tracing/uprobe_events; then
		fail "uprobe_events still names testdata: $(grep -m1 "$GO_TD" /sys/kernel/tracing/uprobe_events)"
	fi
}

start_go_server "$SRV"
SPID=$SRV_PID SPORT=$SRV_PORT

echo "--- 1. output identical, traced (-- CMD) and untraced"
for h2 in false true; do
	args=(-addr "127.0.0.1:$SPORT" -n 5 -path /clean/a,/clean/b -body-size 3000 -http2=$h2)
	"$CLI" "${args[@]}" >"$T/plain-$h2.out" 2>&1 || fail "untraced tlsclient failed"
	run_trace "$T/cli-$h2.json" -- "$CLI" "${args[@]}" >"$T/traced-$h2.out"
	rc=$?
	[ $rc -eq 0 ] || { cat "$T/cli-$h2.json.err" >&2; fail "traced tlsclient: exit $rc"; }
	cmp "$T/plain-$h2.out" "$T/traced-$h2.out" || fail "http2=$h2: output differs when traced"
	n=$(grep -c '"dir":"write"' "$T/cli-$h2.json")
	[ "$n" -ge 5 ] || fail "http2=$h2: only $n write events: was it traced at all?"
	echo "http2=$h2: $(wc -c <"$T/plain-$h2.out") bytes identical; $n write events"
done

echo "--- 2. SIGINT and SIGTERM detach cleanly"
goevents text "$SPID" "$SRV" || fail "the server's code differs from its file before any trace"
for sig in INT TERM; do
	start_trace "$T/sig-$sig.json" -p "$SPID"
	goevents text "$SPID" "$SRV" --expect-probes || fail "no probe visible in the traced server"
	"$CLI" -addr "127.0.0.1:$SPORT" -n 2 -path "/sig-$sig" -http2=false -q || fail "request while traced"
	sleep 0.3
	stop_trace -$sig "$T/sig-$sig.json"
	grep -q "^tlstap: events=" "$T/sig-$sig.json.err" || fail "SIG$sig: no counters at exit"
	grep -q "/sig-$sig" <(events stream "$T/sig-$sig.json" --pid "$SPID" --dir read) ||
		fail "SIG$sig: the request made while traced is not in the trace"
	goevents text "$SPID" "$SRV" || fail "SIG$sig: probes left in the server's code"
	no_probes_left
	kill -0 "$SPID" || fail "the server died"
	"$CLI" -addr "127.0.0.1:$SPORT" -n 1 -q || fail "SIG$sig: the server no longer serves"
	echo "SIG$sig: exit 0, code restored, no program left, server alive"
done

echo "--- 3. a target exits while traced"
start_go_server "$SRV" -max-requests 2
APID=$SRV_PID APORT=$SRV_PORT
start_go_server "$SRV"
BPID=$SRV_PID BPORT=$SRV_PORT
start_trace "$T/exit.json" -p "$APID" -p "$BPID"
"$CLI" -addr "127.0.0.1:$APORT" -n 2 -path /exit-a -http2=false -q || fail "requests to A"
# A exits after its 2nd request (-max-requests): the tracer must see that.
wait_gone "$APID" 10 || fail "server A did not exit"
wait_for "$T/exit.json.err" "pid $APID exited"
kill -0 "$TRACE_PID" || fail "tlstap ended when one of its two targets exited"
"$CLI" -addr "127.0.0.1:$BPORT" -n 3 -path /exit-b-after -http2=false -q || fail "requests to B"
sleep 0.3
stop_trace "$T/exit.json"
events stream "$T/exit.json" --pid "$APID" --dir read | grep -q "GET /exit-a" ||
	fail "A's requests missing"
n=$(events stream "$T/exit.json" --pid "$BPID" --dir read | grep -c "GET /exit-b-after")
[ "$n" -eq 3 ] || fail "B after A exited: $n of 3 requests traced"
events pids "$T/exit.json" --allowed "$APID,$BPID" || fail "foreign pid"
echo "B traced after A exited: $n of 3 requests"
# The only target exits: the tracer ends by itself, exit 0.
start_go_server "$SRV" -max-requests 1
CPID=$SRV_PID CPORT=$SRV_PORT
start_trace "$T/exit1.json" -p "$CPID"
"$CLI" -addr "127.0.0.1:$CPORT" -n 1 -path /exit-c -http2=false -q || fail "request to C"
wait_gone "$TRACE_PID" 15 || fail "tlstap still runs 15 s after its only target exited"
trace_status "$T/exit1.json" || fail "tlstap -p C (exited): exit $?"
events stream "$T/exit1.json" --pid "$CPID" --dir read | grep -q "GET /exit-c" ||
	fail "C's request missing"
no_probes_left
echo "single target exited: tlstap ended by itself with 0"

echo "--- 4. -- CMD exit status is CMD's"
CLOSED=$(free_port)
expect_status() { # WANT WHAT CMD...
	local want=$1 what=$2 rc
	shift 2
	run_trace "$T/status-$want.json" -- "$@" >/dev/null
	rc=$?
	[ $rc -eq "$want" ] || { cat "$T/status-$want.json.err" >&2; fail "$what: tlstap exited $rc, expected $want"; }
	echo "$what: $rc"
}
expect_status 0 "tlsclient ok" "$CLI" -addr "127.0.0.1:$SPORT" -n 1 -q
expect_status 1 "tlsclient to a closed port (log.Fatal)" "$CLI" -addr "127.0.0.1:$CLOSED" -n 1 -q
expect_status 2 "tlsclient with an unknown flag" "$CLI" -no-such-flag
# A target killed by SIGKILL: 128 + 9.
spawn_trace "$T/kill.json" -- "$CLI" -addr "127.0.0.1:$SPORT" -delay 30s >/dev/null
for i in $(seq 1 100); do
	KPID=$(for p in $(pgrep -P "$TRACE_PID"); do
		[ "$(readlink "/proc/$p/exe")" = "$(readlink -f "$CLI")" ] && echo "$p"; done | head -n1)
	[ -n "$KPID" ] && break
	sleep 0.1
done
[ -n "$KPID" ] || fail "the delayed tlsclient did not start"
sleep 1
kill -KILL "$KPID"
trace_status "$T/kill.json"
rc=$?
[ $rc -eq 137 ] || fail "SIGKILLed CMD: tlstap exited $rc, expected 137"
echo "tlsclient killed by SIGKILL: 137"
no_probes_left
echo "PASS"
