#!/usr/bin/env bash
# Tracing leaves no trace: a Go program's output is byte-identical traced and
# untraced; SIGINT and SIGTERM both detach (exit 0, the target's code is the
# file's again, no BPF program of the tracer left, the target keeps serving);
# a target that exits while traced ends that pid's trace and a tracer of two
# pids keeps tracing the other; one whose only target exits ends by itself;
# "tlstap trace -- CMD" exits with CMD's status (0, 1, 2, and 128+9 for a
# SIGKILL).
source "$(dirname "$0")/lib.sh"
[ -x "$TLSTAP" ] || fail "$TLSTAP not built"
T=$E2E_TMP
V=${GO_CLEAN_VERSION:-$(go_versions | tail -n1)}
[ -n "$V" ] || fail "no Go testdata ($GO_TD/manifest.txt): run make testdata"
SRV=$GO_TD/$V/tlsserver-default
CLI=$GO_TD/$V/tlsclient-default
[ -x "$SRV" ] && [ -x "$CLI" ] || fail "missing $SRV or $CLI (make testdata)"
TRACERS=()

# The tracer's programs gone, and no uprobe on our binaries left.
no_probes_left() {
	check_no_probes_left_shared "${TRACERS[@]}"
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
	"$TLSTAP" trace -v -f json -o "$T/cli-$h2.json" -- "$CLI" "${args[@]}" >"$T/traced-$h2.out" \
		2>"$T/cli-$h2.json.err"
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
	start_trace_all "$T/sig-$sig.json" -p "$SPID"
	goevents text "$SPID" "$SRV" --expect-probes || fail "no probe visible in the traced server"
	"$CLI" -addr "127.0.0.1:$SPORT" -n 2 -path "/sig-$sig" -http2=false -q || fail "request while traced"
	sleep 0.3
	kill -"$sig" "$TRACE_PID"
	wait "$TRACE_PID"
	rc=$?
	TRACERS+=("$TRACE_PID")
	[ $rc -eq 0 ] || { cat "$T/sig-$sig.json.err" >&2; fail "SIG$sig: tlstap exited $rc"; }
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
start_trace_all "$T/exit.json" -p "$APID" -p "$BPID"
"$CLI" -addr "127.0.0.1:$APORT" -n 2 -path /exit-a -http2=false -q || fail "requests to A"
# A exits after its 2nd request (-max-requests): the tracer must see that.
for i in $(seq 1 100); do kill -0 "$APID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$APID" 2>/dev/null && fail "server A did not exit"
wait_for "$T/exit.json.err" "pid $APID exited"
kill -0 "$TRACE_PID" || fail "tlstap ended when one of its two targets exited"
"$CLI" -addr "127.0.0.1:$BPORT" -n 3 -path /exit-b-after -http2=false -q || fail "requests to B"
sleep 0.3
kill -INT "$TRACE_PID"
wait "$TRACE_PID" || fail "tlstap -p A -p B: exit $?"
TRACERS+=("$TRACE_PID")
events stream "$T/exit.json" --pid "$APID" --dir read | grep -q "GET /exit-a" ||
	fail "A's requests missing"
n=$(events stream "$T/exit.json" --pid "$BPID" --dir read | grep -c "GET /exit-b-after")
[ "$n" -eq 3 ] || fail "B after A exited: $n of 3 requests traced"
events pids "$T/exit.json" --allowed "$APID,$BPID" || fail "foreign pid"
echo "B traced after A exited: $n of 3 requests"
# The only target exits: the tracer ends by itself, exit 0.
start_go_server "$SRV" -max-requests 1
CPID=$SRV_PID CPORT=$SRV_PORT
start_trace_all "$T/exit1.json" -p "$CPID"
"$CLI" -addr "127.0.0.1:$CPORT" -n 1 -path /exit-c -http2=false -q || fail "request to C"
for i in $(seq 1 150); do kill -0 "$TRACE_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$TRACE_PID" 2>/dev/null && fail "tlstap still runs 15 s after its only target exited"
wait "$TRACE_PID" || fail "tlstap -p C (exited): exit $?"
TRACERS+=("$TRACE_PID")
events stream "$T/exit1.json" --pid "$CPID" --dir read | grep -q "GET /exit-c" ||
	fail "C's request missing"
no_probes_left
echo "single target exited: tlstap ended by itself with 0"

echo "--- 4. -- CMD exit status is CMD's"
CLOSED=$(free_port)
expect_status() { # WANT WHAT CMD...
	local want=$1 what=$2 rc
	shift 2
	"$TLSTAP" trace -f json -o "$T/st.json" -- "$@" >/dev/null 2>"$T/st.err"
	rc=$?
	[ $rc -eq "$want" ] || { cat "$T/st.err" >&2; fail "$what: tlstap exited $rc, expected $want"; }
	echo "$what: $rc"
}
expect_status 0 "tlsclient ok" "$CLI" -addr "127.0.0.1:$SPORT" -n 1 -q
expect_status 1 "tlsclient to a closed port (log.Fatal)" "$CLI" -addr "127.0.0.1:$CLOSED" -n 1 -q
expect_status 2 "tlsclient with an unknown flag" "$CLI" -no-such-flag
# A target killed by SIGKILL: 128 + 9.
( "$TLSTAP" trace -f json -o "$T/kill.json" -- "$CLI" -addr "127.0.0.1:$SPORT" -delay 30s \
	>/dev/null 2>"$T/kill.err"; echo $? >"$T/kill.rc" ) &
KSH=$!
for i in $(seq 1 100); do
	KPID=$(pgrep -f -- "-addr 127.0.0.1:$SPORT -delay 30s" | while read -r p; do
		[ "$(readlink "/proc/$p/exe")" = "$(readlink -f "$CLI")" ] && echo "$p"; done | head -n1)
	[ -n "$KPID" ] && break
	sleep 0.1
done
[ -n "$KPID" ] || fail "the delayed tlsclient did not start"
sleep 1
kill -KILL "$KPID"
wait "$KSH"
[ "$(cat "$T/kill.rc")" = 137 ] || fail "SIGKILLed CMD: tlstap exited $(cat "$T/kill.rc"), expected 137"
echo "tlsclient killed by SIGKILL: 137"
no_probes_left
echo "PASS"
