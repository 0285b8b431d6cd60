#!/usr/bin/env bash
# tlstap doctor's command line: help, usage errors (exit 2), and one clear
# line with exit 1 when there is nothing to check or no right to: a pid that
# is no tracer, a pid that does not exist, no tracer at all (in a pid
# namespace of its own, where this machine's other tracers are not seen),
# and no permission (an unprivileged user, with and without -p).  A real
# tracer is checked in text and in JSON (valid, with the keys
# the man page lists).
source "$(dirname "$0")/lib.sh"
T=$E2E_TMP
go_testdata "${DOCTOR_GO_VERSION:-}" tlsserver-default
need_cmd setpriv unshare

# expect STATUS PATTERN CMD...: CMD exits STATUS and prints one stderr line matching PATTERN.
expect() {
	local want=$1 pattern=$2 rc
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc -eq "$want" ] || fail "$* exited $rc, expected $want: $(cat "$T/err")"
	[ -z "$pattern" ] && return 0
	[ "$(wc -l <"$T/err")" -eq 1 ] || fail "$*: not one line on stderr: $(cat "$T/err")"
	grep -q -- "$pattern" "$T/err" || fail "$*: '$(cat "$T/err")' does not say '$pattern'"
}

expect 0 "" "$TLSTAP" doctor --help
grep -q -- "--recheck-delay" "$T/out" || fail "doctor --help does not list --recheck-delay"
"$TLSTAP" --help | grep -q "doctor" || fail "tlstap --help does not list doctor"
expect 2 "" "$TLSTAP" doctor --recheck-delay -1
grep -q "invalid --recheck-delay '-1'" "$T/err" || fail "usage message: $(cat "$T/err")"
expect 2 "" "$TLSTAP" doctor --call-age soon
expect 2 "" "$TLSTAP" doctor -p 12x
expect 2 "" "$TLSTAP" doctor extra
expect 2 "" "$TLSTAP" doctor --no-such-option

expect 1 "^tlstap: doctor: pid $$ is not a tlstap tracer" "$TLSTAP" doctor -p $$
sleep 0 &
dead=$!
wait "$dead"
expect 1 "^tlstap: doctor: pid $dead: no such process" "$TLSTAP" doctor -p "$dead"
# A pid namespace of its own sees no tracer, whatever runs on this machine.
unshare -p -f --mount-proc true 2>/dev/null ||
	skip_unfixable sandbox "cannot create a pid namespace"
expect 1 "^tlstap: doctor: no running tlstap tracer found$" \
	unshare -p -f --mount-proc "$TLSTAP" doctor

start_go_server "$GO_BIN/tlsserver-default"
start_trace "$T/trace.json" -p "$SRV_PID"
# An unprivileged user: its own copy of tlstap, in a directory it may read.
install -m 0755 -d "$T/bin"
install -m 0755 "$TLSTAP" "$T/bin/tlstap"
chmod 0755 "$T"
nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"
}
expect 1 "needs root" nobody "$T/bin/tlstap" doctor -p "$TRACE_PID"
expect 1 "needs root" nobody "$T/bin/tlstap" doctor

expect 0 "" "$TLSTAP" doctor -p "$TRACE_PID" --recheck-delay 0
grep -q "^tracer pid $TRACE_PID: " "$T/out" || fail "text report: $(head -3 "$T/out")"
grep -qE "^  go_calls +lru_hash +0 +262144 +0.0% +(batch|iteration) " "$T/out" ||
	fail "text report's go_calls line: $(grep go_calls "$T/out")"
[ "$(tail -n1 "$T/out")" = "leaked: 0" ] || fail "text report's last line: $(tail -n1 "$T/out")"
expect 0 "" "$TLSTAP" doctor -p "$TRACE_PID" --json --iterate
py_check "$T/out" "$TRACE_PID" <<'PY' || fail "JSON report"
import json, sys
doc = json.load(open(sys.argv[1]))
tracer = int(sys.argv[2])
assert doc["tracers"] == [tracer], doc["tracers"]
assert doc["leaked"] == 0 and doc["leaks"] == [], doc
names = {m["name"]: m for m in doc["maps"]}
for name in ("go_calls", "go_conns", "native_conns", "socks", "watch", "events"):
    m = names[name]
    assert {"name", "type", "entries", "max_entries", "pressure"} <= set(m), m
    assert m["tracer"] == tracer, m
# --iterate: key by key, and said so.
assert names["go_calls"]["read"] == "iteration", names["go_calls"]
assert names["watch"]["entries"] == 1 and names["watch"]["live"] == 1, names["watch"]
assert abs(names["watch"]["pressure"] - 1 / names["watch"]["max_entries"]) < 1e-8, names["watch"]
assert names["events"]["type"] == "ringbuf", names["events"]
PY
stop_trace "$T/trace.json"
echo PASS
