#!/usr/bin/env bash
# trace --all: every process of the host, present and future, attached once
# per file.  One tracer, started first; then, all started after it:
#  - a stripped Go server and a stripped Go client (fresh copies: files the
#    tracer has never seen) and curl: both sides of each connection, the
#    client's bytes on the mirror of the server's tuple;
#  - curl in its own pid and mount namespaces (unshare), the Go client run
#    from a tmpfs only that mount namespace has: its pid inside the namespace
#    is reported, its binary resolved through its own root;
#  - curl in a cgroup shaped like a Kubernetes pod's container: the pod UID
#    and container id are on its events and in its pcapng packets' comments;
#  - the Go client run from two overlay mounts sharing one lower layer (two
#    containers of one image): one attach serves both, both traced;
#  - 100 curls at once, each traced from its first request;
#  - 200 processes that map one libssl: still one attach of it; no file is
#    attached twice; the Go binary's attach latency is printed.
# That tracer holds new programs at exec (--hold-new): processes_held > 0,
# and none is left stopped.  A tracer killed (SIGKILL) while it holds a
# process leaves its guardian to release it.
# Then the filters, each in its own --all run: --comm, --port, --exe and
# --cgroup keep exactly what they name, the rest counted by filter.  Every
# tracer exits 0 and leaves no BPF program behind.
source "$(dirname "$0")/lib.sh"
need_cmd curl openssl unshare tshark
T=$E2E_TMP
go_testdata "" tlsserver-stripped tlsclient-stripped
cp "$GO_BIN/tlsserver-stripped" "$T/go-server"
cp "$GO_BIN/tlsclient-stripped" "$T/go-client"
make_cert

CG_ROOT=$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
[ -n "$CG_ROOT" ] || skip_unfixable "no cgroup v2 hierarchy mounted"
POD_UID=4b7c0f1e-2a3d-4e5f-8a9b-0c1d2e3f4a5b
CTR_ID=$(printf '%s' "tlstap-e2e-$$" | sha256sum | cut -c1-64)
POD_DIR=/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${POD_UID//-/_}.slice
CG=$POD_DIR/cri-containerd-$CTR_ID.scope
cleanup_cgroup() {
	local d=$CG_ROOT$CG
	while [ "$d" != "$CG_ROOT" ]; do
		rmdir "$d" 2>/dev/null
		d=$(dirname "$d")
	done
}
at_exit cleanup_cgroup
mkdir -p "$CG_ROOT$CG" || skip_unfixable "cannot create a cgroup under $CG_ROOT"

# Two "containers" of one image: overlay mounts over one lower layer.
OVL=$T/ovl
mkdir -p "$OVL"/{lower,u1,w1,u2,w2,m1,m2}
cp "$GO_BIN/tlsclient-stripped" "$OVL/lower/ovl-client"
cleanup_overlays() {
	umount "$OVL/m1" "$OVL/m2" 2>/dev/null
}
at_exit cleanup_overlays
for i in 1 2; do
	mount -t overlay "tlstap-e2e-$i" \
		-o "lowerdir=$OVL/lower,upperdir=$OVL/u$i,workdir=$OVL/w$i" "$OVL/m$i" ||
		skip_unfixable "cannot mount overlayfs"
done

# all_trace OUT ARGS...: trace --all, returns once every process of the host is attached.
all_trace() {
	spawn_trace "$1" --all "${@:2}"
	wait_for "$1.err" "^tlstap: --all: " 1 60
}

# in_pod CMD...: CMD in the pod's container cgroup.
in_pod() {
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG_ROOT$CG" "$@"
}

# wait_for_jobs: wait for the background jobs but the tracer and the server.
wait_for_jobs() {
	local p
	for p in $(jobs -p); do
		[ "$p" = "$TRACE_PID" ] || [ "$p" = "$SRV_PID" ] || wait "$p" || fail "a background job failed"
	done
}

curl_get() {
	curl -sk --http1.1 -o /dev/null -w '%{http_code}\n' "https://127.0.0.1:$1$2"
}

echo "--- one tracer for the host, new programs held until attached"
all_trace "$T/all" --stats --hold-new -w "$T/all.pcapng"
start_go_server "$T/go-server"
GO_PORT=$SRV_PORT
[ "$(curl_get "$GO_PORT" /curl-1)" = 200 ] || fail "curl /curl-1"
"$T/go-client" -addr "127.0.0.1:$GO_PORT" -n 3 -http2=false -path /go-1 >"$T/go-client.out" 2>&1 ||
	fail "go client: $(tail -n2 "$T/go-client.out")"
mkdir -p "$T/nsroot"
unshare -p -f -m --mount-proc sh -c '
	mount -t tmpfs tlstap-e2e "$1" && cp "$2" "$1/ns-client" &&
	"$1/ns-client" -addr "127.0.0.1:$3" -n 1 -http2=false -path /ns-go &&
	exec curl -sk --http1.1 -o /dev/null "https://127.0.0.1:$3/ns-curl"' \
	sh "$T/nsroot" "$T/go-client" "$GO_PORT" >"$T/ns.out" 2>&1 || fail "in namespaces: $(cat "$T/ns.out")"
in_pod curl -sk --http1.1 -o /dev/null "https://127.0.0.1:$GO_PORT/pod-curl" || fail "curl in the pod"
for i in 1 2; do
	"$OVL/m$i/ovl-client" -addr "127.0.0.1:$GO_PORT" -n 1 -http2=false -path "/ovl-$i" \
		>"$T/ovl-$i.out" 2>&1 || fail "overlay client $i: $(tail -n2 "$T/ovl-$i.out")"
done
for i in $(seq 1 100); do
	curl -sk --http1.1 -o /dev/null "https://127.0.0.1:$GO_PORT/burst-$i" &
done
wait_for_jobs
for i in $(seq 1 200); do
	openssl version >/dev/null &
	[ $((i % 25)) -eq 0 ] && wait_for_jobs
done
wait_for_jobs
sleep 1
stop_trace "$T/all"
stopped=$(ps -eo pid=,stat=,comm= | awk '$2 ~ /^T/')
[ -z "$stopped" ] || fail "processes left stopped: $stopped"

py_check "$T/all" "$GO_PORT" "$POD_UID" "$CTR_ID" "$CG" <<'PY'
import collections, sys, events
trace, port, pod_uid, ctr, cg = sys.argv[1], int(sys.argv[2]), *sys.argv[3:]
evs = events.load_events(trace)
def with_path(path, side):
    needle = b"GET " + path.encode() + b" "
    return [e for e in evs if needle in e["data"] and
            (e["dir"] == "write") == (side == "client")]
def one_tuple(label, es):
    tuples = {(e["pid"], e["lport"], e["rport"]) for e in es}
    if len(tuples) != 1 or None in next(iter(tuples)):
        sys.exit("%s: tuples %s" % (label, tuples))
    return next(iter(tuples))
# Both sides of each connection, client and server started after --all.
for path, comm in (("/curl-1", "curl"), ("/go-1", "go-client"), ("/ns-go", "ns-client"),
                   ("/ns-curl", "curl"), ("/pod-curl", "curl"), ("/ovl-1", "ovl-client"),
                   ("/ovl-2", "ovl-client")):
    c = [e for e in with_path(path, "client") if e["comm"] == comm]
    s = [e for e in with_path(path, "server") if e["comm"] == "go-server"]
    if not c or not s:
        sys.exit("%s: %d client (%s) and %d server events" % (path, len(c), comm, len(s)))
    cp, cl, cr = one_tuple(path + " client", c)
    sp, sl, sr = one_tuple(path + " server", s)
    if cr != port or (sl, sr) != (cr, cl) or cp == sp:
        sys.exit("%s: client %s:%s, server %s:%s" % (path, cl, cr, sl, sr))
    print("%-9s %-9s pid %-7d %5d -> %d, mirrored by the server" % (path, comm, cp, cl, cr))
    if path.startswith("/ns-"):
        ns = {e["ns_pid"] for e in c}
        # curl is exec'd by the namespace's pid 1 (sh); the Go client is its child.
        want = {1} if path == "/ns-curl" else set(range(2, 10))
        if len(ns) != 1 or not ns <= want or cp in ns:
            sys.exit("%s: ns_pid %s, pid %d" % (path, ns, cp))
        print("          in its own pid namespace: ns_pid %s" % sorted(ns))
    if path == "/pod-curl":
        got = {(e["pod_uid"], e["container"], e["cgroup"]) for e in c}
        if got != {(pod_uid, ctr, cg)}:
            sys.exit("pod curl: %s" % got)
        print("          pod %s container %s..." % (pod_uid, ctr[:12]))
# The burst: every curl traced from its first request, each its own pid.
pids = set()
for i in range(1, 101):
    c = [e for e in with_path("/burst-%d" % i, "client") if e["comm"] == "curl"]
    if not c or any(e["lport"] is None or e["rport"] != port for e in c):
        sys.exit("burst %d: %d events %s" % (i, len(c), [(e["lport"], e["rport"]) for e in c]))
    r = [e for e in evs if e["pid"] == c[0]["pid"] and e["dir"] == "read" and
         e["lport"] == c[0]["lport"]]
    if not r:
        sys.exit("burst %d: no response read" % i)
    pids.add(c[0]["pid"])
if len(pids) != 100:
    sys.exit("burst: %d distinct pids" % len(pids))
print("burst: 100 curls, 100 pids, each request and response on its connection")
PY
[ $? -eq 0 ] || fail "the --all trace"
check_counters_zero "$T/all" ringbuf_drops map_update_failures
# The pcapng's comments carry the origin too.
c=$(tshark -r "$T/all.pcapng" -Y "frame.comment contains \"pod=$POD_UID\"" -T fields \
	-e frame.comment 2>/dev/null | head -n1)
case $c in
*"comm=curl"*"pod=$POD_UID container=$CTR_ID cgroup=$CG"*) echo "pcapng comment: ${c:0:60}..." ;;
*) fail "pcapng: no packet of the pod's curl with its origin (${c:-none})" ;;
esac
# One attach per file: no path twice, libssl once for the 200 openssl processes
# and every curl; the attach latency of the new Go binaries.
# ("tlstap: attach F" for the host's libraries at start, "tlstap: pid N: attach F" later)
attached=$(sed -En 's/^tlstap: (pid [0-9]+: )?attach ([^:]*): .*/\2/p' "$T/all.err")
dups=$(echo "$attached" | xargs -r -n1 readlink -f | sort | uniq -d)
[ -z "$dups" ] || fail "attached twice: $dups"
n=$(echo "$attached" | grep -c "/libssl\.so[.0-9]*$")
[ "$n" -eq 1 ] || fail "libssl attached $n times"
o=$(echo "$attached" | grep -c "/ovl-client$")
[ "$o" -eq 1 ] || fail "the overlay client's file attached $o times for two mounts of one layer"
seen=$(trace_counter "$T/all" processes_seen)
[ "${seen:-0}" -ge 300 ] || fail "processes_seen=${seen:-?}, expected >= 300"
held=$(trace_counter "$T/all" processes_held)
[ "${held:-0}" -ge 3 ] || fail "processes_held=${held:-?}: --hold-new held no new program"
echo "processes_seen=$seen objects_attached=$(trace_counter "$T/all" objects_attached)," \
	"libssl attached $n time(s)"
grep -E "^tlstap: pid [0-9]* \(.*/(go-server|go-client|ns-client)\): probes live" "$T/all.err" ||
	fail "no attach latency of the new Go binaries"
echo "attach latency p50 $(trace_counter "$T/all" attach_latency_p50_us) us," \
	"p99 $(trace_counter "$T/all" attach_latency_p99_us) us"

# filtered TRACE KEY VALUE COUNTER PATH...: every event of TRACE has KEY=VALUE,
# each PATH's exchange is among them (the filter kept what it names), and
# COUNTER says the rest was dropped.
filtered() {
	py_check "$@" <<'PY'
import sys, events
trace, key, value = sys.argv[1:4]
paths = sys.argv[5:]
evs = events.load_events(trace)
if not evs:
    sys.exit("no events")
if key == "port":
    bad = [e for e in evs if int(value) not in (e["lport"], e["rport"])]
else:
    bad = [e for e in evs if str(e[key]) != value]
if bad:
    sys.exit("%d of %d events outside %s=%s, e.g. %s" % (len(bad), len(evs), key, value,
             {k: bad[0][k] for k in ("comm", "pid", "lport", "rport", key) if k in bad[0]}))
data = b"".join(e["data"] for e in evs)
# The Go server answers "echo PATH" (HTTP/1.1 or HTTP/2: a DATA frame's bytes).
missing = [p for p in paths if b"echo %s\n" % p.encode() not in data]
if missing:
    sys.exit("%s=%s kept no answer for %s" % (key, value, " ".join(missing)))
print("%s=%s: %d events, all of it, with %s" % (key, value, len(evs), " ".join(paths)))
PY
	[ $? -eq 0 ] || fail "filter $2"
	n=$(trace_counter "$1" "$4")
	[ "${n:-0}" -gt 0 ] || fail "$4=${n:-?}: nothing was filtered"
	echo "  $4=$n"
}

# traffic: curl and the Go client to the Go server, curl in the pod, curl to nginx-less port 2.
traffic() {
	curl_get "$GO_PORT" /f-curl >/dev/null
	"$T/go-client" -addr "127.0.0.1:$GO_PORT" -n 2 -path /f-go >/dev/null 2>&1
	in_pod curl -sk --http1.1 -o /dev/null "https://127.0.0.1:$GO_PORT/f-pod"
	curl_get "$PORT2" /f-other >/dev/null
	"$T/go-client" -addr "127.0.0.1:$PORT2" -n 1 -path /f-go-other >/dev/null 2>&1
}
start_go_server "$GO_BIN/tlsserver-stripped"
PORT2=$SRV_PORT

echo "--- --comm curl"
sleep 60 &
EXCLUDED=$!
kill_at_exit "$EXCLUDED"
all_trace "$T/comm" --comm curl
traffic
kill "$EXCLUDED"
wait "$EXCLUDED" 2>/dev/null
# 100 short processes the filter excludes: watched quietly, their entries
# gone with them (doctor finds no process-gone entry in watch).
for i in $(seq 100); do /bin/true; done
run_doctor "${TRACER_OF[$T/comm]}" "$T/comm.doctor" --recheck-delay 1 ||
	fail "doctor on the --comm tracer: $(cat "$T/comm.doctor.err") $(head -c 600 "$T/comm.doctor")"
echo "doctor on the --comm tracer: $(sed -n 's/.*"leaked": *\([0-9]*\).*/leaked \1/p' "$T/comm.doctor" | head -n1)"
stop_trace "$T/comm"
filtered "$T/comm" comm curl filtered_comm /f-curl /f-pod /f-other
# Nor is its exit output: exactly the exits of the processes the filter let
# through (a sleep that ran before the start, and ended during the trace,
# once was; and the tracer's own bookkeeping of a new curl must not make
# it lose its exit).
py_check "$T/comm" "$EXCLUDED" <<'PY' || fail "--comm curl: the exit of an excluded process"
import json, sys
exits, curls = set(), set()
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event") == "exit":
        exits.add(e["pid"])
    elif "comm" in e and e["comm"] == "curl":
        curls.add(e["pid"])
if int(sys.argv[2]) in exits or exits != curls:
    sys.exit("exits of %s, curl pids %s" % (sorted(exits), sorted(curls)))
print("--comm curl: %d exits, all of curl processes" % len(exits))
PY
# A process the filters exclude costs no record: the Go client's new
# executable is not even attached.
! grep -q "attach $T/go-client" "$T/comm.err" ||
	fail "--comm curl: the filtered go-client was attached"

echo "--- --port $PORT2"
all_trace "$T/port" --port "$PORT2"
traffic
stop_trace "$T/port"
filtered "$T/port" port "$PORT2" filtered_port /f-other /f-go-other

echo "--- --exe go-client"
# Held at its first exec (it is new) so that its first requests are seen;
# nothing else is held: the filter excludes it.
all_trace "$T/exe" --exe "$T/go-client" --hold-new
traffic
stop_trace "$T/exe"
filtered "$T/exe" comm go-client filtered_exe /f-go /f-go-other
grep -q "attach $T/go-client" "$T/exe.err" || fail "--exe go-client: go-client not attached"

echo "--- --cgroup (the pod)"
all_trace "$T/cgroup" --cgroup "$POD_DIR"
traffic
stop_trace "$T/cgroup"
filtered "$T/cgroup" pod_uid "$POD_UID" filtered_cgroup /f-pod

echo "--- SIGKILL while a process is held: the guardian releases it"
cp /bin/true "$T/held-true"
TLSTAP_FAULT_RELEASE_MS=4000 "$TLSTAP" trace --all --hold-new -v -o /dev/null 2>"$T/kill.err" &
KILLED=$!
kill_at_exit "$KILLED"
wait_for "$T/kill.err" "^tlstap: --all: " 1 60
"$T/held-true" &
HELD=$!
# Every new executable is held while this tracer runs (4 s each with the
# fault delay), the checks' own included: until the release, only bash
# builtins look at held-true's state and wait.
exec {nap}<> <(:)
held_state() {
	local line
	read -r line 2>/dev/null <"/proc/$HELD/stat" || { echo gone; return; }
	line=${line##*) }
	echo "${line%% *}"
}
for ((i = 0; i < 50; i++)); do
	[ "$(held_state)" = T ] && break
	read -r -t 0.05 -u "$nap" _
done
[ "$(held_state)" = T ] || fail "held-true was not held at its exec"
kill -KILL "$KILLED"
wait "$KILLED" 2>/dev/null
for ((i = 0; i < 50; i++)); do
	[ "$(held_state)" = T ] || break
	read -r -t 0.1 -u "$nap" _
done
[ "$(held_state)" != T ] ||
	fail "held-true still stopped 5 s after its tracer was killed"
exec {nap}>&-
wait "$HELD" || fail "held-true exited $?"
echo "held-true released by the guardian and exited 0"

check_no_probes_left
echo PASS
