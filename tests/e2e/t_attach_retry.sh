#!/usr/bin/env bash
# A failed attach leaves nothing behind and is tried again.  The kernel's
# refusal is injected (TLSTAP_FAULT_ATTACH, test-only): a library whose first
# attach fails is attached at the next rescan and traced; a Go executable
# whose attach fails leaves no entry in go_objects (its layout) and does not
# stop the other process of the same tracer from being traced.
source "$(dirname "$0")/lib.sh"
need_cmd curl
T=$E2E_TMP
go_testdata "" tlsserver-default

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

start_python_https_server --log "$T/py.log"
PY=$SRV_PID port=$SRV_PORT

echo "--- a library whose first attach fails is attached at the next rescan"
TLSTAP_FAULT_ATTACH=libssl.so spawn_trace "$T/a.json" -p "$PY"
wait_for "$T/a.json.err" "libssl.so.3: .*injected.*(trying again)"
wait_for "$T/a.json.err" "attach .*libssl.so.3: openssl"
curl -sk "https://127.0.0.1:$port/retried" >/dev/null || fail "curl"
wait_for "$T/a.json" '"pid":'"$PY"
stop_trace "$T/a.json"
grep -q "$(printf '%s' 'GET /retried' | base64 | cut -c1-12)" "$T/a.json" ||
	fail "the request after the retried attach was not traced"

echo "--- a Go executable whose attach fails leaves no layout in go_objects"
start_go_server "$GO_BIN/tlsserver-default"
TLSTAP_FAULT_ATTACH=tlsserver-default spawn_trace "$T/b.json" -p "$SRV_PID" -p "$PY"
wait_for "$T/b.json.err" "pid $PY: attach .*libssl"
grep -q "pid $SRV_PID: .*injected" "$T/b.json.err" ||
	{ cat "$T/b.json.err"; fail "no failure for the Go server"; }
n=$(tracer_map_entries "$TRACE_PID" go_objects) || fail "go_objects not found"
[ "$n" -eq 0 ] || fail "go_objects holds $n entries after the failed attach"
curl -sk "https://127.0.0.1:$port/still-traced" >/dev/null || fail "curl"
wait_for "$T/b.json" '"pid":'"$PY"
stop_trace "$T/b.json"
echo PASS
