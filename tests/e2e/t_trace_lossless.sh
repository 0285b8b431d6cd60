#!/usr/bin/env bash
# A saturating transfer loses nothing: curl downloads 64 MiB of random bytes
# from a local nginx over TLS at full speed, traced with -f json and with the
# default text format, each to a file; and a Go HTTPS server (traced with -p)
# receives 64 MiB and sends them back.  Every chunk arrives, in order, with
# no ring-buffer drop: the bodies in the trace are byte for byte the file,
# and NDJSON stream offsets have no hole.  With the smallest ring buffer
# (--buffer-size 64K), a steady stream of small calls loses under half
# (it lost 91%; a few per cent now, the rest being scheduling).
source "$(dirname "$0")/lib.sh"
need_cmd curl nginx
T=$E2E_TMP
mkdir -p "$T/www"
head -c $((64 << 20)) /dev/urandom >"$T/www/big.bin"
start_nginx big 0 tls "root $T/www;"
URL=https://127.0.0.1:$SRV_PORT/big.bin

echo "--- NDJSON"
run_trace "$T/big.json" -- curl -sk --http1.1 -o "$T/got.json" "$URL" ||
	{ cat "$T/big.json.err"; fail "traced curl (json)"; }
cmp "$T/www/big.bin" "$T/got.json" || fail "curl's download differs"
check_counters_zero "$T/big.json" ringbuf_drops truncated_bytes scratch_busy_drops
PID=$(traced_pid "$T/big.json")
py_check "$T/big.json" "$PID" "$T/www/big.bin" <<'PY' || fail "NDJSON is not the download"
import sys, events
path, pid, want = sys.argv[1], int(sys.argv[2]), open(sys.argv[3], "rb").read()
evs = [e for e in events.load_events(path) if e["pid"] == pid and e["dir"] == "read"]
end = None
for e in evs:
    if end is not None and e["stream_off"] != end:
        sys.exit("hole or overlap at stream_off %d (expected %d)" % (e["stream_off"], end))
    end = e["stream_off"] + len(e["data"])
got = b"".join(e["data"] for e in evs)
body = got[got.index(b"\r\n\r\n") + 4:]
if body != want:
    sys.exit("body: %d bytes, expected %d; first difference at %d" % (len(body), len(want),
             next(i for i, (a, b) in enumerate(zip(body, want)) if a != b) if body[:1] else 0))
print("NDJSON: %d read events, %d bytes, contiguous" % (len(evs), len(got)))
PY

echo "--- text"
"$TLSTAP" trace -v -o "$T/big.txt" -- curl -sk --http1.1 -o "$T/got.txt" "$URL" 2>"$T/big.txt.err" ||
	{ cat "$T/big.txt.err"; fail "traced curl (text)"; }
cmp "$T/www/big.bin" "$T/got.txt" || fail "curl's download differs"
check_counters_zero "$T/big.txt" ringbuf_drops truncated_bytes scratch_busy_drops
PID=$(traced_pid "$T/big.txt")
python3 "$E2E_DIR/rawtext.py" "$T/big.txt" "$PID" read >"$T/text.read" || fail "text unreadable"
"$PYTHON3" - "$T/text.read" "$T/www/big.bin" <<'PY' || fail "text is not the download"
import sys
got, want = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
body = got[got.index(b"\r\n\r\n") + 4:]
if body != want:
    sys.exit("body: %d bytes, expected %d" % (len(body), len(want)))
print("text: %d bytes read, the body exact" % len(got))
PY
echo "--- a Go server receiving and sending 64 MiB"
V=$(go_versions | tail -n1)
start_go_server "$GO_TD/$V/tlsserver-default" -http2=false
# The server answers with ONE Write of 64 MiB: all of it is emitted in one
# go, so the ring buffer must hold it whole (the default absorbs bursts of
# 32 MiB, 100 ms at 300 MB/s).
start_trace "$T/go.json" --max-bytes 1073741824 --buffer-size 128M -p "$SRV_PID"
curl -sk --http1.1 --data-binary "@$T/www/big.bin" -o "$T/echo" \
	"https://127.0.0.1:$SRV_PORT/echo" || fail "curl POST"
stop_trace "$T/go.json"
check_counters_zero "$T/go.json" ringbuf_drops truncated_bytes scratch_busy_drops
py_check "$T/go.json" "$SRV_PID" "$T/www/big.bin" <<'PY' || fail "Go server's trace"
import sys, events
path, pid, want = sys.argv[1], int(sys.argv[2]), open(sys.argv[3], "rb").read()

def stream(d):
    evs = [e for e in events.load_events(path) if e["pid"] == pid and e["dir"] == d]
    end = None
    for e in evs:
        if end is not None and e["stream_off"] != end:
            sys.exit("%s: hole at stream_off %d (expected %d)" % (d, e["stream_off"], end))
        end = e["stream_off"] + len(e["data"])
    return b"".join(e["data"] for e in evs)

def dechunk(b):
    out, pos = bytearray(), 0
    while True:
        eol = b.index(b"\r\n", pos)
        n = int(b[pos:eol].split(b";")[0], 16)
        if n == 0:
            return bytes(out)
        out += b[eol + 2:eol + 2 + n]
        pos = eol + 2 + n + 2

req, resp = stream("read"), stream("write")
# curl asks for "100 Continue" before a large body.
if resp.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"):
    resp = resp[len(b"HTTP/1.1 100 Continue\r\n\r\n"):]
if req[req.index(b"\r\n\r\n") + 4:] != want:
    sys.exit("request body in the server's reads is not the file")
body = resp[resp.index(b"\r\n\r\n") + 4:]
if b"Transfer-Encoding: chunked" in resp[:resp.index(b"\r\n\r\n")]:
    body = dechunk(body)
if body != b"echo /echo\n" + want:
    sys.exit("response body in the server's writes is not the echo")
print("Go server: %d bytes read, %d written, exact and contiguous" % (len(req), len(resp)))
PY

# The smallest ring buffer still wakes the reader before it fills: with a
# wakeup mark at or above the buffer's size the reader ran only on its poll
# timeout, and a steady stream of small calls lost 91% of its records.
echo "--- --buffer-size 64K"
go_testdata "$V" tlsbench-default
run_trace "$T/small.json" --buffer-size 64K -f json -- "$GO_BIN/tlsbench-default" -n 4000 ||
	{ cat "$T/small.json.err"; fail "traced tlsbench"; }
ev=$(trace_counter "$T/small.json" events)
dr=$(trace_counter "$T/small.json" ringbuf_drops)
echo "events=$ev ringbuf_drops=$dr"
[ "${ev:-0}" -gt 0 ] && [ "${dr:-x}" -lt $(((ev + dr) / 2)) ] ||
	fail "--buffer-size 64K: $dr of $((ev + dr)) records dropped"
echo PASS
