#!/usr/bin/env bash
# A real Go binary from Debian: caddy (stripped, Go 1.19 in bookworm) serving
# HTTPS on 127.0.0.1 with its internal CA, traced with -p after it started;
# curl -k requests it over HTTP/1.1 and HTTP/2.
# Asserts: caddy's reads contain each HTTP/1.1 request exactly as curl sent
# it ("GET PATH HTTP/1.1", Host, User-Agent); its writes contain the response
# body for every request, HTTP/2 included; the tuple of each is
# 127.0.0.1:PORT <-> 127.0.0.1:<curl's local port> (curl -w
# '%{local_port}'); attribution go-memory; every event is caddy's pid; the
# tracer detaches cleanly (no probe left).
source "$(dirname "$0")/lib.sh"
need_cmd caddy curl
T=$E2E_TMP
start_caddy
CPID=$SRV_PID PORT=$SRV_PORT
echo "caddy $(caddy version | head -c 60), pid $CPID, port $PORT"
start_trace "$T/caddy.json" -p "$CPID"
grep "^tlstap: pid $CPID" "$T/caddy.json.err"

# N requests per protocol, each on its own curl (and so its own port).
: >"$T/reqs"
for proto in http1.1 http2; do
	for i in 1 2 3; do
		path=/caddy-$$-$proto-$i
		lport=$(curl -sk --$proto --max-time 10 -A "tlstap-e2e/$i" -o "$T/body" \
			-w '%{local_port} %{http_version}' "https://127.0.0.1:$PORT$path") ||
			fail "curl $path failed"
		grep -qx "caddy says $path" "$T/body" || fail "$path: caddy answered $(cat "$T/body")"
		echo "$path $proto $lport" >>"$T/reqs"
	done
done
cat "$T/reqs"
sleep 0.5
stop_trace "$T/caddy.json"
check_no_probes_left
events pids "$T/caddy.json" --allowed "$CPID" || fail "an event of another pid"
events summary "$T/caddy.json"
py_check "$T/caddy.json" "$T/reqs" "$PORT" <<'PY' || fail "caddy: see above"
import sys
import events
calls = events.load_calls(sys.argv[1])
port = int(sys.argv[3])
bad = []
for line in open(sys.argv[2]):
    path, proto, rest = line.split(None, 2)
    lport = int(rest.split()[0])
    tup = dict(laddr="127.0.0.1", lport=port, raddr="127.0.0.1", rport=lport,
               attributions=("go-memory",))
    checks = [("write", ("caddy says %s\n" % path).encode())]
    if proto == "http1.1":
        i = path.rsplit("-", 1)[1]
        req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: tlstap-e2e/%s\r\n"
               "Accept: */*\r\n\r\n" % (path, port, i)).encode()
        checks.append(("read", req))
    for d, want in checks:
        try:
            ms = events.expect_call(events.only(calls, dir=d), contains=want, **tup)
            print("ok %s %s: %s" % (path, d, events.describe(ms[0])))
        except events.CheckError as e:
            bad.append("%s %s: %s" % (path, d, e))
others = [c for c in calls if c.get("attribution") != "go-memory"]
if others:
    bad.append("%d calls not attributed go-memory, e.g. %s" % (len(others),
                                                              events.describe(others[0])))
for b in bad:
    print("FAIL: " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
echo "PASS"
