#!/usr/bin/env bash
# Node carries OpenSSL statically and drives it through memory BIOs: its
# SSL_read/SSL_write make no socket syscall (libuv does the I/O later).
# tlstap must still show the plaintext and the pid, with attribution none and
# no tuple: never a guessed one.
source "$(dirname "$0")/lib.sh"
need_cmd node
T=$E2E_TMP
start_openssl_server s_server -www -quiet
port=$SRV_PORT

run_trace "$T/trace.json" -- node "$E2E_REPO/testdata/js/https_get.js" "$port" /from-node-e2e \
	>"$T/node.out" || fail "node under tlstap: $(cat "$T/node.out" "$T/trace.json.err")"
cat "$T/node.out"
lport=$(awk '{ print $2 }' "$T/node.out")
[ -n "$lport" ] && [ "$lport" != undefined ] || fail "node did not print its port"

py_check "$T/trace.json" "$lport" "$port" <<'PY' || fail "node events"
import sys
import events
path, lport, rport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
calls = events.load_calls(path)
if not calls:
    sys.exit("no event from node")
for c in calls:
    if c["lib"] != "openssl":
        sys.exit("lib %r: %s" % (c["lib"], events.describe(c)))
    # No tuple, or the true one: never another connection's.
    if c.get("lport") is not None and (c["lport"], c["rport"]) != (lport, rport):
        sys.exit("guessed tuple: %s" % events.describe(c))
w = [c for c in calls if c["dir"] == "write" and b"GET /from-node-e2e HTTP/1.1" in c["data"]]
if not w:
    sys.exit("the request is not in node's writes")
if any(c["attribution"] != "none" for c in w):
    sys.exit("memory-BIO write not attributed none: %s" % events.describe(w[0]))
r = b"".join(c["data"] for c in calls if c["dir"] == "read")
if b"HTTP/1.0 200 ok" not in r:
    sys.exit("the response is not in node's reads")
print("node: %d calls, attributions %s" % (len(calls), sorted({c["attribution"] for c in calls})))
PY
check_no_probes_left
echo PASS
