#!/usr/bin/env bash
# pcapng of HTTP/2, server side: nginx (-p, its role known from its
# listening socket) serving curl --http2 on a free port.  tshark decodes the
# HEADERS with "-d tcp.port==PORT,http2" (the README's recipe; ",http" too,
# through the connection preface): every :path,
# :method and :status; the segments carry the NDJSON's bytes, start with
# the synthetic handshake from the client, and follow,tcp gives the NDJSON's
# byte streams exactly.  Replayed from the NDJSON, the same handshakes.
source "$(dirname "$0")/lib.sh"
need_cmd nginx curl tshark
T=$E2E_TMP
pcapng_site
start_trace "$T/s.json" -w "$T/s.pcapng" -p "$NGX_PID"
curl --http2 --cacert "$T/cert.pem" -s -o /dev/null -o /dev/null "$U/hello.txt" "$U/api/h2" \
	--next --http2 --cacert "$T/cert.pem" -s -o /dev/null -d 'k=v' "$U/api/post" ||
	fail "curl --http2"
sleep 0.5
stop_trace "$T/s.json"
check_no_probes_left
pcapcheck untrusted "$T/s.json" \
	"$(trace_counter "$T/s.json" pcapng_untrusted_chunks)" || fail "untrusted count"

printf 'GET\t/hello.txt\nGET\t/api/h2\nPOST\t/api/post\n' >"$T/req.want"
# http2 (the README's recipe); http finds the HTTP/2 preface and hands over.
for as in http2 http; do
	echo "--- HTTP/2 decoded with -d tcp.port==$PORT,$as"
	tshark -r "$T/s.pcapng" -d "tcp.port==$PORT,$as" -Y http2.headers.path -T fields \
		-e http2.headers.method -e http2.headers.path 2>/dev/null >"$T/req"
	diff "$T/req.want" "$T/req" || fail "HTTP/2 requests differ (-d ...,$as)"
done
tshark -r "$T/s.pcapng" -d "tcp.port==$PORT,http2" -Y http2.headers.status -T fields \
	-e http2.headers.status 2>/dev/null >"$T/resp"
printf '200\n200\n200\n' >"$T/resp.want"
diff "$T/resp.want" "$T/resp" || fail "HTTP/2 statuses differ"
tshark -r "$T/s.pcapng" -d "tcp.port==$PORT,http2" -Y 'http2.type == 0' -T fields \
	-E aggregator=/s -e http2.data.data 2>/dev/null >"$T/data"
py_check "$T/data" <<'PY' || fail "HTTP/2 DATA frames differ"
import sys
got = sorted(bytes.fromhex(h.replace(":", "")) for line in open(sys.argv[1])
             for h in line.split())
# The responses (nginx answers the POST before it reads its body: that may
# come after the close, when the socket has lost its port).
got = [d for d in got if d != b"k=v"]
want = sorted([b"hello\n", b"api /api/h2\n", b"api /api/post\n"])
print("DATA frames:", got)
sys.exit(got != want)
PY

echo "--- the handshake comes from the client, the server's packets are outbound"
first=$(tshark -r "$T/s.pcapng" -c 1 -T fields -e tcp.flags.syn -e tcp.dstport \
	-e frame.packet_flags_direction 2>/dev/null)
[ "$first" = "$(printf '1\t%s\t0x00000001' "$PORT")" ] || fail "first packet: $first"
pcapcheck segments --synthetic "$T/s.pcapng" "$T/s.json" \
	--pid "$NGX_PID" || fail "segments"
pcapcheck follow "$T/s.pcapng" "$T/s.json" --pid "$NGX_PID" ||
	fail "follow"

# Replayed, the role comes from the bytes alone: nginx sends its SETTINGS
# (the server's preface) before it reads curl's, and that says the server
# as well as the client's magic does.  Every connection starts with the
# client's SYN, as live.
echo "--- replayed: the handshake too"
"$TLSTAP" replay -w "$T/r.pcapng" -o /dev/null "$T/s.json" 2>"$T/r.err" ||
	fail "replay -w: $(cat "$T/r.err")"
conns=$(tshark -r "$T/r.pcapng" -T fields -e tcp.stream 2>/dev/null | sort -u | wc -l)
syns=$(tshark -r "$T/r.pcapng" -Y "tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.dstport == $PORT" \
	-T fields -e tcp.stream 2>/dev/null | sort -u | wc -l)
echo "replayed: $conns connections, $syns with the client's SYN"
[ "$conns" -ge 1 ] && [ "$syns" = "$conns" ] || fail "replayed pcapng: $syns SYNs for $conns connections"
echo "PASS"
