#!/usr/bin/env bash
# A failed attach leaves nothing behind and is tried again.  The kernel's
# refusal is injected (TLSTAP_FAULT_ATTACH, test-only): a library whose first
# attach fails is attached at the next rescan and traced; a Go executable
# whose attach fails leaves no entry in go_objects (its layout) and does not
# stop the other process of the same tracer from being traced.
source "$(dirname "$0")/lib.sh"
[ -x "$TLSTAP" ] || fail "$TLSTAP not built"
T=$E2E_TMP
V=$(go_versions | tail -n1)
make_cert

# tracer_map_entries PID NAME: entries of the map NAME held by tracer PID
# (its map fds are in /proc/PID/fdinfo).
tracer_map_entries() {
	"$PYTHON3" -c '
import glob, json, subprocess, sys
pid, name = sys.argv[1], sys.argv[2]
for fi in glob.glob("/proc/%s/fdinfo/*" % pid):
    try:
        info = dict(l.split(":", 1) for l in open(fi) if ":" in l)
    except OSError:
        continue
    if "map_id" not in info:
        continue
    mid = info["map_id"].strip()
    show = json.loads(subprocess.run(["bpftool", "map", "show", "id", mid, "-j"],
                                     capture_output=True, text=True, check=True).stdout)
    if show.get("name") != name:
        continue
    out = subprocess.run(["bpftool", "map", "dump", "id", mid, "-j"],
                         capture_output=True, text=True, check=True).stdout
    print(len(json.loads(out)))
    sys.exit(0)
sys.exit("no map %s held by %s" % (name, pid))' "$1" "$2"
}

port=$(free_port)
"$PYTHON3" testdata/py/https_server.py --port "$port" --cert "$T/cert.pem" --key "$T/key.pem" \
	--log "$T/py.log" >"$T/py.out" 2>&1 &
PY=$!
bg_pid $PY
wait_port "$port"

echo "--- a library whose first attach fails is attached at the next rescan"
TLSTAP_FAULT_ATTACH=libssl.so "$TLSTAP" trace -v -f json -o "$T/a.json" -p "$PY" 2>"$T/a.err" &
TRACE_PID=$!
bg_pid $TRACE_PID
wait_for "$T/a.err" "libssl.so.3: .*injected.*(trying again)"
wait_for "$T/a.err" "attach .*libssl.so.3: openssl"
curl -sk "https://127.0.0.1:$port/retried" >/dev/null || fail "curl"
wait_for "$T/a.json" '"pid":'"$PY"
stop_trace "$T/a"
grep -q "$(printf '%s' 'GET /retried' | base64 | cut -c1-12)" "$T/a.json" ||
	fail "the request after the retried attach was not traced"

echo "--- a Go executable whose attach fails leaves no layout in go_objects"
start_go_server "$GO_TD/$V/tlsserver-default"
TLSTAP_FAULT_ATTACH=tlsserver-default "$TLSTAP" trace -v -f json -o "$T/b.json" \
	-p "$SRV_PID" -p "$PY" 2>"$T/b.err" &
TRACE_PID=$!
bg_pid $TRACE_PID
wait_for "$T/b.err" "pid $PY: attach .*libssl"
grep -q "pid $SRV_PID: .*injected" "$T/b.err" || { cat "$T/b.err"; fail "no failure for the Go server"; }
n=$(tracer_map_entries "$TRACE_PID" go_objects) || fail "go_objects not found"
[ "$n" -eq 0 ] || fail "go_objects holds $n entries after the failed attach"
curl -sk "https://127.0.0.1:$port/still-traced" >/dev/null || fail "curl"
wait_for "$T/b.json" '"pid":'"$PY"
stop_trace "$T/b"
echo PASS
