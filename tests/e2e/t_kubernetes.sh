#!/usr/bin/env bash
# docs/kubernetes.md: its DaemonSet manifest parses as YAML and says what the
# document says (hostPID, not privileged, exactly the capabilities listed,
# the host's cgroup and BTF mounted, trace --all to stdout), and those
# capabilities are enough: tlstap trace --all, run as an unprivileged user
# holding exactly them (setpriv --ambient-caps), traces a root-owned curl
# and Go server started afterwards, both sides.  Without any one of them it
# refuses to start, naming the one missing.  --hold-new needs CAP_KILL too:
# refused without it; with it, a root-owned curl in a session of its own is
# held at its exec and released.
source "$(dirname "$0")/lib.sh"
need_cmd setpriv curl
python3 -c 'import yaml' 2>/dev/null || fail "python3-yaml missing (make deps installs it)"
T=$E2E_TMP
DOC=$E2E_REPO/docs/kubernetes.md

echo "--- the manifest"
CAPS=$(python3 - "$DOC" <<'PY'
import re, sys, yaml
text = open(sys.argv[1]).read()
blocks = re.findall(r"^```yaml\n(.*?)^```", text, re.S | re.M)
if len(blocks) != 1:
    sys.exit("%d yaml blocks" % len(blocks))
docs = [d for d in yaml.safe_load_all(blocks[0]) if d]
assert len(docs) == 1, docs
ds = docs[0]
assert ds["apiVersion"] == "apps/v1" and ds["kind"] == "DaemonSet", ds["kind"]
spec = ds["spec"]["template"]["spec"]
assert ds["spec"]["selector"]["matchLabels"].items() <= ds["spec"]["template"]["metadata"]["labels"].items()
assert spec["hostPID"] is True
(c,) = spec["containers"]
cmd = c["command"]
assert cmd[:3] == ["tlstap", "trace", "--all"] and "-o" not in cmd, cmd
sc = c["securityContext"]
assert sc.get("privileged") is False and sc["capabilities"]["drop"] == ["ALL"], sc
caps = sc["capabilities"]["add"]
assert "SYS_ADMIN" not in caps, caps
# Every capability the manifest adds is one the document's table names.
for cap in caps:
    assert "`CAP_%s`" % cap in text, cap
mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
vols = {v["name"]: v for v in spec["volumes"]}
for path in ("/sys/fs/cgroup", "/sys/kernel/btf"):
    m = mounts[path]
    assert m["readOnly"] is True and vols[m["name"]]["hostPath"]["path"] == path, m
print(",".join("+" + cap.lower() for cap in caps))
PY
) || fail "docs/kubernetes.md: the manifest"
echo "capabilities: $CAPS"

# An unprivileged user must reach the binary and the Go server's file.
PUB=$(mktemp -d /tmp/tlstap-k8s.XXXXXX)
at_exit_pub() { rm -rf "$PUB"; }
at_exit at_exit_pub
chmod 755 "$PUB"
cp "$TLSTAP" "$PUB/tlstap"
go_testdata "" tlsserver-stripped
cp "$GO_BIN/tlsserver-stripped" "$PUB/k8s-server"
chmod 755 "$PUB/tlstap" "$PUB/k8s-server"
USER_ID=65534

# as_user CAPS: AS_USER, the command prefix that runs a command as uid/gid
# 65534 with exactly CAPS (ambient, so effective); setpriv execs the command,
# so a background one's $! is the command's pid.
as_user() {
	AS_USER=(setpriv --reuid=$USER_ID --regid=$USER_ID --clear-groups --inh-caps="-all,$1"
		--ambient-caps="-all,$1" --bounding-set="-all,$1")
}

# user_trace OUT CAPS ARGS...: tlstap trace --all ARGS as uid 65534 with CAPS, until attached.
user_trace() {
	local out=$1 caps=$2
	shift 2
	as_user "$caps"
	"${AS_USER[@]}" "$PUB/tlstap" trace --all -v -f json "$@" >"$out" 2>"$out.err" &
	TRACE_PID=$!
	kill_at_exit "$TRACE_PID"
	wait_for "$out.err" "^tlstap: --all: " 1 60
}

# user_stop OUT: stop that tracer; it must exit 0.
user_stop() {
	kill -INT "$TRACE_PID"
	wait "$TRACE_PID"
	rc=$?
	grep -v "^tlstap: pid" "$1.err"
	[ $rc -eq 0 ] || fail "tlstap as uid $USER_ID exited $rc"
}

# both_sides OUT PATH: curl's request PATH and the Go server's read of it, mirrored tuples.
both_sides() {
	py_check "$1" "$SRV_PORT" "$2" <<'PY'
import sys, events
port, path = int(sys.argv[2]), sys.argv[3].encode()
evs = [e for e in events.load_events(sys.argv[1]) if b"GET " + path + b" " in e["data"]]
c = [e for e in evs if e["comm"] == "curl" and e["dir"] == "write" and e["rport"] == port]
s = [e for e in evs if e["comm"] == "k8s-server" and e["dir"] == "read" and e["lport"] == port]
if not c or not s or c[0]["lport"] != s[0]["rport"]:
    sys.exit("client %s server %s" % ([(e["lport"], e["rport"]) for e in c],
                                      [(e["lport"], e["rport"]) for e in s]))
print("curl %d -> %d and the server's mirror, traced by uid 65534" % (c[0]["lport"], port))
PY
	[ $? -eq 0 ] || fail "the unprivileged tracer's events ($2)"
}

echo "--- trace --all as uid $USER_ID with $CAPS"
user_trace "$T/k8s" "$CAPS"
start_go_server "$PUB/k8s-server"
curl -sk --http1.1 -o /dev/null "https://127.0.0.1:$SRV_PORT/k8s-curl" || fail "curl"
sleep 0.5
user_stop "$T/k8s"
both_sides "$T/k8s" /k8s-curl

echo "--- --hold-new: CAP_KILL too"
as_user "$CAPS"
"${AS_USER[@]}" "$PUB/tlstap" trace --all --hold-new -d 1 >/dev/null 2>"$T/nokill.err"
rc=$?
[ $rc -eq 1 ] && grep -q "missing: CAP_KILL\$" "$T/nokill.err" ||
	fail "--hold-new without CAP_KILL: exit $rc, $(cat "$T/nokill.err")"
cp "$(command -v curl)" "$PUB/curl"
user_trace "$T/hold" "$CAPS,+kill" --hold-new
# A program not seen before, root's, in a session of its own: only CAP_KILL
# lets the tracer release it.
timeout 20 setsid -w "$PUB/curl" -sk --http1.1 -o /dev/null "https://127.0.0.1:$SRV_PORT/k8s-hold" ||
	fail "held curl did not finish"
sleep 0.5
user_stop "$T/hold"
both_sides "$T/hold" /k8s-hold
held=$(trace_counter "$T/hold" processes_held)
[ "${held:-0}" -ge 1 ] || fail "processes_held=${held:-?}: the hold was not exercised"

echo "--- each capability is needed"
for cap in ${CAPS//,/ }; do
	less=$(echo "$CAPS" | tr , '\n' | grep -vx -- "$cap" | paste -sd,)
	name=CAP_$(echo "${cap#+}" | tr a-z A-Z)
	as_user "$less"
	"${AS_USER[@]}" "$PUB/tlstap" trace --all -d 1 >/dev/null 2>"$T/less.err"
	rc=$?
	[ $rc -eq 1 ] || fail "without $name: exit $rc"
	grep -q "missing: $name\$" "$T/less.err" || fail "without $name: $(cat "$T/less.err")"
	echo "without $name: $(cat "$T/less.err")"
done
echo PASS
