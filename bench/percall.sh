#!/usr/bin/env bash
# Per-call cost of a TLS Write (and of a Write+Read ping-pong) in one process
# over loopback, side by side: untraced; with tlstap's probes attached but
# doing nothing (--probe-only: the cost floor of uprobes at the same sites);
# traced by tlstap; and under a bpftrace one-liner that prints the buffer
# (a peer).  Go crypto/tls (testdata tlsbench) and OpenSSL (testdata
# ssl_bench).  Run as root: make bench.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
CALLS=${BENCH_CALLS:-20000}
GOV=${BENCH_GO:-1.22}
GOBENCH=$BUILD/testdata/go/$GOV/tlsbench-default
SSLBENCH=$BUILD/testdata/c/ssl_bench
LIBSSL=$(ldconfig -p | awk '/libssl.so.3 .*x86-64/ { print $NF; exit }')

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
	-days 1 -subj /CN=bench >/dev/null 2>&1

# run MODE CMD...: prints "write_ns pingpong_ns" of one run.
run() {
	local mode=$1 out
	shift
	case $mode in
	untraced) out=$("$@") ;;
	probe-only) out=$("$TLSTAP" trace --probe-only -o /dev/null -- "$@" 2>/dev/null) ;;
	tlstap) out=$("$TLSTAP" trace -o /dev/null -- "$@" 2>/dev/null) ;;
	bpftrace-go)
		out=$(BPFTRACE_STRLEN=200 bpftrace -q -e "uprobe:$1:\"crypto/tls.(*Conn).Write\" { printf(\"%s\\n\", str(reg(\"bx\"), reg(\"cx\"))); }" \
			-c "$*" 2>/dev/null | grep -a write_ns) ;;
	bpftrace-ssl)
		out=$(BPFTRACE_STRLEN=200 bpftrace -q -e "uprobe:$LIBSSL:SSL_write { printf(\"%s\\n\", str(arg1, arg2)); }" \
			-c "$*" 2>/dev/null | grep -a write_ns) ;;
	esac
	echo "$out" | sed -n 's/.*write_ns=\([0-9]*\) pingpong_ns=\([0-9]*\).*/\1 \2/p'
}

# measure NAME PEER CMD...: interleaved runs, medians, ratios.
measure() {
	local name=$1 peer=$2 m r key
	shift 2
	key=$(printf '%s' "$name" | tr -c 'A-Za-z0-9.' '_')
	local modes=(untraced probe-only tlstap)
	command -v bpftrace >/dev/null && modes+=("$peer")
	for r in $(seq "$RUNS"); do
		for m in "${modes[@]}"; do
			run "$m" "$@" >>"$tmp/$key.$m" || true
		done
	done
	local base_w base_p w p
	base_w=$(awk '{ print $1 }' "$tmp/$key.untraced" | median)
	base_p=$(awk '{ print $2 }' "$tmp/$key.untraced" | median)
	printf '\n%s, %d calls of 100 bytes, median of %d runs\n' "$name" "$CALLS" "$RUNS"
	printf '  %-14s %12s %8s %14s %8s\n' mode "write ns" ratio "pingpong ns" ratio
	for m in "${modes[@]}"; do
		w=$(awk '{ print $1 }' "$tmp/$key.$m" | median)
		p=$(awk '{ print $2 }' "$tmp/$key.$m" | median)
		printf '  %-14s %12s %8s %14s %8s\n' "$m" "$w" "$(ratio "$w" "$base_w")" "$p" \
			"$(ratio "$p" "$base_p")"
	done
}

echo "Per-call cost of TLS calls: $(uname -r), $(nproc) cores"
echo "(probe-only = tlstap's uprobes at the same sites doing nothing: the floor)"
measure "Go $GOV crypto/tls" bpftrace-go "$GOBENCH" -n "$CALLS"
measure "OpenSSL $(openssl version | awk '{print $2}')" bpftrace-ssl "$SSLBENCH" "$tmp/cert.pem" "$tmp/key.pem" "$CALLS"
