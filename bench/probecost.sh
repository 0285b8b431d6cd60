#!/usr/bin/env bash
# What a uprobe costs by the instruction under it, on Go crypto/tls
# (*Conn).Write in testdata tlsbench: an empty BPF program (bench/probecost.c)
# at the function's first instruction (what a probe by symbol gets, e.g. a
# bpftrace one-liner; single-stepped), at the first prologue instruction the
# kernel emulates (where tlstap puts its entry probe), and at every RET
# (single-stepped: where a Go call's end can be seen without a uretprobe).
# Interleaved rounds (BENCH_RUNS, default 7): median (min..max) ns per Write
# (tlsbench's write_ns, which includes the peer goroutine's Read, unprobed
# here) and the added ns over no probe.  Run as root: make bench.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
RUNS=${BENCH_RUNS:-7}
PROBECOST=$BUILD/bench/probecost
FUNC='crypto/tls.(*Conn).Write'

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$TLSTAP" resolve "$GOBENCH" >"$tmp/resolve"
# The function's block of the resolve report: its entry, its first emulated
# prologue instruction ("E") and its RET sites, as file offsets.
read -r ENTRY EMULATED RETS < <(awk -v f="$FUNC" '
	$1 == f { on = 1; next }
	on && /^  [^ ]/ { on = 0 }
	on && $1 == "entry" { entry = $5 }
	on && /returns \(file offsets\):/ { sub(/.*: /, ""); rets = $0; gsub(/ /, ",", rets) }
	on && $2 == "E" && !emu { emu = $1 }
	END { print entry, emu, rets }' "$tmp/resolve")
[ -n "$ENTRY" ] && [ -n "$EMULATED" ] && [ -n "$RETS" ] ||
	{ echo "probecost: $FUNC not found in the resolve report of $GOBENCH" >&2; exit 1; }

run() { # MODE: write_ns of one run
	local offs
	case $1 in
	none) offs=() ;;
	entry) offs=("$ENTRY") ;;
	emulated) offs=("$EMULATED") ;;
	rets) IFS=, read -r -a offs <<<"$RETS" ;;
	esac
	"$PROBECOST" "$GOBENCH" "${offs[@]}" -- taskset -c "$CPU" "$GOBENCH" -n "$CALLS" |
		sed -n 's/.*write_ns=\([0-9]*\).*/\1/p'
}

modes=(none entry emulated rets)
for r in $(seq "$RUNS"); do
	for m in "${modes[@]}"; do
		run "$m" >>"$tmp/$m"
	done
done
base=$(median <"$tmp/none")
echo "Cost of an empty uprobe by the instruction under it: $FUNC, Go $GOV, $(uname -r)"
printf '%d calls, %d rounds interleaved: ns per Write, median (min..max)\n' "$CALLS" "$RUNS"
printf '  %-34s %24s %10s\n' "probe at" "write ns" "added ns"
for m in "${modes[@]}"; do
	case $m in
	none) what="no probe" ;;
	entry) what="first instruction ($ENTRY)" ;;
	emulated) what="first emulated ($EMULATED)" ;;
	rets) what="every RET ($(tr -cd , <<<"$RETS" | wc -c | awk '{print $1 + 1}') sites)" ;;
	esac
	printf '  %-34s %24s %10s\n' "$what" "$(spread $(cat "$tmp/$m"))" \
		"$(($(median <"$tmp/$m") - base))"
done
