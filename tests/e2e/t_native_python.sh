#!/usr/bin/env bash
# python3 ssl (OpenSSL through the _ssl module, which is loaded by dlopen).
# Part 1, pre-existing connections: a python3 keep-alive client
#   (testdata/py/keepalive_client.py, 2 threads) talks to the python3 HTTPS
#   server; tlstap -p CLIENT attaches only AFTER both connections carry
#   traffic; then 300 more requests per connection on the same connections
#   and 2 x 30 on new ones.  Every traced request (the client's SSL write of
#   "GET /r/<port>/<id>") and response (its SSL read of "path=/r/<port>/<id>")
#   must be on 127.0.0.1:<its port> -> 127.0.0.1:P with syscall-fd/cache:
#   100%, never a wrong tuple.
# Part 2, libssl loaded after the tracer attached: "tlstap trace -- python3
#   late_ssl_client.py" (ssl imported after 1 s, request 1.5 s later) and
#   "tlstap trace -p" of a python3 that has not imported ssl yet: the rescan
#   must attach libssl and the request must be seen with its exact bytes and
#   tuple, and the program must run to completion with its normal output.
#   Control: the same client traced by -p once libssl is mapped (2c).
source "$(dirname "$0")/lib.sh"
T=$E2E_TMP
PY=$E2E_REPO/testdata/py
start_python_https_server --log "$T/srv.log"
PORT=$SRV_PORT
A=127.0.0.1
failed=()

# --- part 1: pre-existing connections ---------------------------------------
start_keepalive_clients "$PORT" 1 2 300 2 30
CL=${CLIENT_PY_PIDS[0]}
sleep 1
start_trace "$T/p1.json" -p "$CL"
finish_keepalive_clients
sleep 0.3
stop_trace "$T/p1.json"
events summary "$T/p1.json" || fail "bad NDJSON"
events pids "$T/p1.json" --allowed "$CL" || failed+=("part 1: foreign pid")
events attribution "$T/p1.json" --pid "$CL" --allowed syscall-fd,cache ||
	failed+=("part 1: unattributed calls")
events proxy "$T/p1.json" --side client --proxy-pids "$CL" --frontend-port "$PORT" \
	--backend-ports 0 --requests "$T/clients/requests" --min-rate 1.0 --min-requests 700 ||
	failed+=("part 1: pre-existing connections")

# --- part 2: libssl loaded by dlopen after attach ---------------------------
late() { # late NAME ARGS: exec late_ssl_client with path /late/NAME (run it with &)
	exec "$PYTHON3" "$PY/late_ssl_client.py" --port "$PORT" --cafile "$T/cert.pem" \
		--path "/late/$1" --portfile "$T/$1.port" "${@:2}"
}
check_late() { # check_late NAME TRACE PID
	local name=$1 json=$2 pid=$3 cport
	cport=$(cat "$T/$name.port" 2>/dev/null)
	[ -n "$cport" ] || { failed+=("$name: client never connected"); return; }
	printf 'GET /late/%s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' \
		"$name" "$PORT" >"$T/$name.req"
	grep -q "^$cport /late/$name\$" "$T/srv.log" || failed+=("$name: server never saw it")
	cmp -s "$T/$name.body" <(printf 'hello from tlstap e2e server\npath=/late/%s\n%s\n' \
		"$name" "$(printf 'x%.0s' $(seq 1 64))") || failed+=("$name: wrong output")
	events pids "$json" --allowed "$pid" || failed+=("$name: foreign pid")
	events expect "$json" --label "$name write" --pid "$pid" --dir write --lib openssl \
		--equals-file "$T/$name.req" --laddr $A --lport "$cport" --raddr $A \
		--rport "$PORT" --attribution syscall-fd || failed+=("$name: request not traced right")
	events expect "$json" --label "$name read" --pid "$pid" --dir read --lib openssl \
		--contains "path=/late/$name" --laddr $A --lport "$cport" --raddr $A \
		--rport "$PORT" --attribution syscall-fd,cache || failed+=("$name: response not traced right")
}
end_trace() { # end_trace OUT: its -p target ended: the tracer's exit status (SIGINT after 5 s)
	local rc
	wait_gone "${TRACER_OF[$1]}" 5
	trace_status "$1" INT
	rc=$?
	cat "$1.err"
	return $rc
}

# 2a: tlstap trace -- python3 ... (traced from exec; nothing TLS mapped then).
run_trace "$T/p2a.json" -- "$PYTHON3" "$PY/late_ssl_client.py" --port "$PORT" \
	--cafile "$T/cert.pem" --path /late/exec --portfile "$T/exec.port" >"$T/exec.body"
rc=$?
cat "$T/p2a.json.err"
if [ $rc -ne 0 ]; then
	failed+=("2a: 'tlstap trace -- python3 late_ssl_client.py' exited $rc (expected 0: run it, attach libssl when it is loaded)")
else
	check_late exec "$T/p2a.json" "$(traced_pid "$T/p2a.json")"
fi

# 2b: tlstap trace -p of a python3 that has not loaded libssl yet.
late pid --before-import 1.5 --after-import 1.5 >"$T/pid.body" 2>"$T/pid.err" &
LP=$!
kill_at_exit $LP
sleep 0.5
grep -q libssl "/proc/$LP/maps" && fail "2b: libssl already mapped, the test is void"
spawn_trace "$T/p2b.json" -p "$LP"
wait "$LP" || failed+=("2b: late_ssl_client failed: $(cat "$T/pid.err")")
end_trace "$T/p2b.json"
rc=$?
if [ $rc -ne 0 ]; then
	failed+=("2b: 'tlstap trace -p PID' of a python3 without libssl yet exited $rc (expected: attach when libssl is loaded)")
else
	check_late pid "$T/p2b.json" "$LP"
fi

# 2c (control for 2a/2b): the same client, libssl mapped before -p attaches.
late ctl --before-import 0 --after-import 2 >"$T/ctl.body" 2>"$T/ctl.err" &
CP=$!
kill_at_exit $CP
for i in $(seq 1 50); do
	grep -q libssl "/proc/$CP/maps" 2>/dev/null && break
	sleep 0.1
done
start_trace "$T/p2c.json" -p "$CP"
wait "$CP" || failed+=("2c: late_ssl_client failed: $(cat "$T/ctl.err")")
end_trace "$T/p2c.json" || failed+=("2c: tlstap exited $?")
check_late ctl "$T/p2c.json" "$CP"

check_no_probes_left
if [ ${#failed[@]} -gt 0 ]; then
	printf 'FAIL: %s\n' "${failed[@]}" >&2
	exit 1
fi
echo PASS
