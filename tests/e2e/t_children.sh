#!/usr/bin/env bash
# -p PID --children: a pre-forking server traced by its master's pid.  An
# nginx master with 2 TLS workers is traced with -p MASTER --children: the
# workers running at start are traced under their own pids; after a reload
# (SIGHUP: the master forks new workers, the old ones leave) a request
# served by a new worker is there too, under that worker's pid, with its
# exact tuple (curl's --local-port); the new workers are not held.  A
# second tracer given -p MASTER alone sees neither request: the master does
# no TLS.  Then a python tree: a -p process whose child has a child of its
# own at start; the grandchild's request is there under its pid, and the
# tracer ends by itself once the whole tree is gone.  No probe is left.
source "$(dirname "$0")/lib.sh"
need_cmd nginx curl
T=$E2E_TMP
start_nginx kids 2 tls 'return 200 "worker $pid\n";'
MASTER=$SRV_PID
OLD=("${NGINX_WORKERS[@]}")

start_trace "$T/kids.json" -p "$MASTER" --children
start_trace "$T/alone.json" -p "$MASTER"
for w in "${OLD[@]}"; do
	wait_for "$T/kids.json.err" "pid $w .*a descendant of a -p process, running at start" 1 20 ||
		fail "worker $w (running at start) not followed"
done

# request PATH: one HTTPS request from a chosen client port; echoes the port.
request() {
	local port
	port=$(free_port)
	curl -sk --http1.1 --local-port "$port" -o "$T/body" "https://127.0.0.1:$SRV_PORT$1" ||
		fail "curl $1"
	echo "$port"
}
PORT_A=$(request /before) || fail "curl /before"

kill -HUP "$MASTER"
NEW=()
for _ in $(seq 1 100); do
	NEW=()
	for w in $(pgrep -P "$MASTER"); do
		[[ " ${OLD[*]} " == *" $w "* ]] || NEW+=("$w")
	done
	[ "${#NEW[@]}" -ge 2 ] && break
	sleep 0.1
done
[ "${#NEW[@]}" -ge 2 ] || fail "nginx forked no new workers after SIGHUP"
for w in "${NEW[@]}"; do
	wait_for "$T/kids.json.err" "pid $w .*a descendant of a -p process, not held" 1 20 ||
		fail "new worker $w not followed, or held"
done
PORT_B=$(request /after) || fail "curl /after"
sleep 0.5
stop_trace "$T/kids.json" "$T/alone.json"

py_check "$T/kids.json" "$T/alone.json" "$SRV_PORT" "$PORT_A" "$PORT_B" "${OLD[*]}" "${NEW[*]}" <<'PY'
import sys
from events import load_events, CheckError
kids, alone = load_events(sys.argv[1]), load_events(sys.argv[2])
srv, pa, pb = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
old, new = set(map(int, sys.argv[6].split())), set(map(int, sys.argv[7].split()))
for port, path, workers, when in ((pa, b"/before", old, "at start"), (pb, b"/after", new, "after the reload")):
    reqs = [e for e in kids if e["dir"] == "read" and e["rport"] == port and path in e["data"]]
    if len(reqs) != 1:
        raise CheckError("request %s: %d events, not 1" % (path, len(reqs)))
    e = reqs[0]
    if e["pid"] not in workers:
        raise CheckError("request %s under pid %d, not a worker %s (%s)" % (path, e["pid"], sorted(workers), when))
    if e["lport"] != srv or e["attribution"] != "syscall-fd":
        raise CheckError("request %s: tuple or attribution wrong: %s" % (path, e))
    print("%s: pid %d (a worker %s), 127.0.0.1:%d <- :%d" % (path.decode(), e["pid"], when, srv, port))
if alone:
    raise CheckError("-p MASTER alone saw %d events" % len(alone))
PY
[ $? -eq 0 ] || fail "events"

echo "=== a python tree: a grandchild running at start"
start_openssl_server www -www
cat >"$T/tree.py" <<'PY'
import os, socket, ssl, sys, time
port, gate, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
if os.fork() == 0:
    if os.fork() == 0:
        with open(out, "w") as f:
            f.write("%d\n" % os.getpid())
        while not os.path.exists(gate):
            time.sleep(0.05)
        ctx = ssl._create_unverified_context()
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)))
        s.sendall(b"GET /grandchild HTTP/1.0\r\n\r\n")
        while s.recv(65536):
            pass
        os._exit(0)
    os.wait()
    os._exit(0)
os.wait()
PY
"$PYTHON3" "$T/tree.py" "$SRV_PORT" "$T/gate" "$T/gc.pid" &
TREE=$!
kill_at_exit "$TREE"
wait_for "$T/gc.pid" "^[0-9]"
GC=$(cat "$T/gc.pid")
start_trace "$T/tree.json" -p "$TREE" --children
wait_for "$T/tree.json.err" "pid $GC .*a descendant of a -p process, running at start" 1 20
touch "$T/gate"
# The tree ends by itself, and the tracer with it.
trace_status "$T/tree.json" || { cat "$T/tree.json.err"; fail "tracer of the tree exited $?"; }
py_check "$T/tree.json" "$GC" <<'PY' || fail "grandchild"
import sys
from events import load_events, CheckError
gc = int(sys.argv[2])
got = [e for e in load_events(sys.argv[1]) if e["dir"] == "write" and b"/grandchild" in e["data"]]
if len(got) != 1 or got[0]["pid"] != gc or got[0]["attribution"] != "syscall-fd":
    raise CheckError("the grandchild's request: %s" % got)
print("/grandchild: pid %d, a grandchild running at start" % gc)
PY
check_no_probes_left
echo PASS
