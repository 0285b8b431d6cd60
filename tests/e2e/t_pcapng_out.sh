#!/usr/bin/env bash
# The pcapng output's edges.  "-w -" is a live stream: tshark reading
# tlstap's stdout as a capture (what "| wireshark -k -i -" does) shows each
# request while tlstap still runs.  A pcapng file is 0600 (an existing one
# is set to 0600), never written through a symbolic link; -w and -o cannot
# both be stdout.  A write error stops tlstap with one line: a full device
# (/dev/full: trace and replay, exit 1), a full file system (a 256 KiB
# tmpfs: the file is cut back to whole blocks, tshark reads it with no
# complaint; -o's NDJSON and text to whole lines), a reader that closes the pipe (one line, for trace and
# replay).
source "$(dirname "$0")/lib.sh"
need_cmd nginx curl tshark unshare
T=$E2E_TMP
pcapng_site

# one_error_line ERRFILE PATTERN: exactly one line of ERRFILE is not the counters, and it matches.
one_error_line() {
	grep -v '^tlstap: \(events\|stream_conns\)=' "$1" | grep -v 'probes in\|^tlstap: pid\|socket attribution' >"$1.lines"
	[ "$(wc -l <"$1.lines")" = 1 ] && grep -q -- "$2" "$1.lines" ||
		{ cat "$1" >&2; fail "expected one line matching '$2' in $(basename "$1")"; }
	echo "one line: $(cat "$1.lines")"
}

echo "--- -w - | tshark -i -: requests show while tlstap runs"
mkfifo "$T/pipe"
tshark -l -i - -T fields -e http.request.uri <"$T/pipe" >"$T/live" 2>"$T/live.err" &
TS=$!
kill_at_exit "$TS"
"$TLSTAP" trace -v -w - -o "$T/live.json" -f json -p "$NGX_PID" >"$T/pipe" 2>"$T/live.trace.err" &
TR=$!
kill_at_exit "$TR"
wait_for "$T/live.trace.err" "probes in" 1 20
for i in 1 2 3; do
	curl --http1.1 --cacert "$T/cert.pem" -s -o /dev/null "$U/live/$i" || fail "curl $i"
	wait_for "$T/live" "^/live/$i\$" 1 10
done
kill -0 "$TR" || fail "tlstap is not running any more"
kill -INT "$TR"
wait "$TR" || { cat "$T/live.trace.err"; fail "tlstap trace -w - exited $?"; }
wait_gone "$TS" 10 || fail "tshark did not see the end of the stream"
check_no_probes_left "$TR"

echo "--- modes, links, usage"
umask 022
echo old >"$T/old.pcapng"
chmod 644 "$T/old.pcapng"
"$TLSTAP" replay -w "$T/old.pcapng" -o /dev/null "$T/live.json" 2>/dev/null || fail "replay"
[ "$(stat -c %a "$T/old.pcapng")" = 600 ] || fail "existing file left $(stat -c %a "$T/old.pcapng")"
[ "$(tshark -r "$T/old.pcapng" -Y http.request 2>/dev/null | wc -l)" = 3 ] || fail "replayed"
echo secret >"$T/victim"
ln -s "$T/victim" "$T/link.pcapng"
"$TLSTAP" replay -w "$T/link.pcapng" "$T/live.json" >/dev/null 2>"$T/err" && fail "wrote via link"
grep -q "symbolic link" "$T/err" || fail "no reason: $(cat "$T/err")"
[ "$(cat "$T/victim")" = secret ] || fail "the link's target was written"
"$TLSTAP" trace -w - -o - -p 1 >/dev/null 2>"$T/err"
[ $? = 2 ] && grep -q "both write to stdout" "$T/err" || fail "-w - -o -: $(cat "$T/err")"
"$TLSTAP" replay -w - --http "$T/live.json" >/dev/null 2>"$T/err"
[ $? = 2 ] && grep -q "give -o FILE" "$T/err" || fail "-w - --http: $(cat "$T/err")"

echo "--- /dev/full: one line, exit 1"
"$TLSTAP" replay -w /dev/full -o /dev/null "$T/live.json" 2>"$T/full.err"
[ $? = 1 ] || fail "replay -w /dev/full: exit status"
one_error_line "$T/full.err" "pcapng /dev/full: No space left on device"
start=$(date +%s)
timeout 30 "$TLSTAP" trace -w /dev/full -o /dev/null -- sleep 20 2>"$T/tfull.err"
rc=$?
[ $rc = 1 ] || { cat "$T/tfull.err"; fail "trace -w /dev/full: exit $rc"; }
[ $(($(date +%s) - start)) -lt 15 ] || fail "trace -w /dev/full did not stop"
one_error_line "$T/tfull.err" "pcapng /dev/full: No space left on device"

echo "--- a full file system: the capture so far stays whole"
py_check "$T/big.json" <<'PY' || fail "big.json"
import base64, json, sys
with open(sys.argv[1], "w") as f:
    for i in range(200):
        d = bytes((i + j) % 256 for j in range(16384))
        f.write(json.dumps({"time_ns": 1700000000000000000 + i * 1000, "pid": 7, "tid": 7,
            "comm": "big", "lib": "openssl", "dir": "read", "len": 16384,
            "laddr": "10.0.0.1", "lport": 40000, "raddr": "10.0.0.2", "rport": 8443,
            "attribution": "syscall-fd", "truncated": False, "fd": 3, "conn": 1,
            "chunk_off": 0, "stream_off": i * 16384, "more": False,
            "data": base64.b64encode(d).decode()}) + "\n")
PY
mkdir -p "$T/small"
unshare -m sh -c 'mount -t tmpfs -o size=256k tlstap-e2e "$1" &&
	"$2" replay -w "$1/x.pcapng" -o /dev/null "$3" 2>"$4"; echo $? >"$4.rc";
	cp "$1/x.pcapng" "$5"' sh "$T/small" "$TLSTAP" "$T/big.json" "$T/tmpfs.err" "$T/x.pcapng"
[ "$(cat "$T/tmpfs.err.rc")" = 1 ] || { cat "$T/tmpfs.err"; fail "replay into a full tmpfs: exit"; }
one_error_line "$T/tmpfs.err" "No space left on device"
tshark -r "$T/x.pcapng" >"$T/x.txt" 2>"$T/x.err"
grep -v "Running as user" "$T/x.err" >"$T/x.err2"
[ ! -s "$T/x.err2" ] || fail "tshark on the cut capture: $(cat "$T/x.err2")"
n=$(wc -l <"$T/x.txt")
echo "$n whole packets in $(stat -c %s "$T/x.pcapng") bytes"
[ "$n" -gt 0 ] && [ "$n" -lt 200 ] || fail "$n packets in the cut capture"
# The events' own file (-o), NDJSON or text, is cut back to whole lines:
# replay reads the NDJSON back, every line of the text ends.
for f in json text; do
	unshare -m sh -c 'mount -t tmpfs -o size=256k tlstap-e2e "$1" &&
		"$2" replay -f "$6" -o "$1/x.out" "$3" 2>"$4"; echo $? >"$4.rc";
		cp "$1/x.out" "$5"' sh "$T/small" "$TLSTAP" "$T/big.json" "$T/o$f.err" "$T/x.$f" "$f"
	[ "$(cat "$T/o$f.err.rc")" = 1 ] || { cat "$T/o$f.err"; fail "replay -f $f into a full tmpfs: exit"; }
	one_error_line "$T/o$f.err" "output .*x.out: No space left on device; stopping (what was written before is whole)"
	[ -s "$T/x.$f" ] && [ "$(tail -c 1 "$T/x.$f" | od -An -c | tr -d ' ')" = '\n' ] ||
		fail "-f $f into a full tmpfs: not cut at a line's end ($(stat -c %s "$T/x.$f") bytes)"
done
"$TLSTAP" replay -f json -o /dev/null "$T/x.json" 2>"$T/xj.err" ||
	fail "the cut NDJSON does not replay: $(cat "$T/xj.err")"
echo "-o cut at whole lines: $(wc -l <"$T/x.json") NDJSON, $(wc -l <"$T/x.text") text"
# stdout may be a file others wrote too (here appended to): never cut.
unshare -m sh -c 'mount -t tmpfs -o size=256k tlstap-e2e "$1" && echo earlier >"$1/shared" &&
	"$2" replay -f json "$3" >>"$1/shared" 2>"$4"; echo $? >"$4.rc";
	cp "$1/shared" "$5"' sh "$T/small" "$TLSTAP" "$T/big.json" "$T/app.err" "$T/shared"
[ "$(cat "$T/app.err.rc")" = 1 ] || { cat "$T/app.err"; fail "replay >> a full tmpfs: exit"; }
one_error_line "$T/app.err" "output -: No space left on device; stopping$"
[ "$(head -n1 "$T/shared")" = earlier ] || fail "stdout appended to a file: its first line was cut"

echo "--- a closed pipe: one line"
"$TLSTAP" replay -w - "$T/big.json" 2>"$T/pipe.err" | head -c 1000 >/dev/null
one_error_line "$T/pipe.err" "pcapng -: the reader closed the pipe"
timeout 30 "$TLSTAP" trace -w - -- sleep 20 2>"$T/tpipe.err" | true
one_error_line "$T/tpipe.err" "pcapng -: the reader closed the pipe"
echo "PASS"
