#!/usr/bin/env bash
# The `cache` attribution path: a client reads a 5 KB response 64 bytes at a
# time, so OpenSSL serves most SSL_read calls from its record buffer without
# a syscall.  Those events must carry the tuple learned by the call that did
# read from the socket (attribution cache, exact tuple), never a guess.
source "$(dirname "$0")/lib.sh"
T=$E2E_TMP
start_openssl_server s_server -www -quiet
port=$SRV_PORT

# The client waits for a line on its stdin: traced before it connects.
mkfifo "$T/go"
"$PYTHON3" "$E2E_REPO/testdata/py/small_reads_client.py" "$port" /cache-path 64 <"$T/go" \
	>"$T/client.out" 2>&1 &
client=$!
kill_at_exit $client
exec 3>"$T/go"
start_trace "$T/trace.json" -p "$client"
echo go >&3
exec 3>&-
wait "$client" || fail "client failed: $(cat "$T/client.out")"
stop_trace "$T/trace.json"
cat "$T/client.out"
lport=$(awk '{ print $2 }' "$T/client.out")
reads=$(awk '{ print $6 }' "$T/client.out")
[ "$reads" -gt 20 ] || fail "only $reads reads: the test did not exercise buffered reads"

events expect "$T/trace.json" --pid "$client" --dir write --contains "GET /cache-path" \
	--lport "$lport" --rport "$port" --attribution syscall-fd || fail "request"
# Every read on the exact tuple, by syscall-fd or cache, and some by cache.
py_check "$T/trace.json" "$client" "$lport" "$port" <<'PY' || fail "reads"
import sys
import events
path, pid, lport, rport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
reads = events.only(events.load_calls(path), pid=pid, dir="read")
by = {}
for c in reads:
    by[c["attribution"]] = by.get(c["attribution"], 0) + 1
    if c["lport"] != lport or c["rport"] != rport:
        sys.exit("read on a wrong tuple: %s" % events.describe(c))
print("reads by attribution:", by)
if by.get("cache", 0) < 10:
    sys.exit("fewer than 10 cache-attributed reads: %s" % by)
if set(by) - {"syscall-fd", "cache"}:
    sys.exit("unexpected attribution: %s" % by)
data = b"".join(c["data"] for c in reads)
if b"HTTP/1.0 200 ok" not in data or len(data) < 4000:
    sys.exit("response bytes incomplete: %d" % len(data))
PY
check_no_probes_left
echo PASS
