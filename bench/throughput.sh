#!/usr/bin/env bash
# Throughput of a traced bulk download, and whether anything is lost.
# A 256 MiB file of random bytes (build/bench/www/big.bin, made once) is
# downloaded over loopback by "curl -sk --http1.1 -o /dev/null":
#   nginx (OpenSSL, one process, no sendfile: 16 KiB SSL_writes), the
#   client traced: "tlstap trace [-f json] -o FILE -- curl ...";
#   testdata's bulkserver (Go crypto/tls, 16 KiB Writes), the server
#   traced: "tlstap trace [-f json] -o FILE -p SERVER".
# Each untraced, traced with -f json and with the default text format, to a
# file under build/ (deleted after each run); runs interleaved, BENCH_RUNS
# rounds (default 5), MB/s as curl measured it (1 MB = 10^6 bytes), median
# and spread, and the ring-buffer drops (ringbuf_drops= on tlstap's exit
# line) of every traced run.  Then a sweep of curl --limit-rate
# (BENCH_SWEEP_RUNS runs of each, default 2): the highest rate every run of
# which lost nothing.  Then, if perf is installed, where the time goes
# during an unlimited NDJSON download (perf record -g, system-wide: tlstap
# itself, and curl, which runs the probes).  Nothing is asserted.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
RUNS=${BENCH_RUNS:-5}
SWEEP_RUNS=${BENCH_SWEEP_RUNS:-2}
MIB=${BENCH_TP_MIB:-256}
RATES=(${BENCH_RATES:-25M 50M 100M 200M 400M unlimited})
BULKSERVER=$BUILD/testdata/go/${BENCH_GO:-1.22}/bulkserver-default

live_setup
[ -x "$BULKSERVER" ] || { echo "$0: $BULKSERVER missing: make go-bench" >&2; exit 1; }
WWW=$BUILD/bench/www
mkdir -p "$WWW"
if [ "$(stat -c %s "$WWW/big.bin" 2>/dev/null || echo 0)" -ne $((MIB << 20)) ]; then
	head -c $((MIB << 20)) /dev/urandom >"$WWW/big.bin.tmp"
	mv "$WWW/big.bin.tmp" "$WWW/big.bin"
fi
WWW=$(realpath "$WWW")
# Read once, so that the first run does not read the disk.
cat "$WWW/big.bin" >/dev/null

NGX_PORT=$(free_port)
bench_nginx "$NGX_PORT" "$WWW"
"$BULKSERVER" -addr 127.0.0.1:0 -root "$WWW" >"$LIVE_TMP/go.out" 2>&1 &
GOSRV=$!
LIVE_PIDS+=("$GOSRV")
wait_file "$LIVE_TMP/go.out" "^listening on "
GO_PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$LIVE_TMP/go.out")
declare -A URL=([nginx]=https://127.0.0.1:$NGX_PORT/big.bin [go]=https://127.0.0.1:$GO_PORT/big.bin)

# curl_cmd SERVER RATE: the download's command line, in CMD.
curl_cmd() {
	CMD=(curl -sk --http1.1 -o /dev/null -w '%{speed_download} %{size_download}\n')
	[ "$2" = unlimited ] || CMD+=(--limit-rate "$2")
	CMD+=("${URL[$1]}")
}

# download SERVER MODE RATE: one download; prints "MB/s drops" (drops "-"
# untraced).  MODE: untraced, json or text.
download() {
	local server=$1 mode=$2 rate=$3 fmt=() got drops=- speed size
	curl_cmd "$server" "$rate"
	[ "$mode" != json ] || fmt=(-f json)
	rm -f "$LIVE_TMP/out"
	if [ "$mode" = untraced ]; then
		got=$("${CMD[@]}")
	elif [ "$server" = nginx ]; then
		got=$("$TLSTAP" trace "${fmt[@]}" -o "$LIVE_TMP/out" -- "${CMD[@]}" 2>"$LIVE_TMP/err")
	else
		tracer "$LIVE_TMP/err" "${fmt[@]}" -o "$LIVE_TMP/out" -p "$GOSRV"
		got=$("${CMD[@]}")
		tracer_stop
	fi
	[ "$mode" = untraced ] || drops=$(counter "$LIVE_TMP/err" ringbuf_drops)
	read -r speed size <<<"$got"
	if [ "${size:-0}" -ne $((MIB << 20)) ]; then
		echo "$0: $server $mode $rate: curl got ${size:-nothing} bytes" >&2
		exit 1
	fi
	rm -f "$LIVE_TMP/out"
	awk -v s="$speed" -v d="${drops:--}" 'BEGIN { printf "%.1f %s\n", s / 1e6, d }'
}

load=$(wait_quiet)
echo "Bulk download of $MIB MiB over TLS on loopback: $(uname -r), $(nproc) cores, load $load"
echo "$RUNS rounds interleaved, MB/s median (min..max); drops: ringbuf_drops of each traced run"
printf '  %-34s %24s %8s  %s\n' "server, traced side" "MB/s" ratio drops
for server in nginx go; do
	for r in $(seq "$RUNS"); do
		for mode in untraced json text; do
			download "$server" "$mode" unlimited >>"$LIVE_TMP/$server.$mode"
		done
	done
	base=$(awk '{ print $1 }' "$LIVE_TMP/$server.untraced" | median)
	for mode in untraced json text; do
		case $server/$mode in
		nginx/untraced) label="nginx -> curl, untraced" ;;
		nginx/*) label="nginx -> curl, curl traced, $mode" ;;
		go/untraced) label="Go bulkserver -> curl, untraced" ;;
		go/*) label="Go bulkserver traced, $mode" ;;
		esac
		printf '  %-34s %24s %8s  %s\n' "$label" \
			"$(stats $(awk '{ print $1 }' "$LIVE_TMP/$server.$mode") |
				awk '{ printf "%.0f (%.0f..%.0f)", $1, $2, $3 }')" \
			"$(ratio "$(awk '{ print $1 }' "$LIVE_TMP/$server.$mode" | median)" "$base")" \
			"$(awk '{ printf "%s%s", (NR > 1 ? " " : ""), $2 }' "$LIVE_TMP/$server.$mode")"
	done
done

echo
load=$(wait_quiet)
echo "curl --limit-rate sweep, $SWEEP_RUNS runs each (load $load): MB/s reached, drops of each run"
printf '  %-22s' "server, format"
printf ' %16s' "${RATES[@]}"
printf '  %s\n' "max rate, 0 drops"
for server in nginx go; do
	for mode in json text; do
		printf '  %-22s' "$server $mode"
		best=none
		clean=yes
		for rate in "${RATES[@]}"; do
			speeds=() drops=()
			for r in $(seq "$SWEEP_RUNS"); do
				read -r s d <<<"$(download "$server" "$mode" "$rate")"
				speeds+=("$s")
				drops+=("$d")
			done
			printf ' %16s' "$(stats "${speeds[@]}" | awk '{ printf "%.0f", $1 }') [$(IFS=,; echo "${drops[*]}")]"
			if [ "$clean" = yes ] && [ "$(printf '%s\n' "${drops[@]}" | sort -n | tail -n1)" -eq 0 ]; then
				best=$rate
			else
				clean=no
			fi
		done
		printf '  %s\n' "$best"
	done
done

command -v perf >/dev/null || { echo "(perf is not installed: no profile)"; exit 0; }
echo
echo "Profile: perf record -g -a during one unlimited nginx download, curl traced, -f json"
curl_cmd nginx unlimited
perf record -q -g -a -o "$LIVE_TMP/perf.data" -- \
	"$TLSTAP" trace -f json -o "$LIVE_TMP/out" -- "${CMD[@]}" >/dev/null 2>"$LIVE_TMP/err"
rm -f "$LIVE_TMP/out"
echo "  tlstap: $(tail -n1 "$LIVE_TMP/err" | grep -o 'events=[0-9]* ringbuf_drops=[0-9]*')"
for comm in tlstap curl; do
	echo "  --- $comm: top symbols by self time, % of its own samples"
	perf report -q -i "$LIVE_TMP/perf.data" --comm "$comm" --no-children --sort dso,sym \
		--percentage relative --percent-limit 1.5 -g none 2>/dev/null | sed '/^$/d; s/^ */    /' | head -n 25
done
