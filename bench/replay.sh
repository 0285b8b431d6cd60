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

echo "replay throughput, one core (cpu $CPU), $RUNS runs: median (min..max)"
printf '%-9s %-8s %-16s %22s %24s\n' capture stage mode "MB/s plaintext" "exchanges/s"
one_capture() { # NAME EXCHANGES PLAINTEXT_BYTES
	local name=$1 nx=$2 bytes=$3 out s label mode r raw=() http=()
	out=$(taskset -c "$CPU" "$BUILD/bench/stagebench" "$CAPDIR/$name.ndjson" "$RUNS")
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
	for r in $(seq "$RUNS"); do
		raw+=("$(time_replay -f json -o /dev/null "$CAPDIR/$name.ndjson")")
		http+=("$(time_replay --http -f json -o /dev/null "$CAPDIR/$name.ndjson")")
	done
	s=$(stats "${raw[@]}")
	printf '%-9s %-8s %-16s %22s %24s\n' "$name" replay "raw -f json" "$(rate "$bytes" "$s" 1e6)" "-"
	s=$(stats "${http[@]}")
	printf '%-9s %-8s %-16s %22s %24s\n' "$name" replay "--http -f json" "$(rate "$bytes" "$s" 1e6)" \
		"$(rate "$nx" "$s" 1)"
}
for_captures one_capture
