#!/usr/bin/env bash
# The proxy scenario with nginx as the TLS-terminating proxy (several worker
# processes, master + workers, kept-alive upstream connections to TWO
# plaintext nginx backends).  Same clients, phases and assertions as
# t_native_haproxy_proxy.sh: one tlstap traces the master and every worker
# (-p each, attached while the clients' connections already carry traffic);
# over >= 10,000 traced requests, 0 TLS calls on a backend tuple, 0 on the
# wrong client, >= 99% on the true client tuple, for requests and responses.
# Knobs: PROXY_NPROC (4), PROXY_THREADS (2), PROXY_DURING (1300), PROXY_NEW (100),
# PROXY_WORKERS (2).
source "$(dirname "$0")/lib.sh"
[ -x "$TLSTAP" ] || fail "$TLSTAP not built"
need_cmd nginx

NPROC=${PROXY_NPROC:-4}
THREADS=${PROXY_THREADS:-2}
DURING=${PROXY_DURING:-1300}
NEW=${PROXY_NEW:-100}
WORKERS=${PROXY_WORKERS:-2}
T=$E2E_TMP
make_cert
FE=$(free_port)
B1=$(free_port)
B2=$(free_port)
while [ "$B2" = "$B1" ] || [ "$B2" = "$FE" ]; do B2=$(free_port); done

nginx_backend b1 "$B1"
nginx_backend b2 "$B2"

P="$T/nginx-proxy"
mkdir -p "$P/logs"
cat >"$P/nginx.conf" <<NGX
daemon off;
worker_processes $WORKERS;
pid $P/nginx.pid;
error_log $P/logs/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $P/body;
	proxy_temp_path $P/proxy;
	fastcgi_temp_path $P/fastcgi;
	uwsgi_temp_path $P/uwsgi;
	scgi_temp_path $P/scgi;
	keepalive_requests 1000000;
	keepalive_timeout 300s;
	upstream be {
		server 127.0.0.1:$B1;
		server 127.0.0.1:$B2;
		keepalive 32;
	}
	server {
		listen 127.0.0.1:$FE ssl;
		ssl_certificate $T/cert.pem;
		ssl_certificate_key $T/key.pem;
		location / {
			proxy_pass http://be;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
		}
	}
}
NGX
nginx -p "$P" -c "$P/nginx.conf" -e "$P/logs/error.log" >"$P/out" 2>&1 &
MASTER=$!
bg_pid "$MASTER"
wait_port "$FE"
WPIDS=()
for i in $(seq 1 50); do
	mapfile -t WPIDS < <(pgrep -P "$MASTER")
	[ "${#WPIDS[@]}" -ge "$WORKERS" ] && break
	sleep 0.1
done
[ "${#WPIDS[@]}" -eq "$WORKERS" ] || fail "nginx has ${#WPIDS[@]} workers, expected $WORKERS"
grep -q libssl "/proc/${WPIDS[0]}/maps" || fail "nginx is not linked with a shared libssl"
echo "nginx master $MASTER, workers ${WPIDS[*]}"

start_proxy_clients "$FE" "$NPROC" "$THREADS" "$DURING" 1 "$NEW"
sleep 1
ARGS=(-p "$MASTER")
for w in "${WPIDS[@]}"; do ARGS+=(-p "$w"); done
start_trace_all "$T/trace.json" "${ARGS[@]}"
ss -tnp state established "( dport = :$B1 or dport = :$B2 )" >"$T/ss.txt" 2>&1
grep -q ":$B1 .*nginx" "$T/ss.txt" && grep -q ":$B2 .*nginx" "$T/ss.txt" ||
	{ cat "$T/ss.txt"; fail "the nginx proxy has no connection to both backends"; }
# Which workers serve the clients (informational: accept is not balanced).
ss -tnp state established "( sport = :$FE )" | grep -o 'pid=[0-9]*' | sort | uniq -c
finish_proxy_clients
sleep 0.5
stop_trace "$T/trace.json"
TRACER=$TRACE_PID
cat "$T/trace.json.err"
check_no_probes_left_shared "$TRACER"

echo "requests logged by the clients: $(wc -l <"$T/clients/requests")"
events summary "$T/trace.json" || fail "bad NDJSON"
PIDS=$MASTER
for w in "${WPIDS[@]}"; do PIDS="$PIDS,$w"; done
events proxy "$T/trace.json" --proxy-pids "$PIDS" --frontend-port "$FE" \
	--backend-ports "$B1,$B2" --requests "$T/clients/requests" --min-rate 0.99
rc=$?
d=$(trace_counter "$T/trace.json" ringbuf_drops)
[ "${d:-x}" = 0 ] || fail "ringbuf_drops=${d:-?}"
[ $rc -eq 0 ] || fail "nginx attribution"
echo "PASS"
