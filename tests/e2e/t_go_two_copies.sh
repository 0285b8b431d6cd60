#!/usr/bin/env bash
# Two copies of the same Go server binary (non-PIE: the same code addresses,
# and the Go heap starts at the same address, so their tls.Conn pointers
# coincide) traced at once by ONE tlstap (-p A -p B).  Each copy receives its
# own requests (paths /two-A-... and /two-B-...) from an untraced tlsclient,
# over new connections, both copies served at the same time.
# Asserts (tests/e2e/goevents.py copies): every event of copy A is pid A, on
# A's port and one of A's clients' ports, and holds only A's paths (same for
# B); both copies have read and write events of their own requests;
# attribution go-memory (a call with NO tuple, attribution none, is counted and
# none allowed: every call of a live connection carries its tuple); and the premise: some tls.Conn address is seen in
# both copies (else the test would prove little).
source "$(dirname "$0")/lib.sh"
T=$E2E_TMP
go_testdata "${GO_COPIES_VERSION:-}" tlsserver-default tlsclient-default
SRV=$GO_BIN/tlsserver-default CLI=$GO_BIN/tlsclient-default
N=150

start_go_server "$SRV" -v
APID=$SRV_PID APORT=$SRV_PORT
start_go_server "$SRV" -v
BPID=$SRV_PID BPORT=$SRV_PORT
cmp "/proc/$APID/exe" "/proc/$BPID/exe" || fail "not the same binary"
start_trace "$T/two.json" -p "$APID" -p "$BPID"

# Both copies at once, each with its own client; HTTP/1.1 then HTTP/2.  The
# premise (a tls.Conn address used by both copies) is usually met in the first
# round; more rounds (at most 4) until it is.
shared() {
	py_check "$T/two.json" "$APID" "$BPID" <<'PY'
import json, sys
s = {int(sys.argv[2]): set(), int(sys.argv[3]): set()}
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    s.get(e["pid"], set()).add(e["conn"])
print(len(set.intersection(*s.values())))
PY
}
: >"$T/a.out"
: >"$T/b.out"
for round in 1 2 3 4; do
	for h2 in false true; do
		"$CLI" -addr "127.0.0.1:$APORT" -n $N -new-conn -print-ports -http2=$h2 \
			-path "$(goevents paths "/two-A-$$-$h2" 1)" >"$T/a-$h2.out" 2>&1 &
		a=$!
		"$CLI" -addr "127.0.0.1:$BPORT" -n $N -new-conn -print-ports -http2=$h2 \
			-path "$(goevents paths "/two-B-$$-$h2" 1)" >"$T/b-$h2.out" 2>&1 &
		b=$!
		wait $a || { cat "$T/a-$h2.out" >&2; fail "client of copy A failed"; }
		wait $b || { cat "$T/b-$h2.out" >&2; fail "client of copy B failed"; }
		cat "$T/a-$h2.out" >>"$T/a.out"
		cat "$T/b-$h2.out" >>"$T/b.out"
	done
	sleep 0.3
	n=$(shared)
	echo "round $round: $n tls.Conn addresses used by both copies so far"
	[ "$n" -gt 0 ] && break
done
sleep 0.5
stop_trace "$T/two.json"
check_counters_zero "$T/two.json" ringbuf_drops tuple_mismatches
goevents copies "$T/two.json" --pids "$APID,$BPID" --ports "$APORT,$BPORT" \
	--logs "$T/a.out,$T/b.out" --tags "A,B" --paths-re "/two-([AB])-$$-" --min-shared 1 ||
	fail "two copies: see above"
echo "PASS"
