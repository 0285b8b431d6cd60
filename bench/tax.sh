#!/usr/bin/env bash
# The host tax of tracing: what a tracer costs the processes it does NOT
# trace.  Two untraced workloads, each measured
#   untraced;
#   while "tlstap trace -p" traces another, idle process holding one TLS
#   connection to a local nginx: a python3 ssl client reading a response
#   that nginx sends at 64 bytes/s (its SSL_read is parked on the socket
#   all the time, a call in flight: the socket tracepoints then do their
#   per-thread lookup for every socket I/O of the host), or a Go client
#   (testdata tlsclient, one keep-alive request a second: its reader
#   goroutine is parked in (*Conn).Read);
#   while "tlstap trace --all" traces the whole host (these idle clients
#   included).
# The workloads:
#   dd if=/dev/zero of=/dev/null bs=1: syscalls that are no socket I/O
#   (target: within noise);
#   bench/pingpong: plaintext TCP round trips over loopback between two
#   processes, two sends and two receives each, every one of which fires
#   the socket tracepoints (target: <= 5%).
# With BASELINE_TLSTAP (an older tlstap binary), its -p python and --all
# modes run too, side by side.  Both workloads pinned to one CPU (BENCH_CPU,
# default 1).  Runs interleaved (every
# mode once per round, BENCH_RUNS rounds, default 7); median and spread
# (min..max), ratio of medians to untraced.  Nothing is asserted.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
RUNS=${BENCH_RUNS:-7}
ROUNDS=${BENCH_ROUNDS:-200000}
DD_COUNT=${BENCH_DD_COUNT:-3000000}
GOCLIENT=$BUILD/testdata/go/$GOV/tlsclient-default
PINGPONG=$BUILD/bench/pingpong
PYTHON3=/usr/bin/python3
# After attach: the idle clients' next TLS call starts under the tracer
# (they make one every second), the one in flight at attach has no entry.
SETTLE=${BENCH_SETTLE:-1.5}

live_setup
for f in "$GOCLIENT" "$PINGPONG"; do
	[ -x "$f" ] || { echo "$0: $f missing: make testdata $PINGPONG" >&2; exit 1; }
done

# The idle clients' server: /small.txt for the Go client, /slow.txt sent at
# 64 bytes/s (1 MiB: hours) for the python one.
mkdir -p "$LIVE_TMP/www"
echo hello >"$LIVE_TMP/www/small.txt"
head -c $((1 << 20)) /dev/zero | tr '\0' x >"$LIVE_TMP/www/slow.txt"
PORT=$(free_port)
bench_nginx "$PORT" "$LIVE_TMP/www" "location = /slow.txt { limit_rate 64; }"

cat >"$LIVE_TMP/slow_client.py" <<'PY'
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))))
s.sendall(b"GET /slow.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
print("connected", flush=True)
while s.recv(65536):
    pass
PY
"$PYTHON3" "$LIVE_TMP/slow_client.py" "$PORT" >"$LIVE_TMP/py.out" 2>&1 &
PYPID=$!
LIVE_PIDS+=("$PYPID")
"$GOCLIENT" -addr "127.0.0.1:$PORT" -path /small.txt -http2=false -n 1000000 -interval 1s -q \
	>"$LIVE_TMP/go.out" 2>&1 &
GOPID=$!
LIVE_PIDS+=("$GOPID")
wait_file "$LIVE_TMP/py.out" connected
sleep 1

MODES=(untraced pid-python pid-go all)
declare -A LABEL=(
	[untraced]="untraced"
	[pid-python]="-p python (SSL_read parked)"
	[pid-go]="-p Go client (Read parked)"
	[all]="--all"
	[base-pid-python]="baseline -p python"
	[base-all]="baseline --all"
)
[ -z "${BASELINE_TLSTAP:-}" ] || MODES+=(base-pid-python base-all)

# one MODE: start MODE's tracer, run both workloads, stop it; appends the
# dd milliseconds and the round trip's ns to $LIVE_TMP/MODE.{dd,rtt}.
one() {
	local mode=$1 out
	case $mode in
	untraced) ;;
	pid-python) tracer "$LIVE_TMP/tracer.err" -o /dev/null -p "$PYPID" ;;
	pid-go) tracer "$LIVE_TMP/tracer.err" -o /dev/null -p "$GOPID" ;;
	all) tracer "$LIVE_TMP/tracer.err" -o /dev/null --all ;;
	base-pid-python)
		TRACER_BIN=$BASELINE_TLSTAP tracer "$LIVE_TMP/tracer.err" -o /dev/null -p "$PYPID" ;;
	base-all) TRACER_BIN=$BASELINE_TLSTAP tracer "$LIVE_TMP/tracer.err" -o /dev/null --all ;;
	esac
	[ "$mode" = untraced ] || sleep "$SETTLE"
	out=$(taskset -c "$CPU" dd if=/dev/zero of=/dev/null bs=1 count="$DD_COUNT" 2>&1)
	sed -n 's/.* copied, \([0-9.]*\) s,.*/\1/p' <<<"$out" |
		awk '{ printf "%.0f\n", $1 * 1000 }' >>"$LIVE_TMP/$mode.dd"
	taskset -c "$CPU" "$PINGPONG" "$ROUNDS" 64 | sed -n 's/^rtt_ns=//p' >>"$LIVE_TMP/$mode.rtt"
	[ "$mode" = untraced ] || tracer_stop
}

load=$(wait_quiet)
echo "Host tax of tracing (untraced workloads on cpu $CPU): $(uname -r), $(nproc) cores,"
echo "load $load at start; $RUNS rounds interleaved, median (min..max)"
for r in $(seq "$RUNS"); do
	for m in "${MODES[@]}"; do
		one "$m"
	done
done
base_dd=$(median <"$LIVE_TMP/untraced.dd")
base_rtt=$(median <"$LIVE_TMP/untraced.rtt")
printf '  %-30s %22s %6s %24s %6s\n' mode "dd bs=1 $DD_COUNT ms" ratio \
	"pingpong rtt ns" ratio
for m in "${MODES[@]}"; do
	dd_ms=$(median <"$LIVE_TMP/$m.dd")
	rtt=$(median <"$LIVE_TMP/$m.rtt")
	printf '  %-30s %22s %6s %24s %6s\n' "${LABEL[$m]}" \
		"$(spread $(cat "$LIVE_TMP/$m.dd"))" "$(ratio3 "$dd_ms" "$base_dd")" \
		"$(spread $(cat "$LIVE_TMP/$m.rtt"))" "$(ratio3 "$rtt" "$base_rtt")"
done
echo "(load $(cut -d' ' -f1 /proc/loadavg) at the end)"
