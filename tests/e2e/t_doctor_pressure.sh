#!/usr/bin/env bash
# Map pressure: a traced Go server's tracer gets its socks map
# (LRU, 65536 entries) filled to the top with bpftool (entries for the
# traced process whose connections never existed; an LRU map keeps a little
# less, it evicts from about 99%).  The tracer must say that the map is full,
# by name (within its 1 s count), and show the map's pressure in --stats;
# doctor must report socks with every entry it holds, its pressure, read in
# batches, and every entry leaked (conn-gone); when the tracer stops, its
# sweep of the process leaves the map empty and is counted (exit counters:
# pressure 0, the peak, swept_entries).
source "$(dirname "$0")/lib.sh"
T=$E2E_TMP
go_testdata "${DOCTOR_GO_VERSION:-}" tlsserver-default
need_cmd bpftool
N=65536

start_go_server "$GO_BIN/tlsserver-default"
start_trace "$T/trace.json" --stats -p "$SRV_PID"
ID=$(tracer_map_id "$TRACE_PID" socks) || fail "no socks map"
[ "$(bpftool map show id "$ID" | grep -o 'max_entries [0-9]*')" = "max_entries $N" ] ||
	fail "socks is not $N entries: $(bpftool map show id "$ID")"

# struct tt_sock: tgid, lib, pad[3], conn, netfd, tuple (127.0.0.1:P -> 127.0.0.2:2).
python3 - "$ID" "$SRV_PID" "$N" >"$T/fill.batch" <<'PY'
import struct, sys
map_id, tgid, n = (int(a) for a in sys.argv[1:])
hexb = lambda b: " ".join("%02x" % x for x in b)
for i in range(n):
    key = struct.pack("<Q", 0xffff888100000000 + 64 * i)
    val = struct.pack("<IB3xQQHHHH16s16s", tgid, 1, 0xc000000000 + i, 0xc100000000 + i,
                      2, 1 + i % 60000, 2, 0, bytes([127, 0, 0, 1]), bytes([127, 0, 0, 2]))
    print("map update id %d key hex %s value hex %s" % (map_id, hexb(key), hexb(val)))
PY
bpftool batch file "$T/fill.batch" >/dev/null || fail "bpftool batch"
# An LRU map evicts a little before max_entries (per-CPU free lists): it is
# full from 95% on.
wait_for "$T/trace.json.err" "^tlstap: map socks is full ([0-9]*/$N entries): new entries evict" \
	1 5
said=$(sed -n "s|^tlstap: map socks is full (\([0-9]*\)/$N entries).*|\1|p" "$T/trace.json.err")
[ "$said" -ge $((N * 95 / 100)) ] || fail "socks is said full with $said entries"
# What it holds once the fill is over (the count may have caught it before).
FILLED=$(bpftool -j map dump id "$ID" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
echo "socks holds $FILLED of $N entries (said full at $said)"
wait_for "$T/trace.json.err" "pressure\[socks\]=$FILLED/$N " 1 5

start=$(date +%s%N)
run_doctor "$TRACE_PID" "$T/doctor.json" --recheck-delay 0.5
rc=$?
echo "doctor on $FILLED socks entries: $((($(date +%s%N) - start) / 1000000)) ms (not asserted)"
[ $rc -eq 1 ] || fail "doctor exited $rc"
py_check "$T/doctor.json" "$N" "$SRV_PID" "$FILLED" <<'PY' || fail "doctor's report of the full map"
import json, sys
doc = json.load(open(sys.argv[1]))
max_entries, tgid, n = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
socks = [m for m in doc["maps"] if m["name"] == "socks"][0]
assert socks["entries"] == n and socks["max_entries"] == max_entries, socks
assert abs(socks["pressure"] - n / max_entries) < 1e-8 and socks["read"] == "batch", socks
assert socks["leaked"] == n, socks
leaks = [l for l in doc["leaks"] if l["map"] == "socks"]
assert len(leaks) == n and doc["leaked"] == n, (len(leaks), doc["leaked"])
assert all(l["reason"] == "conn-gone" and l["value"]["tgid"] == tgid for l in leaks)
PY

stop_trace "$T/trace.json"
line=$(tail -n1 "$T/trace.json.err")
# At exit only the maps that still hold entries are named: socks is not.
! grep -q " pressure\[socks\]=" <<<"$line" || fail "socks not swept at exit: $line"
grep -q " swept_entries=$FILLED " <<<"$line" || fail "the sweep is not counted: $line"
grep -q " peak_pressure\[socks\]=$FILLED/$N " <<<"$line" || fail "no peak pressure: $line"
check_no_probes_left
echo PASS
