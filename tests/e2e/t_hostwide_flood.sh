#!/usr/bin/env bash
# trace --all under a flood of data: process records (exec, the loader's
# activity, exit) have their own ring buffer, read by the control thread, so
# that neither a traced transfer that overflows the data ring buffer nor a
# writer that stalls costs a new program its attach or a held process its
# release.  The flood: 16 KiB writes and their reads as fast as they go.
#  1. --buffer-size 64K, events to a file: while the flood overflows the
#     data ring buffer, 15 fresh copies of the Go client (programs never
#     seen: each held at exec) each make a request; every one is attached,
#     held until live and released, its request (what of it the flood left)
#     on its own connection; data records were lost (ringbuf_drops > 0),
#     process records were not (control_drops = 0).
#  2. Events to a pipe nobody reads: the writer blocks, the queue fills to
#     its bound, the reader stops, the data ring buffer stays full; 15 more
#     fresh clients are still attached and held until live (with process
#     records in the data ring buffer they were lost, and the clients ran
#     unattached).
# No process is left stopped.
source "$(dirname "$0")/lib.sh"
T=$E2E_TMP
go_testdata "" tlsserver-stripped tlsclient-stripped tlsbench-default
N=15
start_go_server "$GO_BIN/tlsserver-stripped"
PORT=$SRV_PORT

# The flood: 16 KiB writes and their reads, traced, until stop_flood.
flood() {
	while [ ! -e "$T/flood.stop" ]; do
		"$GO_BIN/tlsbench-default" -n 5000 -size 16384 >/dev/null 2>&1 || return 1
	done
}
start_flood() {
	rm -f "$T/flood.stop"
	flood &
	FLOOD=$!
	kill_at_exit "$FLOOD"
}
stop_flood() {
	touch "$T/flood.stop"
	wait "$FLOOD" || fail "the flood (tlsbench) failed"
}

# run_clients NAME: N fresh copies of the Go client, NAME-1..N, one request
# each (path /NAME-i), one after the other.
run_clients() {
	local i
	for i in $(seq "$N"); do
		cp "$GO_BIN/tlsclient-stripped" "$T/$1-$i"
		"$T/$1-$i" -addr "127.0.0.1:$PORT" -n 1 -http2=false -path "/$1-$i" \
			>"$T/$1-$i.out" 2>&1 || fail "$1-$i: $(tail -n2 "$T/$1-$i.out")"
	done
}

# check_clients OUT NAME: the tracer of OUT lost data records but no
# process record, attached every NAME-i and held it until live; none is
# left stopped.
check_clients() {
	local drops attached live stopped
	stopped=$(ps -eo pid=,stat=,comm= | awk '$2 ~ /^T/')
	[ -z "$stopped" ] || fail "processes left stopped: $stopped"
	drops=$(trace_counter "$1" ringbuf_drops)
	[ "${drops:-0}" -gt 0 ] || fail "ringbuf_drops=${drops:-?}: the flood overflowed nothing"
	check_counters_zero "$1" control_drops
	attached=$(grep -c "^tlstap: pid [0-9]*: attach $T/$2-[0-9]*: " "$1.err")
	live=$(grep -c "^tlstap: pid [0-9]* ($T/$2-[0-9]*): probes live" "$1.err")
	echo "ringbuf_drops=$drops control_drops=0; $attached of $N new clients attached," \
		"$live held until live"
	[ "$attached" -eq "$N" ] || fail "$attached of $N new clients attached"
	[ "$live" -eq "$N" ] || fail "$live of $N new clients held until live"
}

echo "--- the data ring buffer overflows"
spawn_trace "$T/all" --all --hold-new --buffer-size 64K
wait_for "$T/all.err" "^tlstap: --all: " 1 60
start_flood
sleep 1
run_clients client
stop_flood
sleep 1
stop_trace "$T/all" >/dev/null
check_clients "$T/all" client
# Their requests: data records may be lost in the flood (counted), but
# whatever of a client arrived is attributed to its connection.
py_check "$T/all" "$N" <<'PY'
import sys, events
evs = events.load_events(sys.argv[1])
seen = 0
for i in range(1, int(sys.argv[2]) + 1):
    c = [e for e in evs if b"GET /client-%d " % i in e["data"] and e["dir"] == "write"]
    if any(e["comm"] != "client-%d" % i or e["lport"] is None for e in c):
        sys.exit("/client-%d: %s" % (i, [(e["comm"], e["lport"]) for e in c]))
    seen += bool(c)
print("%d of %s requests arrived through the flood, each on its client's connection" %
      (seen, sys.argv[2]))
if not seen:
    sys.exit("no client request arrived")
PY
[ $? -eq 0 ] || fail "client requests"

echo "--- the writer stalls"
mkfifo "$T/out.fifo"
# The pipe's reader: opens it (so that the tracer's open returns), reads
# nothing until told to.
(
	exec 3<"$T/out.fifo"
	while [ ! -e "$T/drain" ]; do sleep 0.1; done
	cat <&3 >/dev/null
) &
READER=$!
kill_at_exit "$READER"
"$TLSTAP" trace -v --stats --all --hold-new --buffer-size 64K -f json -o "$T/out.fifo" \
	2>"$T/stall.err" &
STALL=$!
kill_at_exit "$STALL"
wait_for "$T/stall.err" "^tlstap: --all: " 1 60
start_flood
# The queue at its bound (1 GiB): the reader waits, the ring buffer fills.
wait_for "$T/stall.err" "^tlstap: stats: .* queued_bytes=1[0-9]\{9\} " 1 180
run_clients stall
stop_flood
touch "$T/drain"
kill -INT "$STALL"
wait "$STALL" || fail "the stalled tracer exited $?: $(tail -n3 "$T/stall.err")"
wait "$READER"
check_clients "$T/stall" stall
check_no_probes_left
echo PASS
