#!/usr/bin/env bash
# Lost bytes and untrusted events in the pcapng.  curl --http1.1 fetches a
# 100000-byte body with --max-bytes 1000: each read is cut, and the bytes
# never captured must show in tshark as lost segments (the sequence numbers
# jump by exactly what is missing, follow,tcp says "[N bytes missing in
# capture file]" there), never as wrong bytes.  Then, offline, the same
# capture with some chunks made "none" (no tuple) and "ambiguous" (a tuple
# tlstap does not trust): replay -w leaves them out, counts them, and what
# they carried shows as missing bytes, not on another connection.
source "$(dirname "$0")/lib.sh"
need_cmd nginx curl tshark
T=$E2E_TMP
pcapng_site 100000
run_trace "$T/c.json" --max-bytes 1000 -w "$T/c.pcapng" -- curl --http1.1 \
	--cacert "$T/cert.pem" -s -o /dev/null -o /dev/null "$U/big.bin" "$U/hello.txt" ||
	{ cat "$T/c.json.err"; fail "traced curl failed"; }
P=$(traced_pid "$T/c.json")
check_no_probes_left
cat "$T/c.json.err"
[ "$(trace_counter "$T/c.json" truncated_bytes)" -gt 0 ] || fail "nothing was truncated"

echo "--- lost segments where the reads were cut"
lost=$(tshark -r "$T/c.pcapng" -Y tcp.analysis.lost_segment 2>/dev/null | wc -l)
cut=$(py_check "$T/c.json" "$P" <<'PY'
import sys, events
calls = events.only(events.load_calls(sys.argv[1]), pid=sys.argv[2], dir="read")
# A cut read followed by another read: the next segment starts after a hole.
print(sum(1 for c, n in zip(calls, calls[1:]) if c["truncated"]))
PY
)
echo "lost segments: $lost, cut reads followed by a read: $cut"
[ "$cut" -gt 0 ] && [ "$lost" = "$cut" ] || fail "$lost lost segments for $cut cut reads"
pcapcheck segments --synthetic "$T/c.pcapng" "$T/c.json" --pid "$P" ||
	fail "segments"
pcapcheck follow "$T/c.pcapng" "$T/c.json" --pid "$P" || fail "follow"
tshark -r "$T/c.pcapng" -q -z "follow,tcp,ascii,0" 2>/dev/null | grep -q 'bytes missing in capture' ||
	fail "follow,tcp shows no missing bytes"
tshark -r "$T/c.pcapng" -Y http.request -T fields -e http.request.uri 2>/dev/null >"$T/uris"
[ "$(tr '\n' ' ' <"$T/uris")" = "/big.bin /hello.txt " ] || fail "requests: $(cat "$T/uris")"

echo "--- offline: chunks without a trusted tuple are left out and counted"
py_check "$T/c.json" "$T/u.json" <<'PY' || fail "making u.json"
import json, sys
out, w, r = [], 0, 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    if "event" not in o:
        w += o["dir"] == "write"
        r += o["dir"] == "read"
        if o["dir"] == "write" and w == 1:   # the first request: no tuple at all
            o.update(attribution="none", laddr=None, lport=None, raddr=None, rport=None)
        elif o["dir"] == "read" and r == 3:  # a read: a tuple tlstap does not trust
            o.update(attribution="ambiguous", tuple_mismatch=True)
    out.append(json.dumps(o))
open(sys.argv[2], "w").write("\n".join(out) + "\n")
PY
"$TLSTAP" replay -w "$T/u.pcapng" -o /dev/null "$T/u.json" 2>"$T/u.err" ||
	{ cat "$T/u.err"; fail "replay -w"; }
cat "$T/u.err"
n=$(sed -n 's/.* pcapng_untrusted_chunks=\([0-9]*\).*/\1/p' "$T/u.err")
[ "$n" = 2 ] || fail "pcapng_untrusted_chunks=$n, expected 2"
pcapcheck untrusted "$T/u.json" "$n" || fail "untrusted count"
tshark -r "$T/u.pcapng" -Y http.request -T fields -e http.request.uri 2>/dev/null >"$T/uris"
[ "$(cat "$T/uris")" = /hello.txt ] || fail "requests in the pcapng: $(cat "$T/uris")"
pcapcheck segments "$T/u.pcapng" "$T/u.json" --pid "$P" ||
	fail "segments of u"
pcapcheck follow "$T/u.pcapng" "$T/u.json" --pid "$P" || fail "follow u"
echo "PASS"
