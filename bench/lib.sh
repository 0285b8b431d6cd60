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
