#!/usr/bin/env bash
# Node carries OpenSSL statically and drives it through memory BIOs: its
# SSL_read/SSL_write make no socket syscall (libuv does the I/O later).
# tlstap must still show the plaintext and the pid, with attribution none and
# no tuple: never a guessed one.
source "$(dirname "$0")/lib.sh"
need_cmd node
make_cert
port=$(free_port)
openssl s_server -accept "127.0.0.1:$port" -cert "$E2E_TMP/cert.pem" -key "$E2E_TMP/key.pem" \
	-www -quiet >"$E2E_TMP/server.log" 2>&1 &
bg_pid $!
wait_port "$port"

"$TLSTAP" trace -f json -o "$E2E_TMP/trace.json" -- node testdata/js/https_get.js "$port" \
	/from-node-e2e >"$E2E_TMP/node.out" 2>"$E2E_TMP/node.err" ||
	fail "node under tlstap: $(cat "$E2E_TMP/node.out" "$E2E_TMP/node.err")"
cat "$E2E_TMP/node.out"
lport=$(awk '{ print $2 }' "$E2E_TMP/node.out")
[ -n "$lport" ] && [ "$lport" != undefined ] || fail "node did not print its port"

"$PYTHON3" - "$E2E_TMP/trace.json" "$lport" "$port" <<'PY' || fail "node events"
import sys
sys.path.insert(0, "tests/e2e")
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
check_no_probes_left_shared
echo PASS
