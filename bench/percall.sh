#!/usr/bin/env bash
# Per-call cost of a TLS Write (and of a Write+Read ping-pong) over loopback,
# side by side: untraced; with tlstap's probes attached but doing nothing
# (--probe-only: the cost floor of uprobes at the same sites); traced by
# tlstap; traced by an older tlstap (BASELINE_TLSTAP, when given: the binary
# before a change, same options); and under a bpftrace one-liner that
# prints the buffer of both directions (buf(), %r: the payload is zeros,
# which str() would stop at).  For Go, Write's buffer at its entry and
# Read's at its RET sites (never a uretprobe: it breaks Go stacks), the
# buffer saved at Read's entry under the goroutine (r14); Debian's bpftrace
# places a probe inside a function only in a binary without symbols (it has
# no instruction decoder to check the site with), so the one-liner runs a
# stripped copy, probed at the file offsets `tlstap resolve` gives (the same
# code).  For OpenSSL, SSL_write at entry and SSL_read at return.  Go
# crypto/tls (testdata tlsbench) and OpenSSL (testdata ssl_bench).  Go's
# peer is another process (tlsbench -serve, a copy of the binary,
# untraced), so that every tool sees only the measuring side's calls: the
# Writes, and in the ping-pong the Writes and Reads.  ssl_bench's two ends
# are threads of one process, traced alike by all.  Runs interleaved (each
# mode once per round, BENCH_RUNS rounds, default 7): median (min..max) per
# call, the ratio of medians to untraced and to probe-only, and tlstap's
# added cost (ns over untraced) against probe-only's; then, from one more
# traced run with kernel.bpf_stats_enabled, the time each of tlstap's BPF
# programs takes per run.  Run as root: make bench.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
RUNS=${BENCH_RUNS:-7}
LIBSSL=$(ldconfig -p | awk '/libssl.so.3 .*x86-64/ && !found { print $NF; found = 1 }') # no early exit: SIGPIPE under pipefail
BASELINE=${BASELINE_TLSTAP:-}

tmp=$(mktemp -d)
STATS_WAS= # kernel.bpf_stats_enabled before bpf_time turned it on
trap 'rm -rf "$tmp"; [ -z "$STATS_WAS" ] || sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS" || true' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
	-days 1 -subj /CN=bench >/dev/null 2>&1

# The Go peer: a copy of tlsbench, so that probes on the measured binary
# (the one-liner's are on the file, whoever runs it) do not fire in it.
cp "$GOBENCH" "$tmp/tlsbench-peer"
# The one-liner's copy, without symbols (see above), and its probes.
strip -o "$tmp/tlsbench-stripped" "$GOBENCH"
GO_ONELINER=$("$TLSTAP" resolve --json "$GOBENCH" | python3 -c '
import json, sys
fn = {f["name"]: f for f in json.load(sys.stdin)["functions"]}
w, r = fn["crypto/tls.(*Conn).Write"], fn["crypto/tls.(*Conn).Read"]
at = lambda off: "uprobe:%s:0x%x" % (sys.argv[1], off)
print(at(w["file_offset"]) + " { printf(\"%r\\n\", buf(reg(\"bx\"), reg(\"cx\"))); }")
print(at(r["file_offset"]) + " { @b[reg(\"r14\")] = reg(\"bx\"); }")
print(",".join(at(o) for o in r["returns"]) +
      " /(int64)reg(\"ax\") > 0/ { printf(\"%r\\n\", buf(@b[reg(\"r14\")], reg(\"ax\"))); }")
' "$tmp/tlsbench-stripped")

# peer_start: a tlsbench peer for one run, pinned like the program; sets
# PEER_PID and PEER_ADDR.  (Not in a command substitution: the peer must be
# this shell's child, to be waited for.)
peer_start() {
	: >"$tmp/peer.out"
	timeout 300 taskset -c "$CPU" "$tmp/tlsbench-peer" -serve 127.0.0.1:0 -n "$CALLS" >"$tmp/peer.out" &
	PEER_PID=$!
	wait_file "$tmp/peer.out" "^listening on " 5 || true # the run then fails, and says so
	PEER_ADDR=$(sed -n 's/^listening on //p' "$tmp/peer.out")
}

# run MODE CMD...: prints "write_ns pingpong_ns" of one run; an argument
# @PEER@ is replaced by the address of a peer started for the run.  The
# program runs pinned to one CPU (BENCH_CPU), with its peer: the two hand
# over on one core instead of waking each other across two, which made a
# round trip bimodal; tlstap and bpftrace themselves are not pinned.
run() {
	local mode=$1 out a peer=
	shift
	for a; do
		[ "$a" = @PEER@ ] && peer=1
	done
	if [ -n "$peer" ]; then
		peer_start
		set -- "${@/#@PEER@/$PEER_ADDR}"
	fi
	set -- "$(command -v taskset)" -c "$CPU" "$@" # a path: bpftrace -c wants one
	case $mode in
	untraced) out=$("$@") ;;
	probe-only) out=$("$TLSTAP" trace --probe-only -o /dev/null -- "$@" 2>/dev/null) ;;
	tlstap) out=$("$TLSTAP" trace -o /dev/null -- "$@" 2>/dev/null) ;;
	bpf-time) # tlstap, its programs' statistics sampled while it runs
		"$TLSTAP" trace -o /dev/null -- "$@" >"$tmp/bpf-time.out" 2>/dev/null &
		local tp=$!
		while kill -0 "$tp" 2>/dev/null; do
			bpftool prog show -j >"$tmp/progs.$((++n_samples))" 2>/dev/null || true
			sleep 0.1
		done
		wait "$tp" || true
		out=$(cat "$tmp/bpf-time.out") ;;
	baseline) out=$("$BASELINE" trace -o /dev/null -- "$@" 2>/dev/null) ;;
	bpftrace-go) # the stripped copy in place of the program ($4)
		set -- "${@:1:3}" "$tmp/tlsbench-stripped" "${@:5}"
		out=$(BPFTRACE_STRLEN=200 bpftrace --unsafe -q -e "$GO_ONELINER" -c "$*" 2>/dev/null |
			grep -a write_ns) ;;
	bpftrace-ssl)
		out=$(BPFTRACE_STRLEN=200 bpftrace -q -e "
			uprobe:$LIBSSL:SSL_write { printf(\"%r\\n\", buf(arg1, arg2)); }
			uprobe:$LIBSSL:SSL_read { @buf[tid] = arg1; }
			uretprobe:$LIBSSL:SSL_read /retval > 0 && retval < 0x80000000/ {
				printf(\"%r\\n\", buf(@buf[tid], retval));
			}" -c "$*" 2>/dev/null | grep -a write_ns) ;;
	esac
	if [ -n "$peer" ]; then # done, unless the measuring side failed
		kill "$PEER_PID" 2>/dev/null
		wait "$PEER_PID" 2>/dev/null
	fi
	echo "$out" | sed -n 's/.*write_ns=\([0-9]*\) pingpong_ns=\([0-9]*\).*/\1 \2/p'
}

# col FILE N: column N of FILE, one sample a line ("-": the run failed).
col() {
	awk -v n="$2" '$n != "-" { print $n }' "$1"
}

# added MODE BASE UNTRACED: (MODE - UNTRACED) / (BASE - UNTRACED), medians.
added() {
	awk -v m="$1" -v b="$2" -v u="$3" 'BEGIN { if (b > u) printf "%.2f", (m - u) / (b - u); else print "nan" }'
}

# added_rounds KEY MODE N: the same ratio within each round (column N of
# the rounds' lines, rounds where all three ran): "median (min..max)".  A
# slow stretch of the machine moves all modes of its round alike, so this
# spread is the ratio's own.
added_rounds() {
	paste -d' ' "$tmp/$1.untraced" "$tmp/$1.probe-only" "$tmp/$1.$2" | awk -v n="$3" '
		{ u = $n; b = $(n + 2); m = $(n + 4) }
		u != "-" && b != "-" && m != "-" && b > u { print (m - u) / (b - u) }' |
		sort -g | awk '{ a[NR] = $1 } END {
			if (NR) printf "%.2f (%.2f..%.2f)", a[int((NR + 1) / 2)], a[1], a[NR]; else print "nan" }'
}

# measure NAME PEER CMD...: interleaved runs, medians and spread, ratios.
measure() {
	local name=$1 peer=$2 m r key c v
	shift 2
	key=$(printf '%s' "$name" | tr -c 'A-Za-z0-9.' '_')
	local modes=(untraced probe-only tlstap)
	[ -z "$BASELINE" ] || modes+=(baseline)
	command -v bpftrace >/dev/null && modes+=("$peer")
	for r in $(seq "$RUNS"); do
		for m in "${modes[@]}"; do
			v=$(run "$m" "$@") || true
			echo "${v:--} -" | cut -d' ' -f1,2 >>"$tmp/$key.$m" # one line a round
		done
	done
	local -A med
	for m in "${modes[@]}"; do
		for c in 1 2; do
			med[$m.$c]=$(col "$tmp/$key.$m" "$c" | median)
		done
	done
	printf '\n%s, %d calls of 100 bytes, %d rounds interleaved: median (min..max)\n' \
		"$name" "$CALLS" "$RUNS"
	printf '  %-13s %24s %7s %7s   %26s %7s %7s\n' mode "write ns" "/untr" "/probe" \
		"pingpong ns" "/untr" "/probe"
	for m in "${modes[@]}"; do
		printf '  %-13s %24s %7s %7s   %26s %7s %7s\n' "$m" \
			"$(spread $(col "$tmp/$key.$m" 1))" "$(ratio "${med[$m.1]}" "${med[untraced.1]}")" \
			"$(ratio "${med[$m.1]}" "${med[probe-only.1]}")" \
			"$(spread $(col "$tmp/$key.$m" 2))" "$(ratio "${med[$m.2]}" "${med[untraced.2]}")" \
			"$(ratio "${med[$m.2]}" "${med[probe-only.2]}")"
	done
	printf '  added cost over untraced, relative to probe-only'"'"'s: tlstap write %s, pingpong %s' \
		"$(added "${med[tlstap.1]}" "${med[probe-only.1]}" "${med[untraced.1]}")" \
		"$(added "${med[tlstap.2]}" "${med[probe-only.2]}" "${med[untraced.2]}")"
	[ -z "$BASELINE" ] || printf '; baseline write %s, pingpong %s' \
		"$(added "${med[baseline.1]}" "${med[probe-only.1]}" "${med[untraced.1]}")" \
		"$(added "${med[baseline.2]}" "${med[probe-only.2]}" "${med[untraced.2]}")"
	echo
	printf '  the same within each round, median (min..max): tlstap write %s, pingpong %s\n' \
		"$(added_rounds "$key" tlstap 1)" "$(added_rounds "$key" tlstap 2)"
	[ -z "$BASELINE" ] || printf '  baseline write %s, pingpong %s\n' \
		"$(added_rounds "$key" baseline 1)" "$(added_rounds "$key" baseline 2)"
	bpf_time "$@"
}

# bpf_time CMD...: where tlstap's added cost goes: one more traced run with
# kernel.bpf_stats_enabled, and the mean time per run of each program loaded
# during it (tlstap's: Debian's bpftool does not name a program's process),
# from the sample taken while it ran that counts the most runs of its TLS
# programs (the socket tracepoints run for the whole host).  The time
# includes the statistics' own two clock reads (about 100 ns here).
bpf_time() {
	local before
	if ! command -v bpftool >/dev/null || ! STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled) ||
		! sysctl -qw kernel.bpf_stats_enabled=1 2>/dev/null; then
		echo "  (BPF time: needs bpftool and kernel.bpf_stats_enabled)"
		STATS_WAS=
		return 0
	fi
	before=$(bpftool prog show -j |
		python3 -c 'import json, sys; print(max([p["id"] for p in json.load(sys.stdin)] or [0]))')
	rm -f "$tmp"/progs.*
	n_samples=0
	run bpf-time "$@" >/dev/null || true
	sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS"
	STATS_WAS=
	python3 -c '
import json, sys
tls = lambda rows: sum(p["run_cnt"] for p in rows if "tls" in p.get("name", ""))
best = []
for f in sys.argv[2:]:
    try:
        rows = [p for p in json.load(open(f)) if p["id"] > int(sys.argv[1]) and p.get("run_cnt")]
    except (OSError, ValueError):
        continue
    if tls(rows) > tls(best):
        best = rows
best.sort(key=lambda p: -p["run_cnt"])
print("  BPF time per run (bpf_stats, one more run): " + (", ".join(
    "%s %d ns (%d runs)" % (p.get("name", "?"), p["run_time_ns"] // p["run_cnt"], p["run_cnt"])
    for p in best[:6]) or "no statistics taken"))' "$before" "$tmp"/progs.*
}

load=$(wait_quiet)
echo "Per-call cost of TLS calls: $(uname -r), $(nproc) cores, load $load"
echo "(probe-only = tlstap's uprobes at the same sites doing nothing: the floor)"
[ -z "$BASELINE" ] || echo "(baseline = $BASELINE)"
measure "Go $GOV crypto/tls" bpftrace-go "$GOBENCH" -connect @PEER@ -n "$CALLS"
measure "OpenSSL $(openssl version | awk '{print $2}')" bpftrace-ssl "$SSLBENCH" "$tmp/cert.pem" "$tmp/key.pem" "$CALLS"
