#!/usr/bin/env bash
# tlstap doctor's costs (make bench; root; nothing here is asserted):
#  1. reading a whole map of BENCH_WALK_N (1M) entries with BPF_MAP_LOOKUP_BATCH
#     against key-by-key iteration, hash and LRU hash (build/bench/mapwalk),
#     interleaved runs: medians and spread;
#  2. doctor's run time against a tracer holding BENCH_CONNS (65,536) open
#     connections: BENCH_PROCS (4) processes hold the sockets (open TCP
#     connections on loopback, bench/conns.py; a process may not hold more
#     than its fd limit), each one traced; the tracer's native_conns and socks
#     maps get one entry per socket (bpftool batch), as OpenSSL connections
#     attributed by syscall-fd would leave them, so that doctor reads full
#     maps and judges every entry against the real sockets.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
WALK_N=${BENCH_WALK_N:-1000000}
CONNS=${BENCH_CONNS:-65536}
PROCS=${BENCH_PROCS:-4}
tmp=$(mktemp -d)
pids=()
cleanup() {
	[ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

# spread: "median (min-max)" of the numbers on stdin.
spread() {
	sort -n | awk '{ a[NR] = $1 } END { printf "%.3f (%.3f-%.3f)", a[int((NR + 1) / 2)], a[1], a[NR] }'
}

echo "doctor: whole-map reads of $WALK_N entries (24-byte keys, 72-byte values), $RUNS runs"
"$BUILD/bench/mapwalk" "$WALK_N" "$RUNS" >"$tmp/walk"
printf '  %-9s %-10s %-26s %-26s %s\n' map entries "batch s: median (range)" \
	"iteration s: median (range)" "ratio of medians"
for type in hash lru_hash; do
	b=$(awk -v t="$type" '$1 == t && $2 == "batch" { print $3 }' "$tmp/walk" | spread)
	i=$(awk -v t="$type" '$1 == t && $2 == "iteration" { print $3 }' "$tmp/walk" | spread)
	n=$(awk -v t="$type" '$1 == t { print $4; exit }' "$tmp/walk")
	printf '  %-9s %-10s %-26s %-26s %s\n' "$type" "$n" "$b" "$i" \
		"$(ratio "${i%% *}" "${b%% *}")x"
done

echo
echo "doctor: run time against a tracer holding $CONNS connections ($PROCS processes)"
targets=()
for p in $(seq 1 "$PROCS"); do
	python3 "$(dirname "$0")/conns.py" $((CONNS / PROCS)) "$tmp/conns.$p" >"$tmp/ready.$p" &
	pids+=($!)
	targets+=(-p $!)
done
for p in $(seq 1 "$PROCS"); do
	for i in $(seq 1 300); do
		grep -q ready "$tmp/ready.$p" 2>/dev/null && break
		sleep 0.1
	done
	grep -q ready "$tmp/ready.$p" || { echo "conns.py $p did not start"; exit 1; }
done
"$TLSTAP" trace -v -o /dev/null "${targets[@]}" 2>"$tmp/trace.err" &
tracer=$!
pids+=("$tracer")
for i in $(seq 1 300); do
	[ "$(grep -c 'probes in' "$tmp/trace.err" 2>/dev/null)" -ge "$PROCS" ] && break
	sleep 0.1
done
[ "$(grep -c 'probes in' "$tmp/trace.err")" -ge "$PROCS" ] ||
	{ echo "the tracer did not attach: $(cat "$tmp/trace.err")"; exit 1; }
map_id() {
	local id
	for id in $(sed -n 's/^map_id:[[:space:]]*//p' /proc/"$tracer"/fdinfo/* | sort -un); do
		# Not "| grep -q": with pipefail, bpftool's SIGPIPE would fail the match.
		[[ "$(bpftool map show id "$id")" == *" name $1 "* ]] && { echo "$id"; return 0; }
	done
	return 1
}
# One native_conns entry {tgid, SSL*} -> {sk, fd} and one socks entry
# sk -> {tgid, openssl, SSL*, tuple} per socket.
nc_id=$(map_id native_conns) && so_id=$(map_id socks) ||
	{ echo "tracer $tracer: no native_conns or socks map"; exit 1; }
python3 - "$nc_id" "$so_id" "$tmp" "$PROCS" "${pids[@]}" \
	>"$tmp/fill.batch" <<'PY'
import socket, struct, sys
nc, so, tmp, procs = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
pids = [int(p) for p in sys.argv[5:5 + procs]]
hexb = lambda b: " ".join("%02x" % x for x in b)
i = 0
for p, tgid in enumerate(pids, 1):
    for line in open("%s/conns.%d" % (tmp, p)):
        fd, la, lp, ra, rp = line.split()
        sk, conn = 0xffff888100000000 + 64 * i, 0x555500000000 + 16 * i
        tuple_ = struct.pack("<HHHH16s16s", 2, int(lp), int(rp), 0, socket.inet_aton(la),
                             socket.inet_aton(ra))
        print("map update id %d key hex %s value hex %s" % (
            nc, hexb(struct.pack("<IIQ", tgid, 0, conn)),
            hexb(struct.pack("<QiIQQQ", sk, int(fd), 0, 0, 0, 0))))
        print("map update id %d key hex %s value hex %s" % (
            so, hexb(struct.pack("<Q", sk)),
            hexb(struct.pack("<IB3xQQ", tgid, 2, conn, 0) + tuple_)))
        i += 1
PY
bpftool batch file "$tmp/fill.batch" >/dev/null
for r in $(seq 1 "$RUNS"); do
	for mode in batch iteration; do
		args=(--recheck-delay 0)
		[ "$mode" = batch ] || args+=(--iterate)
		t0=$(date +%s%N)
		"$TLSTAP" doctor -p "$tracer" --json "${args[@]}" >"$tmp/doctor.$mode.json" || true
		echo "$mode $(( ($(date +%s%N) - t0) / 1000 ))" >>"$tmp/runs"
	done
done
python3 - "$tmp/doctor.batch.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
m = {x["name"]: x for x in d["maps"]}
print("  native_conns %d/%d entries, socks %d/%d; checked %d: %d live, %d unjudged, %d leaked"
      % (m["native_conns"]["entries"], m["native_conns"]["max_entries"], m["socks"]["entries"],
         m["socks"]["max_entries"], d["checked"], d["live"], d["unjudged"], d["leaked"]))
PY
for mode in batch iteration; do
	printf '  doctor, maps read by %-9s %s s: median (range) of %d runs\n' "$mode" \
		"$(awk -v m="$mode" '$1 == m { print $2 / 1e6 }' "$tmp/runs" | spread)" "$RUNS"
done
