#!/usr/bin/env bash
# tlstap doctor finds what is leaked, and only that.  A tracer
# traces Go's tlsserver and python's ssl server, each holding an idle
# keep-alive connection: the Go server's Read and the python thread's
# SSL_read are parked in flight, judged live by their connection and their
# thread (--call-age 1: older than that).  Entries written into the tracer's
# maps with bpftool, one per rule, must each be reported with their reason:
#   go_tgids     a dead tgid                        process-gone
#   native_conns a dead tgid                        process-gone
#   go_tgids     a live process the tracer does not trace  not-traced
#   native_calls the server's tgid, a dead thread   thread-gone
#   go_conns     the server's tgid, a closed tuple  conn-gone
#   socks        the server's tgid, a closed tuple  conn-gone
# Then the same entries deleted during the re-check delay are races, not
# leaks (counted), and with them gone doctor exits 0.
source "$(dirname "$0")/lib.sh"
T=$E2E_TMP
go_testdata "${DOCTOR_GO_VERSION:-}" tlsserver-default tlsclient-default
need_cmd bpftool openssl

start_go_server "$GO_BIN/tlsserver-default" -http2=false
GO_PID=$SRV_PID GO_PORT=$SRV_PORT
start_python_https_server --log "$T/py.log"
PY_PID=$SRV_PID PY_PORT=$SRV_PORT
start_trace "$T/trace.json" -p "$GO_PID" -p "$PY_PID"
TRACER=$TRACE_PID

# Keep-alive clients that make one request and then hold the connection.
"$GO_BIN/tlsclient-default" -addr "127.0.0.1:$GO_PORT" -http2=false -n 2 -interval 600s \
	>"$T/goclient.out" 2>&1 &
kill_at_exit $!
mkfifo "$T/sclient.in"
exec {SCLIENT_IN}<>"$T/sclient.in"
openssl s_client -connect "127.0.0.1:$PY_PORT" -quiet <"$T/sclient.in" >"$T/sclient.out" 2>&1 &
kill_at_exit $!
printf 'GET /held HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' >&"$SCLIENT_IN"
wait_for "$T/goclient.out" '^req 0 '
wait_for "$T/sclient.out" 'path=/held'
sleep 2

# A pid that is certainly gone, and a live process nobody traces.
sleep 0 &
DEAD=$!
wait "$DEAD"
kill -0 "$DEAD" 2>/dev/null && fail "pid $DEAD still exists"
UNTRACED=$$

# bytes FORMAT VALUE...: the little-endian bytes of a struct, for bpftool.
bytes() {
	python3 - "$@" <<'PY'
import socket, struct, sys, time
fmt, vals = sys.argv[1], []
for v in sys.argv[2:]:
    if v.startswith("ip:"):
        vals.append(socket.inet_aton(v[3:]))
    elif v == "now":
        vals.append(time.clock_gettime_ns(time.CLOCK_BOOTTIME))
    else:
        vals.append(int(v, 0))
print("hex " + " ".join("%02x" % b for b in struct.pack(fmt, *vals)))
PY
}
TUPLE='HHHH16s16s'
CLOSED="2 1 2 0 ip:127.0.0.1 ip:127.0.0.1" # 127.0.0.1:1 -> 127.0.0.1:2, never open
declare -A ID
for m in go_tgids native_conns native_calls go_conns socks; do
	ID[$m]=$(tracer_map_id "$TRACER" "$m") || fail "tracer $TRACER has no map $m"
done
# map NAME KEY... : VALUE...   (each side: FORMAT VALUE...)
put() {
	local m=$1 k v
	shift
	k=$(bytes "${@:1:$(($(printf '%s\n' "$@" | grep -n '^:$' | cut -d: -f1) - 1))}")
	v=$(bytes "${@:$(($(printf '%s\n' "$@" | grep -n '^:$' | cut -d: -f1) + 1))}")
	# shellcheck disable=SC2086
	bpftool map update id "${ID[$m]}" key $k value $v || fail "bpftool update $m"
	KEYS+=("$m|$k")
}
KEYS=()
inject() {
	KEYS=()
	put go_tgids '<I' "$DEAD" : '<q' 0
	put go_tgids '<I' "$UNTRACED" : '<q' 0
	put native_conns '<IIQ' "$DEAD" 0 0xdead : '<QiIQQQ' 0 -1 0 0 0 0
	put native_calls '<Q' $(((PY_PID << 32) | DEAD)) : '<QQQQQQiBBBBQQQBB6x32x' 0x5501 0 0 0 \
		0x7ffd00001000 now -1 2 1 0 0 0 0 0 0 0
	put go_conns '<IIQQ' "$GO_PID" 0 0xc0ffee 0xc0ff00 : "<QiIQQ$TUPLE" 0xff01 9999 0 0 0 \
		$CLOSED
	put socks '<Q' 0xffff888000abc000 : "<IB3xQQ$TUPLE" "$GO_PID" 1 0xc0ffee 0xc0ff00 \
		$CLOSED
}
remove() {
	local e
	for e in "${KEYS[@]}"; do
		# shellcheck disable=SC2086
		bpftool map delete id "${ID[${e%%|*}]}" key ${e#*|} || fail "bpftool delete $e"
	done
}

echo "--- clean: the parked calls are live"
run_doctor "$TRACER" "$T/clean.json" --call-age 1
rc=$?
doctorjson show "$T/clean.json"
[ $rc -eq 0 ] || fail "doctor exited $rc on a clean tracer: $(cat "$T/clean.json.err")"
doctorjson check "$T/clean.json" --leaked 0 --min-live go_calls=1 --min-live go_conns=1 \
	--min-live native_calls=1 --min-live socks=2 --min-live watch=2 || fail "clean tracer"

echo "--- six leaks written with bpftool"
inject
run_doctor "$TRACER" "$T/leaks.json" --call-age 1 --recheck-delay 0.5
rc=$?
doctorjson show "$T/leaks.json"
[ $rc -eq 1 ] || fail "doctor exited $rc with leaks, expected 1"
doctorjson check "$T/leaks.json" --leaked 6 --min-live go_calls=1 --min-live native_calls=1 \
	--leak "go_tgids,process-gone,$DEAD" --leak "native_conns,process-gone,$DEAD" \
	--leak "go_tgids,not-traced,$UNTRACED" --leak "native_calls,thread-gone,$PY_PID" \
	--leak "go_conns,conn-gone,$GO_PID" --leak "socks,conn-gone,$GO_PID" ||
	fail "the leaks written are not all reported"
# The text report names them too, and its last line is the total.
"$TLSTAP" doctor -p "$TRACER" --recheck-delay 0 >"$T/leaks.txt"
[ $? -eq 1 ] || fail "text doctor: exit status"
grep -q "leaked: native_calls {tgid $PY_PID, tid $DEAD}: thread-gone" "$T/leaks.txt" ||
	{ cat "$T/leaks.txt"; fail "text report"; }
[ "$(tail -n1 "$T/leaks.txt")" = "leaked: 6" ] || fail "text report: $(tail -n1 "$T/leaks.txt")"

echo "--- the same entries, deleted while doctor waits to re-check: races"
run_doctor "$TRACER" "$T/races.json" --call-age 1 --recheck-delay 3 &
DOCTOR=$!
sleep 1
remove
wait "$DOCTOR"
rc=$?
doctorjson show "$T/races.json"
[ $rc -eq 0 ] || fail "doctor exited $rc: the entries removed during the delay were races"
doctorjson check "$T/races.json" --leaked 0 --races-min 6 || fail "races not counted"

echo "--- gone for good"
run_doctor "$TRACER" "$T/after.json"
[ $? -eq 0 ] || fail "doctor after the leaks were removed: $(cat "$T/after.json")"
stop_trace "$T/trace.json"
check_no_probes_left
echo "PASS"
