#!/usr/bin/env bash
# A host-wide tracer on a host whose programs come and go: CHURN_PROGRAMS
# (default 100) programs never seen before (fresh copies of the Go client,
# as a CI host or a deploy produces) each run once and make a request,
# traced by `tlstap trace --all --hold-new`, side by side with
# --detach-idle 0 (never detach, what tlstap did before) and --detach-idle 1.
# Once they are gone and a sweep has passed: the tracer's resident memory,
# the BPF links left on the programs' files, objects attached and detached,
# and the median time a program took (its exec held until attached).  Run
# as root: make bench.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
K=${CHURN_PROGRAMS:-100}
GOBIN=$BUILD/testdata/go/$GOV
live_setup

cp "$GOBIN/tlsserver-stripped" "$LIVE_TMP/server"
"$LIVE_TMP/server" -addr 127.0.0.1:0 >"$LIVE_TMP/server.out" 2>&1 &
LIVE_PIDS+=($!)
wait_file "$LIVE_TMP/server.out" "^listening on " 10
ADDR=$(sed -n 's/^listening on //p' "$LIVE_TMP/server.out")

# rss_mb PID: resident memory, MB.
rss_mb() {
	awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"
}

# run_mode IDLE: one tracer, K fresh programs; prints its line.
run_mode() {
	local idle=$1 dir=$LIVE_TMP/idle-$1 err i s e ms=() rss0 rss links
	mkdir -p "$dir"
	err=$dir/tracer.err
	TRACER_BIN=$TLSTAP tracer "$err" --all --hold-new --detach-idle "$idle" -o /dev/null
	rss0=$(rss_mb "$TRACER_PID")
	for i in $(seq "$K"); do
		cp "$GOBIN/tlsclient-stripped" "$dir/p$i"
		s=$(date +%s%N)
		"$dir/p$i" -addr "$ADDR" -n 1 -http2=false -path "/p$i" >/dev/null 2>&1 ||
			echo "(p$i failed)" >&2
		e=$(date +%s%N)
		ms+=("$(awk -v d=$((e - s)) 'BEGIN { printf "%.2f", d / 1e6 }')")
	done
	sleep 7 # past the idle time and a sweep (every 5 s)
	rss=$(rss_mb "$TRACER_PID")
	links=$(bpftool link show 2>/dev/null | grep -c "path $dir/p[0-9]" || true)
	tracer_stop
	printf '  %-16s %5s -> %5s MB %7s %9s %9s   %s\n' "--detach-idle $idle" "$rss0" "$rss" "$links" \
		"$(counter "$err" objects_attached)" "$(counter "$err" objects_detached)" \
		"$(stats "${ms[@]}" | awk '{ printf "%s (%s..%s)", $1, $2, $3 }')"
}

echo "Host-wide tracer, $K programs never seen before, each run once: $(uname -r), $(nproc) cores"
printf '  %-16s %17s %7s %9s %9s   %s\n' mode "tracer RSS" links attached detached \
	"ms per program, median (min..max)"
run_mode 0
run_mode 1
