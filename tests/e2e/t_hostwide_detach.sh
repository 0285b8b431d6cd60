#!/usr/bin/env bash
# trace --all --detach-idle: a file no process maps any more is detached
# once it has been unused that long, and forgotten as an executable seen:
# its next process is held at exec, attached anew and traced from its first
# request.  A file still mapped by a process that is no target (forked
# without exec, its parent gone) stays attached, and that process traced.
#  - go-once, a fresh copy of the Go client, runs and exits: detached (no
#    link left on its file), then run again: attached again, both runs'
#    requests traced;
#  - python with its own copy of libssl forks and exits; the child, left
#    alone long past the idle time, then makes a request: the copy was kept
#    and the request is traced;
#  - the host's libssl, attached at start, is replaced on disk (by an
#    identical copy, renamed over it, as an upgrade does): the new file is
#    attached for the host at the next sweep, and a curl started then is
#    traced.  (The original file is put back at exit.)
source "$(dirname "$0")/lib.sh"
need_cmd curl python3 bpftool
T=$E2E_TMP
go_testdata "" tlsserver-stripped tlsclient-stripped
cp "$GO_BIN/tlsserver-stripped" "$T/go-server"
cp "$GO_BIN/tlsclient-stripped" "$T/go-once"
LIBSSL=$(python3 -c 'import _ssl; print(_ssl.__file__)' | xargs ldd | awk '/libssl\.so/ { print $3 }')
[ -f "$LIBSSL" ] || skip_unfixable "python's _ssl links no libssl"
mkdir -p "$T/lib"
cp "$LIBSSL" "$T/lib/"

start_go_server "$T/go-server"
PORT=$SRV_PORT

spawn_trace "$T/all" --all --hold-new --detach-idle 1
wait_for "$T/all.err" "^tlstap: --all: " 1 60

# links_on FILE: BPF links on FILE (bpftool names a uprobe_multi link's path).
links_on() {
	bpftool link show 2>/dev/null | grep -c -- "path $1\b" || true
}

# no_links_on FILE: wait (~10 s) until no link is on FILE: a link closed is
# freed after an RCU grace period, listed until then.
no_links_on() {
	local i
	for i in $(seq 100); do
		[ "$(links_on "$1")" -eq 0 ] && return 0
		sleep 0.1
	done
	return 1
}

go_once() {
	"$T/go-once" -addr "127.0.0.1:$PORT" -n 1 -http2=false -path "$1" >"$T/once.out" 2>&1 ||
		fail "go-once $1: $(tail -n2 "$T/once.out")"
}

echo "--- a program that ran once is detached, then attached again"
go_once /once-1
[ "$(links_on "$T/go-once")" -gt 0 ] || fail "go-once: no link on its file while attached"
wait_for "$T/all.err" "^tlstap: detach $T/go-once: no process has mapped it" 1 30
no_links_on "$T/go-once" || fail "go-once: $(links_on "$T/go-once") links left on its file after its detach"
grep "^tlstap: detach $T/go-once" "$T/all.err"
go_once /once-2
n=$(grep -c "^tlstap: pid [0-9]*: attach $T/go-once: " "$T/all.err")
[ "$n" -eq 2 ] || fail "go-once attached $n times, expected 2 (before and after its detach)"

echo "--- a file a forked process still maps stays"
GO=$T/go.flag
LD_LIBRARY_PATH=$T/lib python3 - "$PORT" "$GO" >"$T/forked.out" 2>&1 <<'PY' &
import os, socket, ssl, sys, time
port, go = int(sys.argv[1]), sys.argv[2]
child = os.fork()
if child:
    print("child", child, flush=True)
    sys.exit(0)  # the parent, a target, goes
while not os.path.exists(go):
    time.sleep(0.1)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
with ctx.wrap_socket(socket.create_connection(("127.0.0.1", port))) as s:
    s.sendall(b"GET /forked HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    while s.recv(65536):
        pass
print("forked child done", os.getpid())
PY
wait $! || fail "python parent"
CHILD=$(sed -n 's/^child //p' "$T/forked.out")
[ -n "$CHILD" ] || fail "python parent: $(cat "$T/forked.out")"
# Not our child (its parent is gone): killed at exit if still waiting.
kill_forked() {
	grep -qa go.flag "/proc/$CHILD/cmdline" 2>/dev/null && kill "$CHILD"
}
at_exit kill_forked
# Past the idle time and two sweeps: the copy of libssl is still attached.
sleep 12
! grep "^tlstap: detach $T/lib/" "$T/all.err" ||
	fail "the forked child's libssl was detached while it maps it"
[ "$(links_on "$T/lib/libssl.so.3")" -gt 0 ] || fail "no link left on the forked child's libssl"
touch "$GO"
wait_for "$T/forked.out" "^forked child done" 1 20

echo "--- the host's libssl replaced on disk"
HOSTSSL=$(sed -n 's/^tlstap: attach \(\/[^:]*\/libssl\.so\.3\): .*/\1/p' "$T/all.err" | head -n1)
[ -n "$HOSTSSL" ] && [ -f "$HOSTSSL" ] || fail "no host libssl.so.3 attached at start"
REAL=$(readlink -f "$HOSTSSL")
LIBDIR=$(dirname "$REAL")
[ -w "$LIBDIR" ] || skip_unfixable "$LIBDIR is not writable"
# The original stays linked under a name no library search or glob
# matches, and is put back at exit; the copy is identical (--preserve=all:
# mode, owner, times, xattrs).
ORIG=$LIBDIR/.tlstap-e2e-orig-$$
NEW=$LIBDIR/.tlstap-e2e-new-$$
put_back() {
	rm -f "$NEW"
	if [ "$ORIG" -ef "$REAL" ]; then
		rm -f "$ORIG"
	elif [ -e "$ORIG" ]; then
		mv -f "$ORIG" "$REAL"
	fi
}
at_exit put_back
ln "$REAL" "$ORIG" || fail "cannot link $REAL"
cp --preserve=all "$REAL" "$NEW" && mv -f "$NEW" "$REAL" || fail "cannot replace $REAL"
wait_for "$T/all.err" "^tlstap: $HOSTSSL is another file now" 1 30
wait_for "$T/all.err" "^tlstap: attach $HOSTSSL: " 2 10
curl -sk --http1.1 -o /dev/null "https://127.0.0.1:$PORT/upgraded" || fail "curl /upgraded"
put_back
sleep 1
stop_trace "$T/all"
stopped=$(ps -eo pid=,stat=,comm= | awk '$2 ~ /^T/')
[ -z "$stopped" ] || fail "processes left stopped: $stopped"

py_check "$T/all" <<'PY'
import sys, events
evs = events.load_events(sys.argv[1])
for path, comm in (("/once-1", "go-once"), ("/once-2", "go-once"), ("/forked", "python3"),
                   ("/upgraded", "curl")):
    needle = b"GET " + path.encode() + b" "
    c = [e for e in evs if needle in e["data"] and e["dir"] == "write" and e["comm"] == comm]
    if not c or any(e["lport"] is None for e in c):
        sys.exit("%s: %d request events of %s %s" % (path, len(c), comm,
                 [(e["lport"], e["attribution"]) for e in c]))
    print("%-8s traced: %s pid %d, %d -> %d" % (path, comm, c[0]["pid"], c[0]["lport"],
                                                  c[0]["rport"]))
PY
[ $? -eq 0 ] || fail "requests traced"
n=$(trace_counter "$T/all" objects_detached)
[ "${n:-0}" -ge 1 ] || fail "objects_detached=${n:-?}"
echo "objects_detached=$n"
check_counters_zero "$T/all" ringbuf_drops map_update_failures
check_no_probes_left
echo PASS
