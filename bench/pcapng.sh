#!/usr/bin/env bash
# The pcapng writer (-w) next to the raw NDJSON writer (-f json), one core
# (taskset), on the synthetic captures of replay.sh (bench/mkcapture.c).
#
#  stage:   bench/stagebench.c: the capture in memory, fed to the raw NDJSON
#           writer ("raw") and to the pipeline with -w alone: streams, the
#           HTTP decoders (which give the roles for the handshake) and the
#           pcapng writer ("pcap"), to /dev/null
#  replay:  the whole command, reader included: tlstap replay -f json -o
#           /dev/null vs tlstap replay -w - >/dev/null
#
# MB/s is plaintext bytes per second; medians of BENCH_RUNS runs (default
# 5) with the spread (min..max); "out/plain" is the bytes written per byte
# of plaintext.  Nothing is asserted.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

echo "pcapng writer vs NDJSON writer, one core (cpu $CPU), $RUNS runs: median (min..max)"
printf '%-9s %-8s %-16s %22s %10s\n' capture stage mode "MB/s plaintext" "out/plain"
one_capture() { # NAME EXCHANGES PLAINTEXT_BYTES
	local name=$1 bytes=$3 out s ob label mode r raw=() pcap=()
	out=$(taskset -c "$CPU" "$BUILD/bench/stagebench" "$CAPDIR/$name.ndjson" "$RUNS" raw,pcap)
	for mode in raw pcap; do
		s=$(stats $(echo "$out" | awk -v m="$mode" '$1 == m { print $2 }'))
		ob=$(echo "$out" | awk -v m="$mode" '$1 == m { print $4; exit }')
		label=raw-ndjson
		[ "$mode" = pcap ] && label="streams+pcapng" || true
		printf '%-9s %-8s %-16s %22s %10s\n' "$name" stage "$label" \
			"$(rate "$bytes" "$s" 1e6)" "$(ratio "$ob" "$bytes")"
	done
	for r in $(seq "$RUNS"); do
		raw+=("$(time_replay -f json -o /dev/null "$CAPDIR/$name.ndjson")")
		pcap+=("$(time_replay -w - "$CAPDIR/$name.ndjson")")
	done
	printf '%-9s %-8s %-16s %22s\n' "$name" replay "-f json" \
		"$(rate "$bytes" "$(stats "${raw[@]}")" 1e6)"
	printf '%-9s %-8s %-16s %22s\n' "$name" replay "-w -" \
		"$(rate "$bytes" "$(stats "${pcap[@]}")" 1e6)"
}
for_captures one_capture
