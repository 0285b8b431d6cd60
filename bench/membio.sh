#!/usr/bin/env bash
# The cost of memory-BIO attribution (ciphertext matching, bpf/membio.bpf.c
# and the socket tracepoints' record walk).
#  1. A memory-BIO process, untraced and traced: testdata's asyncio_pair.py
#     (Python asyncio, ssl.MemoryBIO) and https_pair.js (Node), each an
#     HTTPS/TLS server and its client on one keep-alive connection in one
#     process.  20 requests first (tlstap sees the process uses memory BIOs
#     and attaches its ciphertext probes), then BENCH_MEMBIO_REQUESTS
#     (default 3000) timed by the program itself: ns per request (four TLS
#     calls: a write and a read on each side).
#  2. An OpenSSL client on a socket BIO (testdata ssl_bench, per-call cost
#     of SSL_write and of a write+read ping-pong) in the SAME tracer as the
#     memory-BIO process: once before that process's ciphertext probes
#     exist, once after (then every socket I/O of the host looks up whether
#     its process is a memory-BIO one), and untraced.
# Runs interleaved (an untraced round, a traced round; BENCH_RUNS of each,
# default 7): median (min..max) and the ratio of medians.  Nothing is
# asserted.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
RUNS=${BENCH_RUNS:-7}
REQUESTS=${BENCH_MEMBIO_REQUESTS:-3000}
PYTHON3=/usr/bin/python3
REPO=$(cd "$(dirname "$0")/.." && pwd)

live_setup
PAIRS=(asyncio)
command -v node >/dev/null && PAIRS+=(node)

# gated NAME CMD...: CMD in the background, its stdin a fifo held open here
# (gate NAME sends it a line), its output in $LIVE_TMP/NAME.out; GATED_PID.
declare -A GATE_FD
gated() {
	local name=$1 fd
	shift
	rm -f "$LIVE_TMP/$name.in" "$LIVE_TMP/$name.out"
	mkfifo "$LIVE_TMP/$name.in"
	exec {fd}<>"$LIVE_TMP/$name.in"
	GATE_FD[$name]=$fd
	"$@" <"$LIVE_TMP/$name.in" >"$LIVE_TMP/$name.out" 2>&1 &
	GATED_PID=$!
	LIVE_PIDS+=("$GATED_PID")
}

gate() {
	echo go >&"${GATE_FD[$1]}"
}

# ungate NAME PID [kill]: wait for the program to end (or end it: Node
# waits for its stdin, which other children hold open too), close its fifo.
ungate() {
	local fd=${GATE_FD[$1]}
	if [ -n "${3:-}" ]; then
		kill "$2" 2>/dev/null || true
		wait "$2" || true
	else
		wait "$2" || { echo "$0: $1 failed: $(tail -n3 "$LIVE_TMP/$1.out")" >&2; exit 1; }
	fi
	exec {fd}>&-
}

# pair KIND: start a *_pair program of KIND, its phases gated; PAIR_PID
# (the program itself: python3 or node).
pair() {
	local cmd
	case $1 in
	asyncio) cmd=("$PYTHON3" "$REPO/testdata/py/asyncio_pair.py") ;;
	node) cmd=(node "$REPO/testdata/js/https_pair.js") ;;
	esac
	gated "$1" "${cmd[@]}" --cert "$LIVE_TMP/cert.pem" --key "$LIVE_TMP/key.pem" --conns 1 \
		--phases "0,20,$REQUESTS" --wait-stdin --timing
	PAIR_PID=$GATED_PID
	wait_file "$LIVE_TMP/$1.out" "^waiting 1" 30
}

# sslbench NAME: a gated ssl_bench, connected and waiting; SSL_PID.
sslbench() {
	gated "$1" "$SSLBENCH" "$LIVE_TMP/cert.pem" "$LIVE_TMP/key.pem" "$CALLS" 100 wait
	SSL_PID=$GATED_PID
	wait_file "$LIVE_TMP/$1.out" "^ready" 30
}

# sslbench_run NAME PID FILE: let it measure, append "write_ns pingpong_ns" to FILE.
sslbench_run() {
	gate "$1"
	ungate "$1" "$2"
	sed -n 's/^write_ns=\([0-9]*\) pingpong_ns=\([0-9]*\)$/\1 \2/p' "$LIVE_TMP/$1.out" >>"$3"
}

# pair_run KIND PID FILE: the warm-up phase, [a hook,] the timed phase; ns
# per request to FILE.  PAIR_HOOK (a function) runs between the two.
pair_run() {
	gate "$1"
	wait_file "$LIVE_TMP/$1.out" "^waiting 2" 60
	[ -z "${PAIR_HOOK:-}" ] || "$PAIR_HOOK"
	gate "$1"
	wait_file "$LIVE_TMP/$1.out" "^done" 300
	ungate "$1" "$2" kill
	sed -n 's/^phase 2 requests \([0-9]*\) ns \([0-9]*\)$/\1 \2/p' "$LIVE_TMP/$1.out" |
		awk '{ printf "%.0f\n", $2 / $1 }' >>"$3"
}

untraced_round() { # KIND
	pair "$1"
	pair_run "$1" "$PAIR_PID" "$LIVE_TMP/$1.pair.untraced"
	sslbench ssl-u
	sslbench_run ssl-u "$SSL_PID" "$LIVE_TMP/$1.ssl.untraced"
}

# A traced round: one tracer for the pair and two ssl_bench processes, the
# first measured before the pair's ciphertext probes exist, the second after.
traced_round() { # KIND
	local kind=$1 ppid a b
	pair "$kind"
	ppid=$PAIR_PID
	sslbench ssl-a
	a=$SSL_PID
	sslbench ssl-b
	b=$SSL_PID
	tracer "$LIVE_TMP/tracer.err" -o /dev/null -p "$ppid" -p "$a" -p "$b"
	sslbench_run ssl-a "$a" "$LIVE_TMP/$kind.ssl.before"
	after_probes() {
		wait_file "$LIVE_TMP/tracer.err" "uses memory BIOs" 20
		sslbench_run ssl-b "$b" "$LIVE_TMP/$kind.ssl.after"
	}
	PAIR_HOOK=after_probes pair_run "$kind" "$ppid" "$LIVE_TMP/$kind.pair.traced"
	tracer_stop
}

load=$(wait_quiet)
echo "Memory-BIO attribution costs: $(uname -r), $(nproc) cores, load $load"
echo "$RUNS rounds interleaved, median (min..max)"
for r in $(seq "$RUNS"); do
	for kind in "${PAIRS[@]}"; do
		untraced_round "$kind"
		traced_round "$kind"
	done
done

declare -A WHAT=([asyncio]="Python asyncio (asyncio_pair.py)" [node]="Node https (https_pair.js)")
printf '\nA memory-BIO process: %s requests on one connection, ns per request\n' "$REQUESTS"
printf '  %-34s %22s %22s %7s\n' program untraced traced ratio
for kind in "${PAIRS[@]}"; do
	u=$(median <"$LIVE_TMP/$kind.pair.untraced")
	t=$(median <"$LIVE_TMP/$kind.pair.traced")
	printf '  %-34s %22s %22s %7s\n' "${WHAT[$kind]}" \
		"$(spread $(cat "$LIVE_TMP/$kind.pair.untraced"))" \
		"$(spread $(cat "$LIVE_TMP/$kind.pair.traced"))" "$(ratio "$t" "$u")"
done

printf '\nAn OpenSSL socket-BIO client (ssl_bench, %d calls of 100 bytes) next to it\n' "$CALLS"
printf '  %-44s %22s %6s %24s %6s\n' mode "write ns" ratio "pingpong ns" ratio
for kind in "${PAIRS[@]}"; do
	bw=$(awk '{ print $1 }' "$LIVE_TMP/$kind.ssl.untraced" | median)
	bp=$(awk '{ print $2 }' "$LIVE_TMP/$kind.ssl.untraced" | median)
	for m in untraced before after; do
		case $m in
		untraced) label="untraced ($kind round)" ;;
		before) label="traced, before $kind's memory-BIO probes" ;;
		after) label="traced, after $kind's memory-BIO probes" ;;
		esac
		f=$LIVE_TMP/$kind.ssl.$m
		printf '  %-44s %22s %6s %24s %6s\n' "$label" \
			"$(spread $(awk '{ print $1 }' "$f"))" \
			"$(ratio "$(awk '{ print $1 }' "$f" | median)" "$bw")" \
			"$(spread $(awk '{ print $2 }' "$f"))" \
			"$(ratio "$(awk '{ print $2 }' "$f" | median)" "$bp")"
	done
done
