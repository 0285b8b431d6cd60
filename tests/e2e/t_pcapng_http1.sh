#!/usr/bin/env bash
# pcapng (-w) read by tshark: curl --http1.1 against nginx on a free (never
# standard) port, traced with "-w X.pcapng -f json -o X.json" (both from one
# run).  tshark must dissect the request URIs and response codes with no
# hint; every packet's checksums are good, its comment names the process,
# its EPB direction flag agrees; every segment carries the NDJSON's bytes at
# its offset and "-z follow,tcp" gives the NDJSON's byte streams exactly in
# both directions.  The file is created 0600 (umask 022).  The same over
# IPv6 (curl -6 to openssl s_server on [::1]).  "replay X.json -w Y.pcapng"
# converts the capture offline into the same packets.
source "$(dirname "$0")/lib.sh"
need_cmd nginx curl tshark openssl
T=$E2E_TMP
pcapng_site 50000

umask 022
run_trace "$T/c.json" -w "$T/c.pcapng" -- curl --http1.1 --cacert "$T/cert.pem" -s \
	-o /dev/null -o /dev/null -o /dev/null "$U/hello.txt" "$U/big.bin" "$U/api/x?q=1" \
	--next --http1.1 --cacert "$T/cert.pem" -s -o /dev/null -d 'k=v' "$U/api/post" ||
	{ cat "$T/c.json.err"; fail "traced curl failed"; }
P=$(traced_pid "$T/c.json")
[ -n "$P" ] || fail "no curl pid"
check_no_probes_left
cat "$T/c.json.err"
[ "$(stat -c %a "$T/c.pcapng")" = 600 ] || fail "pcapng created with mode $(stat -c %a "$T/c.pcapng")"
pcapcheck untrusted "$T/c.json" \
	"$(trace_counter "$T/c.json" pcapng_untrusted_chunks)" || fail "untrusted count"
[ "$(trace_counter "$T/c.json" pcapng_packets)" -gt 0 ] || fail "no pcapng_packets counted"

echo "--- HTTP/1.1 on port $PORT, dissected by tshark with no hint"
tshark -r "$T/c.pcapng" -Y http.request -T fields -e tcp.dstport -e http.request.method \
	-e http.request.uri 2>/dev/null >"$T/req"
printf '%s\tGET\t/hello.txt\n%s\tGET\t/big.bin\n%s\tGET\t/api/x?q=1\n%s\tPOST\t/api/post\n' \
	"$PORT" "$PORT" "$PORT" "$PORT" >"$T/req.want"
diff "$T/req.want" "$T/req" || fail "tshark's HTTP requests differ"
tshark -r "$T/c.pcapng" -Y http.response -T fields -e tcp.srcport -e http.response.code \
	2>/dev/null >"$T/resp"
printf '%s\t200\n' "$PORT" "$PORT" "$PORT" "$PORT" >"$T/resp.want"
diff "$T/resp.want" "$T/resp" || fail "tshark's HTTP responses differ"

echo "--- segments, comments, direction flags, checksums; follow,tcp"
py_check "$T/c.pcapng" "$T/c.json" "$P" <<'PY' || fail "comments"
import subprocess, sys
pcap, nd, pid = sys.argv[1], sys.argv[2], sys.argv[3]
out = subprocess.run(["tshark", "-r", pcap, "-T", "fields", "-e", "frame.comment"],
                     capture_output=True, text=True).stdout.splitlines()
bad = [c for c in out if "pid=%s" % pid not in c or "comm=curl" not in c or "lib=openssl" not in c]
print("%d packets, %d comments without pid=%s comm=curl lib=openssl" % (len(out), len(bad), pid))
sys.exit(1 if bad or not out else 0)
PY
pcapcheck segments --synthetic "$T/c.pcapng" "$T/c.json" --pid "$P" ||
	fail "segments"
pcapcheck follow "$T/c.pcapng" "$T/c.json" --pid "$P" || fail "follow"

echo "--- replay c.json -w: the same packets"
"$TLSTAP" replay "$T/c.json" -w "$T/r.pcapng" -o /dev/null 2>"$T/r.err" ||
	{ cat "$T/r.err"; fail "replay -w"; }
[ "$(stat -c %a "$T/r.pcapng")" = 600 ] || fail "replayed pcapng mode $(stat -c %a "$T/r.pcapng")"
pcapcheck same "$T/c.pcapng" "$T/r.pcapng" || fail "replay differs"

echo "--- IPv6: curl -6 to openssl s_server -www on [::1]"
make_cert
P6=$(free_port)
openssl s_server -accept "[::1]:$P6" -cert "$T/cert.pem" -key "$T/key.pem" -www \
	</dev/null >"$T/s6.out" 2>&1 &
kill_at_exit $!
wait_listen "$P6"
run_trace "$T/v6.json" -w "$T/v6.pcapng" -- curl -6 --http1.1 -sk -o /dev/null \
	"https://[::1]:$P6/v6path" || { cat "$T/v6.json.err"; fail "traced curl -6 failed"; }
P=$(traced_pid "$T/v6.json")
tshark -r "$T/v6.pcapng" -Y "ipv6.src == ::1 && tcp.dstport == $P6 && http.request" -T fields \
	-e http.request.uri 2>/dev/null >"$T/v6.req"
[ "$(cat "$T/v6.req")" = /v6path ] || fail "IPv6 request: '$(cat "$T/v6.req")'"
tshark -r "$T/v6.pcapng" -Y "ipv6.dst == ::1 && tcp.srcport == $P6 && http.response" \
	-T fields -e http.response.code 2>/dev/null >"$T/v6.resp"
[ "$(cat "$T/v6.resp")" = 200 ] || fail "IPv6 response: '$(cat "$T/v6.resp")'"
[ "$(tshark -r "$T/v6.pcapng" -Y ip 2>/dev/null | wc -l)" = 0 ] || fail "IPv4 packets in v6"
pcapcheck segments --synthetic "$T/v6.pcapng" "$T/v6.json" --pid "$P" ||
	fail "v6 segments"
pcapcheck follow "$T/v6.pcapng" "$T/v6.json" --pid "$P" || fail "v6 follow"
echo "PASS"
