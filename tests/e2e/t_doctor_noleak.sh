#!/usr/bin/env bash
# The tracer leaks nothing: one tracer traces native TLS servers
# (nginx with 2 workers, python's ssl server) and Go's tlsserver, and their
# clients, from their first call: testdata/c/ssl_conns opens DOCTOR_NATIVE_N
# (10000) connections, half to each native server, ending them in turn with
# SSL_shutdown+SSL_free, close then SSL_free, close with the SSL object
# leaked, and a server-side close, then one more whose reading thread is
# cancelled inside SSL_read (it exits in the call, which never returns);
# testdata/go/connreuse opens DOCTOR_GO_N
# (2000), half closed with tls.Conn.Close, half dropped and closed by the
# garbage collector.  The clients then stay alive (their exit would sweep
# their state), and `tlstap doctor` on the still-running tracer must find:
#  - 0 leaked entries, and no entry it cannot judge;
#  - no connection or call state left at all (every connection is closed);
#  - the traffic was really traced (events >= 4 per connection, 99%).
# DOCTOR_GO_VERSION: the Go testdata (default the newest).
source "$(dirname "$0")/lib.sh"
T=$E2E_TMP
N_NATIVE=${DOCTOR_NATIVE_N:-10000}
N_GO=${DOCTOR_GO_N:-2000}
go_testdata "${DOCTOR_GO_VERSION:-}" tlsserver-default connreuse-default
SSL_CONNS=$BUILD/testdata/c/ssl_conns
[ -x "$SSL_CONNS" ] || fail "missing $SSL_CONNS: run make testdata"
need_cmd nginx bpftool

start_nginx web 2 tls 'return 200 "ok $uri\n";'
NGX_PORT=$SRV_PORT
TARGETS=()
for p in "${NGINX_WORKERS[@]}"; do TARGETS+=(-p "$p"); done
start_python_https_server --log "$T/py.log" --max-conns 1000000
PY_PORT=$SRV_PORT
TARGETS+=(-p "$SRV_PID")
start_go_server "$GO_BIN/tlsserver-default" -http2=false
GO_PORT=$SRV_PORT
TARGETS+=(-p "$SRV_PID")

CLIENTS=(nginx python goclose godrop)
start_gated nginx "$SSL_CONNS" "$NGX_PORT" $((N_NATIVE / 2)) --wait-stdin --cancel-reader --hold
TARGETS+=(-p "$GATED_PID")
start_gated python "$SSL_CONNS" "$PY_PORT" $((N_NATIVE - N_NATIVE / 2)) --wait-stdin \
	--cancel-reader --hold
TARGETS+=(-p "$GATED_PID")
start_gated goclose "$GO_BIN/connreuse-default" -addr "127.0.0.1:$GO_PORT" -n $((N_GO / 2)) \
	-close -wait-stdin -hold -run close -log "$T/goclose.log"
TARGETS+=(-p "$GATED_PID")
start_gated godrop "$GO_BIN/connreuse-default" -addr "127.0.0.1:$GO_PORT" \
	-n $((N_GO - N_GO / 2)) -wait-stdin -hold -run drop -log "$T/godrop.log"
TARGETS+=(-p "$GATED_PID")

start_trace "$T/trace.json" --stats -o /dev/null "${TARGETS[@]}"
TRACER=$TRACE_PID
start=$(date +%s)
for c in "${CLIENTS[@]}"; do open_gate "$c"; done
for c in "${CLIENTS[@]}"; do
	wait_for "$T/$c.out" "^holding" 1 600
	echo "$c: $(head -n1 "$T/$c.out") in $(($(date +%s) - start)) s"
done
for c in nginx python; do
	grep -q "^cancelled a reader" "$T/$c.out" || fail "$c: no reader cancelled: $(cat "$T/$c.out")"
done
# The last closes complete (FIN exchange, time-wait) before the check.
sleep 1
kill -0 "$TRACER" || fail "the tracer exited: $(tail -3 "$T/trace.json.err")"

run_doctor "$TRACER" "$T/doctor.json"
rc=$?
doctorjson show "$T/doctor.json"
cat "$T/doctor.json.err"
stats=$(grep 'tlstap: stats:' "$T/trace.json.err" | tail -n1)
echo "tracer: $stats"
[ $rc -eq 0 ] || fail "tlstap doctor exited $rc"
doctorjson check "$T/doctor.json" --leaked 0 --no-unjudged --read batch \
	--empty go_calls,go_conns,go_gcalls,native_calls,native_outer,native_conns,socks ||
	fail "the tracer kept state of closed connections"

events=$(sed -n 's/.* events=\([0-9]*\).*/\1/p' <<<"$stats")
want=$(((N_NATIVE + N_GO) * 4 * 99 / 100))
[ "${events:-0}" -ge "$want" ] || fail "only ${events:-0} events traced, expected >= $want"
for m in $(sed -n 's/.*map_full\[\([a-z_]*\)\]=.*/\1/p' <<<"$stats"); do
	fail "map $m was full"
done
stop_trace "$T/trace.json"
check_no_probes_left
echo "PASS"
