# Helpers for the benchmarks (sourced).  Benchmarks print ratios measured
# side by side in one run; runs of the modes are interleaved so that a noisy
# machine biases none of them.  Nothing here is a test: nothing is asserted.
set -u
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
