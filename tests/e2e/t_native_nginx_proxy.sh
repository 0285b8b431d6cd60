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
need_cmd nginx
start_proxy_backends
start_nginx proxy "${PROXY_WORKERS:-2}" tls \
	'proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection "";' \
	"${BACKEND_PORTS[@]}"
grep -q libssl "/proc/${NGINX_WORKERS[0]}/maps" || fail "nginx is not linked with a shared libssl"
echo "nginx master $SRV_PID, workers ${NGINX_WORKERS[*]}"
run_proxy_scenario nginx "$SRV_PORT" "$SRV_PID" "${NGINX_WORKERS[@]}"
echo "PASS"
