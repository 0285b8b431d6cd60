#!/usr/bin/env bash
# The Go matrix: for every Go version testdata was built with and every
# variant that runs here (default, stripped, pie, cgo; arm64 is covered by the
# resolver's tests), testdata's tlsclient -> tlsserver over HTTP/1.1 and over
# HTTP/2, both sides traced: the server by "tlstap trace -p" (attached after
# it started), each client by "tlstap trace -- CMD" (from its first
# instruction; one run per protocol, several at a time).  All servers are
# traced by one tlstap per Go version.
# Asserts, per request (paths unique per run, sent by HPACK as literals):
#  - the client's write is exactly the request net/http sends (HTTP/1.1), or a
#    HEADERS frame with the path as an HPACK literal (HTTP/2); the server's
#    read contains it; the response "echo PATH" is in the server's write and
#    the client's read;
#  - tuples exact: client lport == the port tlsclient printed (-print-ports,
#    which the server's -v log confirms), rport == server port; the server's
#    mirrored; every event of each trace is its own process's (pid), on its
#    own side of one of these connections, lib go, attribution go-memory, no
#    tuple mismatch; tlstap's exit counters show no drop or mismatch, and it
#    exits with the client's status (0).
# GO_MATRIX_VERSIONS / GO_MATRIX_VARIANTS narrow the matrix (space lists).
source "$(dirname "$0")/lib.sh"
[ -f "$GO_TD/manifest.txt" ] || fail "no Go testdata ($GO_TD/manifest.txt): run make testdata"
T=$E2E_TMP
VERSIONS=${GO_MATRIX_VERSIONS:-$(go_versions)}
VARIANTS=${GO_MATRIX_VARIANTS:-default stripped pie cgo}
[ -n "$VERSIONS" ] || fail "no Go version in $GO_TD/manifest.txt"
NREQ=3
combos=0

COUNTERS=(ringbuf_drops tuple_mismatches map_update_failures multi_fd_calls)

# Every server of the matrix, started untraced, then traced with -p: one
# tlstap per Go version (its four variants' servers), the five in parallel
# (attaching and detaching uprobes mostly waits for the kernel).
COMBOS=()
SPIDS=()
SERVER_TRACES=()
for V in $VERSIONS; do
	args=()
	for VAR in $VARIANTS; do
		go_testdata "$V" "tlsclient-$VAR" "tlsserver-$VAR"
		start_go_server "$GO_BIN/tlsserver-$VAR" -v
		COMBOS+=("$V:$VAR:$SRV_PID:$SRV_PORT:$SRV_OUT:$T/srv-$V.json")
		SPIDS+=("$SRV_PID")
		args+=(-p "$SRV_PID")
	done
	spawn_trace "$T/srv-$V.json" "${args[@]}"
	SERVER_TRACES+=("$T/srv-$V.json")
done
for trace in "${SERVER_TRACES[@]}"; do
	wait_for "$trace.err" "probes in" "$(wc -w <<<"$VARIANTS")" 90
done

# Every client under its own "tlstap trace -- CMD", at most $PAR at a time.
PAR=${GO_MATRIX_PAR:-6}
run_client() { # V VAR PORT MODE
	local V=$1 VAR=$2 PORT=$3 MODE=$4 H2=false CJ
	[ "$MODE" = h2 ] && H2=true
	CJ=$T/cli-$V-$VAR-$MODE.json
	# NREQ asserted requests and a last one that is not: the client exits
	# right after it, and the server's last write racing that close is
	# t_go_close_race.sh's subject, not this matrix's.
	goevents paths "/m$V-$VAR-$MODE-$$" $((NREQ + 1)) >"$CJ.paths"
	TRACE_TIMEOUT=90 run_trace "$CJ" -- "$GO_TD/$V/tlsclient-$VAR" \
		-addr "127.0.0.1:$PORT" -n $((NREQ + 1)) -path "$(cat "$CJ.paths")" -print-ports \
		-http2=$H2 >"$CJ.out"
	echo $? >"$CJ.rc"
}
jobs_=()
for c in "${COMBOS[@]}"; do
	IFS=: read -r V VAR SPID SPORT SOUT SJ <<<"$c"
	for MODE in h1 h2; do
		while :; do
			n=0
			for j in "${jobs_[@]}"; do kill -0 "$j" 2>/dev/null && n=$((n + 1)); done
			[ $n -lt "$PAR" ] && break
			sleep 0.1
		done
		run_client "$V" "$VAR" "$SPORT" $MODE &
		jobs_+=($!)
	done
done
for j in "${jobs_[@]}"; do wait "$j"; done
# Let the servers' last events reach the tracers, then detach them (SIGINT).
sleep 0.5
stop_trace "${SERVER_TRACES[@]}"
for V in $VERSIONS; do
	check_counters_zero "$T/srv-$V.json" "${COUNTERS[@]}"
done
stop_processes "${SPIDS[@]}"
for V in $VERSIONS; do
	allowed=$(for c in "${COMBOS[@]}"; do IFS=: read -r v _ sp _ <<<"$c"; [ "$v" = "$V" ] && echo "$sp"; done | paste -sd,)
	events pids "$T/srv-$V.json" --allowed "$allowed" ||
		fail "go$V: an event in the servers' trace of a pid not traced there"
done

for c in "${COMBOS[@]}"; do
	IFS=: read -r V VAR SPID SPORT SOUT SJ <<<"$c"
	C="go$V/$VAR"
	all=$T/cli-$V-$VAR-h1.json.out,$T/cli-$V-$VAR-h2.json.out
	for MODE in h1 h2; do
		CJ=$T/cli-$V-$VAR-$MODE.json
		rc=$(cat "$CJ.rc")
		[ "$rc" = 0 ] || { cat "$CJ.err" "$CJ.out" >&2; fail "$C $MODE: traced tlsclient: exit $rc"; }
		CPID=$(traced_pid "$CJ")
		[ -n "$CPID" ] || fail "$C $MODE: no client pid in $CJ.err"
		check_counters_zero "$CJ" "${COUNTERS[@]}"
		echo "--- $C $MODE (client pid $CPID, server pid $SPID port $SPORT)"
		goevents pair --mode $MODE --paths "$(cat "$CJ.paths")" --client-json "$CJ" \
			--client-pid "$CPID" --client-log "$CJ.out" --server-json "$SJ" \
			--server-pid "$SPID" --server-port "$SPORT" --server-log "$SOUT" \
			--all-client-logs "$all" || fail "$C $MODE: see above"
	done
	combos=$((combos + 1))
done
echo "PASS: $combos version x variant combinations, HTTP/1.1 and HTTP/2 each, $NREQ requests per run"
