# Helpers for the benchmarks (sourced).  Benchmarks print ratios measured
# side by side in one run; runs of the modes are interleaved so that a noisy
# machine biases none of them.  Nothing here is a test: nothing is asserted.
set -u
source "$(dirname "${BASH_SOURCE[0]}")/../tests/e2e/nginx_conf.sh"
BUILD=${BUILD:-build}
TLSTAP=${TLSTAP:-$BUILD/tlstap}
RUNS=${BENCH_RUNS:-5}

median() {
	sort -n | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "nan" }'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }'
}

# --- replayed captures (replay.sh, pcapng.sh) -----------------------------------

CPU=${BENCH_CPU:-1}
# The per-call benchmarks: calls per run, the Go version of the testdata
# programs, tlsbench of that version and ssl_bench.
CALLS=${BENCH_CALLS:-20000}
GOV=${BENCH_GO:-1.22}
GOBENCH=$BUILD/testdata/go/$GOV/tlsbench-default
SSLBENCH=$BUILD/testdata/c/ssl_bench
CAPDIR=$BUILD/bench/captures
mkdir -p "$CAPDIR"

# name: mkcapture arguments
CAPTURES=(
	"h1-small:h1 100000 200 16"
	"h2-small:h2 100000 200 100"
	"h1-large:h1 400 262144 4"
	"h2-large:h2 400 262144 10"
)

capture() { # NAME ARGS...: build/bench/captures/NAME.ndjson (+ .meta)
	local name=$1
	shift
	[ -s "$CAPDIR/$name.ndjson" ] && [ -s "$CAPDIR/$name.meta" ] && return 0
	"$BUILD/bench/mkcapture" "$@" >"$CAPDIR/$name.ndjson" 2>"$CAPDIR/$name.meta"
}

# for_captures FN: FN NAME EXCHANGES PLAINTEXT_BYTES for each capture, built
# if missing.
for_captures() {
	local c name nx bytes
	for c in "${CAPTURES[@]}"; do
		name=${c%%:*}
		# shellcheck disable=SC2086
		capture "$name" ${c#*:}
		read -r _ nx _ bytes <"$CAPDIR/$name.meta"
		"$1" "$name" "$nx" "$bytes"
	done
}

# stats SAMPLES...: "median min max"
stats() {
	printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { printf "%s %s %s", a[int((NR + 1) / 2)], a[1], a[NR] }'
}

# rate BYTES_OR_COUNT "median min max" SCALE: "median (min..max)" per second
rate() {
	awk -v n="$1" -v s="$2" -v k="$3" 'BEGIN { split(s, t, " ");
		printf "%8.0f (%.0f..%.0f)", n / t[1] / k, n / t[3] / k, n / t[2] / k }'
}

time_replay() { # ARGS...: seconds of one run
	local s e
	s=$(date +%s.%N)
	taskset -c "$CPU" "$TLSTAP" replay "$@" >/dev/null 2>&1
	e=$(date +%s.%N)
	awk -v s="$s" -v e="$e" 'BEGIN { printf "%.6f\n", e - s }'
}

# --- live tracing (tax.sh, throughput.sh, membio.sh; root) ----------------------
# Everything a live benchmark starts is in LIVE_PIDS and killed at its exit
# (tracers first, with SIGINT, so that they detach); its files are in
# LIVE_TMP, under build/ (a traced download writes hundreds of MB).

LIVE_PIDS=()
LIVE_TRACERS=()

# mine PID...: those still children of this script (a reaped pid may be
# another's now).
mine() {
	local p
	for p; do
		[ "$(ps -o ppid= -p "$p" 2>/dev/null | tr -d ' ')" != "$$" ] || echo "$p"
	done
}

live_cleanup() {
	local p tracers others
	tracers=$(mine "${LIVE_TRACERS[@]}")
	for p in $tracers; do
		kill -INT "$p" 2>/dev/null || true
	done
	for p in $tracers; do
		timeout 10 tail --pid="$p" -f /dev/null 2>/dev/null || kill -9 "$p" 2>/dev/null || true
	done
	others=$(mine "${LIVE_PIDS[@]}")
	for p in $others; do
		kill "$p" 2>/dev/null || true
	done
	sleep 0.2
	for p in $(mine $others); do
		kill -9 "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$LIVE_TMP"
}

# live_setup: LIVE_TMP, the cleanup at exit, and a certificate
# ($LIVE_TMP/cert.pem, key.pem for 127.0.0.1).
live_setup() {
	[ "$(id -u)" -eq 0 ] || { echo "$0: needs root (tracing)" >&2; exit 1; }
	mkdir -p "$BUILD/bench"
	LIVE_TMP=$(realpath "$(mktemp -d "$BUILD/bench/live.XXXXXX")")
	trap live_cleanup EXIT
	trap 'exit 130' INT TERM
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$LIVE_TMP/key.pem" \
		-out "$LIVE_TMP/cert.pem" -days 1 -subj /CN=localhost \
		-addext subjectAltName=IP:127.0.0.1,DNS:localhost >/dev/null 2>&1
}

# wait_quiet: wait (60 s at a time, ~10 min at most) until the host's
# 1-minute load is at most BENCH_MAX_LOAD (1.0): another job's load would
# distort the figures.  Prints the load the series starts under.
wait_quiet() {
	local i load
	for i in $(seq 0 10); do
		load=$(cut -d' ' -f1 /proc/loadavg)
		awk -v l="$load" -v m="${BENCH_MAX_LOAD:-1.0}" 'BEGIN { exit !(l <= m) }' && break
		if [ "$i" -eq 10 ]; then
			echo "(load still $load after 10 minutes: measuring anyway)" >&2
			break
		fi
		echo "(load $load > ${BENCH_MAX_LOAD:-1.0}: waiting 60 s)" >&2
		sleep 60
	done
	echo "$load"
}

# free_port: a free TCP port of 127.0.0.1.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_file FILE PATTERN [SECS]: wait (default 20 s) for a line of FILE
# matching PATTERN; status 1 if none came.
wait_file() {
	local i
	for i in $(seq $((${3:-20} * 10))); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "$0: no '$2' in $1 after ${3:-20} s: $(tail -n3 "$1" 2>/dev/null)" >&2
	return 1
}

# bench_nginx PORT ROOT [LOCATIONS]: nginx, one process, TLS on
# 127.0.0.1:PORT, serving ROOT (no sendfile: every byte goes through
# SSL_write); LOCATIONS are more location blocks.  NGINX_PID.
bench_nginx() {
	local port=$1 root=$2 d=$LIVE_TMP/nginx-$1
	nginx_conf "$d" off 1 "keepalive_timeout 3600s;" "listen 127.0.0.1:$port ssl;
		ssl_certificate $LIVE_TMP/cert.pem;
		ssl_certificate_key $LIVE_TMP/key.pem;
		root $root;
		default_type application/octet-stream;
		${3:-}"
	nginx -p "$d" -c "$d/nginx.conf" -e "$d/logs/error.log" </dev/null >"$d/out" 2>&1 &
	NGINX_PID=$!
	LIVE_PIDS+=("$NGINX_PID")
	local i
	for i in $(seq 100); do
		ss -ltnH "( sport = :$port )" | grep -q . && return 0
		sleep 0.1
	done
	echo "$0: nginx does not listen on $port: $(cat "$d/out")" >&2
	return 1
}

# tracer ERRFILE ARGS...: "tlstap trace -v ARGS" in the background, its
# stderr in ERRFILE; returns once it is attached (each -p target's probes,
# or --all's first scan).  TRACER_PID.
tracer() { # ERR ARGS...: a tracer (TRACER_BIN, default TLSTAP) that has attached
	local err=$1 want="probes in" n=0 a i
	shift
	for a; do
		[ "$a" = -p ] && n=$((n + 1))
		[ "$a" = --all ] && want="^tlstap: --all: "
	done
	[ "$n" -gt 0 ] || n=1
	"${TRACER_BIN:-$TLSTAP}" trace -v "$@" 2>"$err" &
	TRACER_PID=$!
	LIVE_TRACERS+=("$TRACER_PID")
	for i in $(seq 300); do
		[ "$(grep -c -- "$want" "$err" 2>/dev/null)" -ge "$n" ] && return 0
		kill -0 "$TRACER_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "$0: tlstap did not attach: $(tail -n3 "$err")" >&2
	return 1
}

# tracer_stop: SIGINT the tracer (it detaches and prints its counters), wait.
tracer_stop() {
	kill -INT "$TRACER_PID" 2>/dev/null || true
	wait "$TRACER_PID" || true
}

# counter ERRFILE NAME: counter NAME of the exit line tlstap wrote to ERRFILE.
counter() {
	sed -n 's/.*[ :]'"$2"'=\([0-9]*\).*/\1/p' "$1" | tail -n1
}

# spread SAMPLES...: "median (min..max)", integers.
spread() {
	stats "$@" | awk '{ printf "%.0f (%.0f..%.0f)", $1, $2, $3 }'
}

# ratio3 A B: A / B with three decimals (a few per cent are the point).
ratio3() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "nan" }'
}
