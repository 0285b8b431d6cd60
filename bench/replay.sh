#!/usr/bin/env bash
# Replay throughput on one core (taskset), side by side with the raw NDJSON
# writer on the same capture.  Synthetic captures written by tlstap's own raw
# writer (bench/mkcapture.c): HTTP/1.1 keep-alive (16 connections) and
# HTTP/2 with 100 streams per batch, with small (200-byte) and large
# (256 KiB) response bodies.
#
#  stage:   bench/stagebench.c: the capture in memory, fed to the raw writer
#           ("raw"), to streams + HTTP + the exchange NDJSON writer ("http"),
#           and to streams + HTTP + the summary ("summary"), to /dev/null
#  replay:  the whole command, reader included: tlstap replay -f json
#           (raw) vs tlstap replay --http -f json, to /dev/null
#
# MB/s is plaintext bytes (decoded) per second; medians of BENCH_RUNS runs
# (default 5), with the spread (min..max).  Nothing is asserted.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
dir=$BUILD/bench/captures
CPU=${BENCH_CPU:-1}
mkdir -p "$dir"

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
	[ -s "$dir/$name.ndjson" ] && [ -s "$dir/$name.meta" ] && return 0
	"$BUILD/bench/mkcapture" "$@" >"$dir/$name.ndjson" 2>"$dir/$name.meta"
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

echo "replay throughput, one core (cpu $CPU), $RUNS runs: median (min..max)"
printf '%-9s %-8s %-16s %22s %24s\n' capture stage mode "MB/s plaintext" "exchanges/s"
for c in "${CAPTURES[@]}"; do
	name=${c%%:*}
	# shellcheck disable=SC2086
	capture "$name" ${c#*:}
	read -r _ nx _ bytes <"$dir/$name.meta"
	out=$(taskset -c "$CPU" "$BUILD/bench/stagebench" "$dir/$name.ndjson" "$RUNS")
	for mode in raw http sum; do
		s=$(stats $(echo "$out" | awk -v m="$mode" '$1 == m { print $2 }'))
		label=$mode
		[ "$mode" = raw ] && label="raw-ndjson" || true
		[ "$mode" = http ] && label="streams+http" || true
		[ "$mode" = sum ] && label="streams+summary" || true
		if [ "$mode" = raw ]; then
			printf '%-9s %-8s %-16s %22s %24s\n' "$name" stage "$label" "$(rate "$bytes" "$s" 1e6)" "-"
		else
			printf '%-9s %-8s %-16s %22s %24s\n' "$name" stage "$label" "$(rate "$bytes" "$s" 1e6)" \
				"$(rate "$nx" "$s" 1)"
		fi
	done
	raw=() http=()
	for r in $(seq "$RUNS"); do
		raw+=("$(time_replay -f json -o /dev/null "$dir/$name.ndjson")")
		http+=("$(time_replay --http -f json -o /dev/null "$dir/$name.ndjson")")
	done
	s=$(stats "${raw[@]}")
	printf '%-9s %-8s %-16s %22s %24s\n' "$name" replay "raw -f json" "$(rate "$bytes" "$s" 1e6)" "-"
	s=$(stats "${http[@]}")
	printf '%-9s %-8s %-16s %22s %24s\n' "$name" replay "--http -f json" "$(rate "$bytes" "$s" 1e6)" \
		"$(rate "$nx" "$s" 1)"
done
