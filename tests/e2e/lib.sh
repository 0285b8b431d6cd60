# Helpers of the end-to-end scripts (tests/e2e/t_*.sh source this, bash).
# A script exits 0 (pass), 1 (fail), or 77 through skip_unfixable only:
# tests/run-e2e.sh fails any other skip.  Everything a script starts is
# killed at its exit; only 127.0.0.1 is used; files go to $E2E_TMP.
# Servers are started untraced on a free port and set SRV_PID and SRV_PORT.
set -u
BUILD=${BUILD:-build}
TLSTAP=${TLSTAP:-$BUILD/tlstap}
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$E2E_DIR/nginx_conf.sh"
E2E_REPO=$(cd "$E2E_DIR/../.." && pwd)
E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/tlstap-e2e.XXXXXX")
GO_TD=${GO_TD:-$BUILD/testdata/go}
# The system python3 for programs tlstap traces (a PATH shim such as pyenv's
# is a script that execs another program: tlstap would trace the shim).
PYTHON3=${PYTHON3:-/usr/bin/python3}
[ -x "$PYTHON3" ] || PYTHON3=$(command -v python3)
E2E_PIDS=()         # killed at exit (kill_at_exit)
E2E_TRACERS=()      # every tracer started (spawn_trace)
declare -A TRACER_OF # trace output file -> its tracer's pid

# --- outcome -----------------------------------------------------------------

# Fail the test: say why on stderr, exit 1.
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# skip_unfixable kernel|arch|sandbox REASON: exit 77 for what make deps cannot fix (the one skip allowed).
skip_unfixable() {
	case ${1:-} in
	kernel | arch | sandbox) ;;
	*) fail "skip_unfixable: kind '${1:-}' is none of kernel, arch, sandbox" ;;
	esac
	[ -n "${2:-}" ] || fail "skip_unfixable $1: no reason given"
	echo "SKIP [$1]: ${*:2}"
	exit 77
}

# expect_exit CODE PATTERN CMD...: CMD exits CODE and its stderr matches PATTERN
# (ERE); its output in $E2E_TMP/out and /err.
expect_exit() {
	local code=$1 pattern=$2 rc
	shift 2
	"$@" >"$E2E_TMP/out" 2>"$E2E_TMP/err"
	rc=$?
	[ $rc -eq "$code" ] || { cat "$E2E_TMP/err" >&2; fail "$*: exit $rc, expected $code"; }
	grep -qE -- "$pattern" "$E2E_TMP/err" ||
		{ cat "$E2E_TMP/err" >&2; fail "$*: stderr lacks '$pattern'"; }
}

# Fail unless every command named is installed (make deps installs them).
need_cmd() {
	local c
	for c; do
		command -v "$c" >/dev/null || fail "$c is not installed: run make deps"
	done
}

[ -x "$TLSTAP" ] || fail "$TLSTAP not built: run make"

# --- processes and ports -------------------------------------------------------

# Kill these pids at exit (those still children of this script).
kill_at_exit() {
	E2E_PIDS+=("$@")
}

# at_exit CMD: run CMD (a function name or command, no arguments) at exit, after the kills.
E2E_AT_EXIT=()
at_exit() {
	E2E_AT_EXIT+=("$1")
}

# At exit: kill and reap the kill_at_exit pids still our children (a reaped pid may be another's now).
e2e_cleanup() {
	local p mine=()
	for p in "${E2E_PIDS[@]}"; do
		[ "$(ps -o ppid= -p "$p" 2>/dev/null | tr -d ' ')" = "$$" ] && mine+=("$p")
	done
	if [ ${#mine[@]} -gt 0 ]; then
		kill "${mine[@]}" 2>/dev/null
		sleep 0.2
		kill -9 "${mine[@]}" 2>/dev/null
	fi
	wait 2>/dev/null
	for p in "${E2E_AT_EXIT[@]}"; do
		"$p"
	done
	[ -n "${E2E_KEEP:-}" ] || rm -rf "$E2E_TMP"
}
trap e2e_cleanup EXIT

# Stop these processes (SIGTERM) and reap them.
stop_processes() {
	kill "$@" 2>/dev/null
	wait "$@" 2>/dev/null
	return 0
}

# Wait up to SECS seconds for process PID to end; status 1 if it still runs.
wait_gone() {
	local pid=$1 secs=$2 i
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	! kill -0 "$pid" 2>/dev/null
}

# N (default 1) distinct free TCP ports of 127.0.0.1, on one line.
free_port() {
	python3 - "${1:-1}" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# Wait until FILE has COUNT (default 1) lines matching PATTERN (max SECS, 10).
wait_for() {
	local file=$1 pattern=$2 count=${3:-1} secs=${4:-10} i c=0
	for ((i = 0; i < secs * 10; i++)); do
		c=$(grep -c -- "$pattern" "$file" 2>/dev/null)
		[ "${c:-0}" -ge "$count" ] && return 0
		sleep 0.1
	done
	fail "'$pattern' appeared ${c:-0} times in $file, expected $count"
}

# wait_listen PORT [NETNS_PID]: wait (~10 s) until something listens on PORT, without connecting.
wait_listen() {
	local port=$1 netns=() i
	[ -z "${2:-}" ] || netns=(nsenter -t "$2" -n)
	for i in $(seq 1 100); do
		"${netns[@]}" ss -ltnH "( sport = :$port )" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	fail "nothing listens on port $port"
}

# client_port PID PORT [NETNS_PID]: the local port of PID's connection to 127.0.0.1:PORT (waits ~10 s).
client_port() {
	local pid=$1 port=$2 netns=() i lport
	[ -z "${3:-}" ] || netns=(nsenter -t "$3" -n)
	for i in $(seq 1 100); do
		lport=$("${netns[@]}" ss -tnpH state established "( dport = :$port )" 2>/dev/null |
			grep "pid=$pid," | sed -n "s/.*127\.0\.0\.1:\([0-9]*\) *127\.0\.0\.1:$port .*/\1/p" |
			head -n1)
		[ -n "$lport" ] && { echo "$lport"; return 0; }
		sleep 0.1
	done
	return 1
}

# loader_pid PREFIX NAME: the pid program NAME's own loader wrote under LD_DEBUG=files LD_DEBUG_OUTPUT=PREFIX.
loader_pid() {
	local pids
	pids=$(sed -n "s|^ *\([0-9]*\):.*needed by \([^ ]*/\)\{0,1\}$2 \[.*|\1|p" "$1".* 2>/dev/null |
		sort -u)
	[ -n "$pids" ] && [ "$(wc -l <<<"$pids")" -eq 1 ] && echo "$pids"
}

# --- certificates and servers ----------------------------------------------------

# A self-signed certificate for 127.0.0.1 and localhost: $E2E_TMP/cert.pem, key.pem.
make_cert() {
	[ -f "$E2E_TMP/cert.pem" ] && return 0
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$E2E_TMP/key.pem" \
		-out "$E2E_TMP/cert.pem" -days 2 -subj /CN=localhost \
		-addext subjectAltName=IP:127.0.0.1,DNS:localhost >/dev/null 2>&1 ||
		fail "openssl req"
}

# start_go_server BINARY [ARGS...]: a testdata tlsserver (it picks its port); its output in SRV_OUT.
start_go_server() {
	local bin=$1
	shift
	SRV_OUT=$(mktemp "$E2E_TMP/srv.XXXXXX")
	"$bin" -addr 127.0.0.1:0 "$@" >"$SRV_OUT" 2>&1 &
	SRV_PID=$!
	kill_at_exit "$SRV_PID"
	wait_for "$SRV_OUT" "^listening on "
	SRV_PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$SRV_OUT" | head -n1)
	[ -n "$SRV_PORT" ] || fail "no port in $SRV_OUT: $(head -c 200 "$SRV_OUT")"
}

# start_openssl_server NAME [OPTION...]: s_server; stdin fifo $E2E_TMP/NAME.in (no EOF), NAME.out/.err.
start_openssl_server() {
	local name=$1
	shift
	make_cert
	SRV_PORT=$(free_port)
	mkfifo "$E2E_TMP/$name.in"
	openssl s_server -accept "127.0.0.1:$SRV_PORT" -cert "$E2E_TMP/cert.pem" \
		-key "$E2E_TMP/key.pem" "$@" <>"$E2E_TMP/$name.in" >"$E2E_TMP/$name.out" \
		2>"$E2E_TMP/$name.err" &
	SRV_PID=$!
	kill_at_exit "$SRV_PID"
	wait_listen "$SRV_PORT"
}

# start_python_https_server [ARGS...]: testdata/py/https_server.py, python3 ssl (ARGS: --log F, --dump-dir D).
start_python_https_server() {
	make_cert
	SRV_PORT=$(free_port)
	"$PYTHON3" "$E2E_REPO/testdata/py/https_server.py" --port "$SRV_PORT" \
		--cert "$E2E_TMP/cert.pem" --key "$E2E_TMP/key.pem" "$@" >"$E2E_TMP/https_server.out" 2>&1 &
	SRV_PID=$!
	kill_at_exit "$SRV_PID"
	wait_for "$E2E_TMP/https_server.out" "listening"
}

# gnutls-serv --echo in a netns of its own (it cannot bind one address): nsenter -t $SRV_PID -n.
start_gnutls_echo_server() {
	make_cert
	unshare -n true 2>/dev/null || skip_unfixable sandbox "cannot create a network namespace"
	SRV_PORT=$(free_port)
	unshare -n sh -c 'ip link set lo up && exec "$@"' sh gnutls-serv --echo -p "$SRV_PORT" \
		--x509certfile "$E2E_TMP/cert.pem" --x509keyfile "$E2E_TMP/key.pem" \
		>"$E2E_TMP/gnutls-serv.out" 2>&1 &
	SRV_PID=$!
	kill_at_exit "$SRV_PID"
	wait_listen "$SRV_PORT" "$SRV_PID"
	[ "$(cat "/proc/$SRV_PID/comm")" = gnutls-serv ] ||
		fail "pid $SRV_PID is $(cat "/proc/$SRV_PID/comm"), not gnutls-serv"
}

# start_gnutls_client: gnutls-cli connected to start_gnutls_echo_server's server, in its netns, stdin a fifo
# on fd 8, output $E2E_TMP/c.out (c.err); sets CLI_PID and CLI_PORT (its local port) once it has handshaken.
start_gnutls_client() {
	mkfifo "$E2E_TMP/c.in"
	exec 8<>"$E2E_TMP/c.in"
	nsenter -t "$SRV_PID" -n gnutls-cli --x509cafile "$E2E_TMP/cert.pem" -p "$SRV_PORT" 127.0.0.1 \
		<"$E2E_TMP/c.in" >"$E2E_TMP/c.out" 2>"$E2E_TMP/c.err" &
	CLI_PID=$!
	kill_at_exit "$CLI_PID"
	CLI_PORT=$(client_port "$CLI_PID" "$SRV_PORT" "$SRV_PID") ||
		{ cat "$E2E_TMP/c.err"; fail "gnutls-cli never connected"; }
	wait_for "$E2E_TMP/c.out" "Handshake was completed"
	[ "$(cat /proc/$CLI_PID/comm)" = gnutls-cli ] || fail "pid $CLI_PID is not gnutls-cli"
}

# start_nginx NAME WORKERS(0: one process) tls|plain LOCATION [UPSTREAM_PORT...]: nginx; NGINX_WORKERS pids.
start_nginx() {
	local name=$1 workers=$2 scheme=$3 location=$4 d="$E2E_TMP/nginx-$1" listen p upstream=""
	local master=on processes=$2
	[ "$workers" -gt 0 ] || { master=off; processes=1; }
	shift 4
	if [ $# -gt 0 ]; then
		upstream="upstream be {"
		for p; do upstream="$upstream server 127.0.0.1:$p;"; done
		upstream="$upstream keepalive 32; }"
	fi
	SRV_PORT=$(free_port)
	listen="listen 127.0.0.1:$SRV_PORT;"
	if [ "$scheme" = tls ]; then
		make_cert
		listen="listen 127.0.0.1:$SRV_PORT ssl; ssl_certificate $E2E_TMP/cert.pem;"
		listen="$listen ssl_certificate_key $E2E_TMP/key.pem;"
	fi
	nginx_conf "$d" "$master" "$processes" "keepalive_timeout 300s; $upstream" \
		"$listen default_type text/plain; location / { $location }"
	nginx -p "$d" -c "$d/nginx.conf" -e "$d/logs/error.log" </dev/null >"$d/out" 2>&1 &
	SRV_PID=$!
	kill_at_exit "$SRV_PID"
	wait_listen "$SRV_PORT"
	NGINX_WORKERS=()
	[ "$workers" -gt 0 ] || return 0
	for p in $(seq 1 50); do
		mapfile -t NGINX_WORKERS < <(pgrep -P "$SRV_PID")
		[ "${#NGINX_WORKERS[@]}" -ge "$workers" ] && break
		sleep 0.1
	done
	[ "${#NGINX_WORKERS[@]}" -eq "$workers" ] ||
		fail "nginx has ${#NGINX_WORKERS[@]} workers, expected $workers"
}

# start_nginx_backend NAME: a plaintext nginx, one process, answering "served <uri> by NAME".
start_nginx_backend() {
	start_nginx "$1" 0 plain "return 200 \"served \$uri by $1\\n\";"
}

# start_haproxy_tls_proxy BACKEND_PORT...: haproxy ending TLS, round-robin to reused backend connections.
start_haproxy_tls_proxy() {
	local b i=0
	make_cert
	cat "$E2E_TMP/cert.pem" "$E2E_TMP/key.pem" >"$E2E_TMP/haproxy.pem"
	SRV_PORT=$(free_port)
	cat >"$E2E_TMP/haproxy.cfg" <<CFG
global
	nbthread 2
	maxconn 4000
defaults
	mode http
	timeout connect 5s
	timeout client 300s
	timeout server 300s
	timeout http-keep-alive 300s
frontend fe
	bind 127.0.0.1:$SRV_PORT ssl crt $E2E_TMP/haproxy.pem
	default_backend be
backend be
	balance roundrobin
	http-reuse always
CFG
	for b; do
		i=$((i + 1))
		printf '\tserver b%d 127.0.0.1:%s\n' "$i" "$b" >>"$E2E_TMP/haproxy.cfg"
	done
	haproxy -f "$E2E_TMP/haproxy.cfg" -db >"$E2E_TMP/haproxy.out" 2>&1 &
	SRV_PID=$!
	kill_at_exit "$SRV_PID"
	wait_listen "$SRV_PORT"
}

# caddy with its internal CA answering "caddy says <path>" (state in $E2E_TMP/caddy); returns once it answers.
start_caddy() {
	local http_port d=$E2E_TMP/caddy
	read -r SRV_PORT http_port <<<"$(free_port 2)"
	mkdir -p "$d/home" "$d/data" "$d/config"
	cat >"$d/Caddyfile" <<EOF
{
	admin off
	auto_https disable_redirects
	skip_install_trust
	http_port $http_port
	https_port $SRV_PORT
	storage file_system {
		root $d/data/caddy
	}
}
https://127.0.0.1:$SRV_PORT {
	tls internal
	respond "caddy says {path}
" 200
}
EOF
	HOME=$d/home XDG_DATA_HOME=$d/data XDG_CONFIG_HOME=$d/config \
		caddy run --config "$d/Caddyfile" --adapter caddyfile >"$d/out" 2>&1 &
	SRV_PID=$!
	kill_at_exit "$SRV_PID"
	wait_listen "$SRV_PORT"
	kill -0 "$SRV_PID" 2>/dev/null || fail "caddy exited: $(tail -3 "$d/out")"
	# Caddy is ready once it answers (its internal CA is made at start).
	curl -sk --max-time 10 "https://127.0.0.1:$SRV_PORT/warmup" >/dev/null ||
		fail "caddy does not answer: $(tail -3 "$d/out")"
}

# --- clients -------------------------------------------------------------------

# start_keepalive_clients PORT NPROC THREADS DURING NEWCONNS NEW: held keep-alive clients; CLIENT_PY_PIDS.
start_keepalive_clients() {
	local port=$1 nproc=$2 threads=$3 during=$4 newconns=$5 new=$6 i d="$E2E_TMP/clients"
	mkdir -p "$d"
	: >"$d/ready"
	CLIENT_PIDS=() # the timeout wrappers, to wait for
	for i in $(seq 1 "$nproc"); do
		timeout 150 "$PYTHON3" "$E2E_REPO/testdata/py/keepalive_client.py" --port "$port" \
			--cafile "$E2E_TMP/cert.pem" --threads "$threads" --log "$d/req-$i.log" \
			--ready "$d/ready" --marker "$d/go" --during "$during" --new-conns "$newconns" \
			--new "$new" --id-base $((i * 10000000)) --max-wait 60 >"$d/out-$i" 2>&1 &
		CLIENT_PIDS+=($!)
		kill_at_exit $!
	done
	wait_for "$d/ready" "^ready" $((nproc * threads)) 30
	CLIENT_PY_PIDS=()
	for i in "${CLIENT_PIDS[@]}"; do
		CLIENT_PY_PIDS+=($(pgrep -P "$i"))
	done
}

# Release the keep-alive clients, wait for them (each must exit 0); their logs in $E2E_TMP/clients/requests.
finish_keepalive_clients() {
	local d="$E2E_TMP/clients" p rc=0
	touch "$d/go"
	for p in "${CLIENT_PIDS[@]}"; do
		wait "$p" || rc=1
	done
	cat "$d"/req-*.log >"$d/requests"
	[ $rc -eq 0 ] || { cat "$d"/out-* >&2; fail "a keep-alive client failed"; }
}

# send_line FD LINE SENT OUT: write LINE to FD and append it to SENT; wait until the peer printed it in OUT.
send_line() {
	printf '%s\n' "$2" >&"$1"
	printf '%s\n' "$2" >>"$3"
	wait_for "$4" "^$2\$"
}

# --- tracing -------------------------------------------------------------------

# spawn_trace OUT ARGS...: background "tlstap trace -v -f json -o OUT ARGS", stderr OUT.err, TRACE_TIMEOUT=S.
spawn_trace() {
	local out=$1
	shift
	${TRACE_TIMEOUT:+timeout "$TRACE_TIMEOUT"} "$TLSTAP" trace -v -f json -o "$out" "$@" \
		2>"$out.err" &
	TRACE_PID=$!
	TRACER_OF[$out]=$TRACE_PID
	E2E_TRACERS+=("$TRACE_PID")
	kill_at_exit "$TRACE_PID"
}

# start_trace OUT ARGS...: spawn_trace, then wait until each -p target (or the launched command) is attached.
start_trace() {
	local n=0 a
	for a in "$@"; do
		[ "$a" = -p ] && n=$((n + 1))
	done
	spawn_trace "$@"
	wait_for "$1.err" "probes in" $((n > 0 ? n : 1)) 20
}

# run_trace OUT ARGS... -- CMD...: trace CMD from its exec to its end; the status is tlstap's (CMD's).
run_trace() {
	spawn_trace "$@"
	trace_status "$1"
}

# trace_status OUT [SIGNAL]: signal the tracer writing OUT (if SIGNAL given), wait for it; its exit status.
trace_status() {
	[ -z "${2:-}" ] || kill -"$2" "${TRACER_OF[$1]}" 2>/dev/null
	wait "${TRACER_OF[$1]}"
}

# stop_trace [-SIGNAL] OUT...: signal these tracers (default INT), show their stderr; each must exit 0.
stop_trace() {
	local sig=INT out rc
	case $1 in -*) sig=${1#-}; shift ;; esac
	for out; do
		kill -"$sig" "${TRACER_OF[$out]}" 2>/dev/null
	done
	for out; do
		trace_status "$out"
		rc=$?
		echo "--- tracer of $(basename "$out"):"
		cat "$out.err"
		[ $rc -eq 0 ] || fail "tlstap trace -o $(basename "$out") exited $rc"
	done
}

# The pid tlstap says it launched for "-- CMD" (its -v line on OUT.err).
traced_pid() {
	sed -n 's/^tlstap: pid \([0-9]*\) .*probes in.*/\1/p' "$1.err" | head -n1
}

# The value of counter NAME in the counters tlstap printed at exit (OUT.err).
trace_counter() {
	sed -n 's/.*[ :]'"$2"'=\([0-9]*\).*/\1/p' "$1.err" | tail -n1
}

# check_counters_zero OUT NAME...: fail unless each exit counter NAME of the tracer that wrote OUT is 0.
check_counters_zero() {
	local out=$1 c v
	shift
	for c; do
		v=$(trace_counter "$out" "$c")
		[ "${v:-x}" = 0 ] ||
			fail "$(basename "$out"): tlstap counter $c=${v:-missing} ($(tail -n1 "$out.err"))"
	done
}

# check_no_probes_left [TRACER_PID...]: no tlstap BPF program leaked, none held by these (default: ours).
# Other tlstap instances may run on this machine: each tlstap program loaded must be held open by a
# live process that is none of these pids; one nobody holds after ~2 s is a leak (pinned, dangling link).
check_no_probes_left() {
	local try ids id holders orphans mine p
	[ $# -gt 0 ] || set -- "${E2E_TRACERS[@]}"
	for try in 1 2 3 4 5 6 7 8 9 10; do
		orphans="" mine=""
		ids=$(bpftool prog show 2>/dev/null |
			sed -n 's/^\([0-9]*\): .* name \(go_tls_\|native_tls\|sock_\|dl_debug_state\|watch_\|bio_\).*/\1/p')
		for id in $ids; do
			holders=$(grep -l "^prog_id:[[:space:]]*$id\$" /proc/[0-9]*/fdinfo/* 2>/dev/null |
				cut -d/ -f3 | sort -u)
			[ -n "$holders" ] || orphans="$orphans $id"
			for p in "$@"; do
				echo "$holders" | grep -qx "$p" && mine="$mine $id(pid $p)"
			done
		done
		[ -z "$orphans$mine" ] && return 0
		sleep 0.2
	done
	[ -z "$mine" ] || fail "BPF programs still held by our exited tracer:$mine"
	fail "tlstap BPF programs loaded but held by no process (leak):$orphans"
}

# --- checking events -----------------------------------------------------------

# tests/e2e/events.py: NDJSON checks (see its docstring).
events() {
	python3 "$E2E_DIR/events.py" "$@"
}

# tests/e2e/goevents.py: the Go tests' checks (see its docstring).
goevents() {
	python3 "$E2E_DIR/goevents.py" "$@"
}

# py_check ARGS... <<'PY': run the python on stdin with ARGS, events and goevents importable.
py_check() {
	PYTHONPATH="$E2E_DIR" python3 - "$@"
}

# check_call_streams TRACE [--lib L] 'PID DIR FILE LPORT RPORT'...: streams exactly FILE, calls on that tuple.
check_call_streams() {
	local trace=$1 lib=() spec ok=0
	shift
	[ "${1:-}" != --lib ] || { lib=(--lib "$2"); shift 2; }
	for spec; do
		set -- $spec
		events stream "$trace" --pid "$1" --dir "$2" "${lib[@]}" >"$trace.$1.$2"
		cmp "$3" "$trace.$1.$2" || { echo "pid $1 $2 stream differs from $3" >&2; ok=1; }
		events expect "$trace" --label "pid $1 $2" --pid "$1" --dir "$2" \
			--laddr 127.0.0.1 --lport "$4" --raddr 127.0.0.1 --rport "$5" \
			--attribution syscall-fd,cache || ok=1
	done
	return $ok
}

# --- the proxy scenario (t_native_haproxy_proxy.sh, t_native_nginx_proxy.sh) --

# Two plaintext nginx backends, b1 and b2; sets BACKEND_PORTS.
start_proxy_backends() {
	BACKEND_PORTS=()
	start_nginx_backend b1
	BACKEND_PORTS+=("$SRV_PORT")
	start_nginx_backend b2
	BACKEND_PORTS+=("$SRV_PORT")
}

# run_proxy_scenario NAME FRONTEND_PORT PID...: the proxy scenario against proxy NAME (its processes PID...).
# PROXY_NPROC (4) processes of PROXY_THREADS (2) keep-alive clients make requests before tlstap attaches
# (-p each PID), PROXY_DURING (1300) more each on the same connections once it is, then PROXY_NEW (100)
# each on new ones.  No TLS call on a backend's tuple or a wrong client's, >= 99% of requests and
# responses on their own (events.py proxy), no ring-buffer drop, no probe left.
run_proxy_scenario() {
	local name=$1 fe=$2 trace=$E2E_TMP/trace.json args=() p rc
	shift 2
	for p; do args+=(-p "$p"); done
	start_keepalive_clients "$fe" "${PROXY_NPROC:-4}" "${PROXY_THREADS:-2}" \
		"${PROXY_DURING:-1300}" 1 "${PROXY_NEW:-100}"
	sleep 1
	start_trace "$trace" "${args[@]}"
	# The proxy holds plaintext connections to both backends (what must never
	# get a TLS event).
	ss -tnp state established \
		"( dport = :${BACKEND_PORTS[0]} or dport = :${BACKEND_PORTS[1]} )" >"$E2E_TMP/ss.txt" 2>&1
	grep -q ":${BACKEND_PORTS[0]} .*$name" "$E2E_TMP/ss.txt" &&
		grep -q ":${BACKEND_PORTS[1]} .*$name" "$E2E_TMP/ss.txt" ||
		{ cat "$E2E_TMP/ss.txt"; fail "$name has no connection to both backends"; }
	echo "clients' connections per $name process:"
	ss -tnp state established "( sport = :$fe )" | grep -o 'pid=[0-9]*' | sort | uniq -c
	finish_keepalive_clients
	sleep 0.5
	stop_trace "$trace"
	check_no_probes_left

	echo "requests logged by the clients: $(wc -l <"$E2E_TMP/clients/requests")"
	events summary "$trace" || fail "bad NDJSON"
	events proxy "$trace" --proxy-pids "$(IFS=,; echo "$*")" --frontend-port "$fe" \
		--backend-ports "$(IFS=,; echo "${BACKEND_PORTS[*]}")" \
		--requests "$E2E_TMP/clients/requests" --min-rate 0.99
	rc=$?
	check_counters_zero "$trace" ringbuf_drops
	[ $rc -eq 0 ] || fail "$name attribution"
}

# --- Go testdata ---------------------------------------------------------------

# The Go minor versions testdata was built for (from its manifest).
go_versions() {
	[ -f "$GO_TD/manifest.txt" ] || return 0
	awk '!/^#/ {print $1}' "$GO_TD/manifest.txt" | sort -u -V
}

# go_testdata VERSION(empty: newest) PROGRAM-VARIANT...: sets GO_V and GO_BIN; each must be built there.
go_testdata() {
	local p
	GO_V=${1:-$(go_versions | tail -n1)}
	[ -n "$GO_V" ] || fail "no Go testdata ($GO_TD/manifest.txt): run make testdata"
	GO_BIN=$GO_TD/$GO_V
	shift
	for p; do
		[ -x "$GO_BIN/$p" ] || fail "missing $GO_BIN/$p: run make testdata"
	done
}

# --- the HTTP view tests (t_http_*.sh) ----------------------------------------
# Added by the http-view branch; nothing above is changed.

# tests/e2e/exchanges.py: checks on HTTP exchanges (see its docstring).
exchanges() {
	python3 "$E2E_DIR/exchanges.py" "$@"
}

# http_replay CAPTURE OUT: replay a recorded capture as HTTP exchanges
# (NDJSON) into OUT; the replay must exit 0 and count no parse error.
http_replay() {
	local cap=$1 out=$2 n
	"$TLSTAP" replay --http -f json -o "$out" "$cap" 2>"$out.err" ||
		{ cat "$out.err" >&2; fail "replay --http $cap failed"; }
	n=$(sed -n 's/.* http_parse_errors=\([0-9]*\).*/\1/p' "$out.err" | tail -n1)
	[ "${n:-x}" = 0 ] || fail "replay of $cap: http_parse_errors=${n:-?}"
}

# nginx_tls NAME PORT ROOT: nginx serving ROOT over TLS (HTTP/1.1 and h2) on
# 127.0.0.1:PORT, single process (its pid in NGX_PID), keep-alive, with
# "location /api/ { return 200 'api <uri>\n'; }".  Uses make_cert.
nginx_tls() {
	local name=$1 port=$2 root=$3 d="$E2E_TMP/nginx-$1"
	make_cert
	nginx_conf "$d" off 1 "" "listen 127.0.0.1:$port ssl http2;
		ssl_certificate $E2E_TMP/cert.pem;
		ssl_certificate_key $E2E_TMP/key.pem;
		root $root;
		default_type text/plain;
		location /api/ { return 200 \"api \$uri\\n\"; }"
	nginx -p "$d" -c "$d/nginx.conf" -e "$d/logs/error.log" >"$d/out" 2>&1 &
	NGX_PID=$!
	kill_at_exit "$NGX_PID"
	wait_listen "$port"
}

# --- tlstap doctor ---------------------------------------------------------------

# run_doctor TRACER_PID OUT [ARGS...]: tlstap doctor -p TRACER_PID --json ARGS >OUT, stderr OUT.err; its status.
run_doctor() {
	local pid=$1 out=$2
	shift 2
	"$TLSTAP" doctor -p "$pid" --json "$@" >"$out" 2>"$out.err"
}

# tests/e2e/doctorjson.py: checks on doctor's JSON (see its docstring).
doctorjson() {
	python3 "$E2E_DIR/doctorjson.py" "$@"
}

# tracer_map_id TRACER_PID NAME: the id of BPF map NAME held by that tracer (status 1: none).
tracer_map_id() {
	local id
	for id in $(sed -n 's/^map_id:[[:space:]]*//p' /proc/"$1"/fdinfo/* 2>/dev/null | sort -un); do
		bpftool map show id "$id" 2>/dev/null | grep -q " name $2 " && { echo "$id"; return 0; }
	done
	return 1
}

# start_gated NAME CMD...: CMD in the background, stdin its own fifo (open_gate NAME sends it a line),
# output $E2E_TMP/NAME.out; sets GATED_PID.  A client that waits for that line can be traced first.
start_gated() {
	local name=$1 fd
	shift
	mkfifo "$E2E_TMP/$name.gate"
	# Held open read-write here: the client's open does not wait, and the
	# fifo never ends while the script runs.
	exec {fd}<>"$E2E_TMP/$name.gate"
	"$@" <"$E2E_TMP/$name.gate" >"$E2E_TMP/$name.out" 2>&1 &
	GATED_PID=$!
	kill_at_exit "$GATED_PID"
	# Returns once the child is CMD, no longer this shell's copy.
	for fd in $(seq 1 100); do
		[ "$(readlink "/proc/$GATED_PID/exe")" != "$(readlink "/proc/$$/exe")" ] && return 0
		sleep 0.05
	done
	fail "$name: $1 did not start"
}

# open_gate NAME: let the start_gated client NAME go.
open_gate() {
	echo go >"$E2E_TMP/$1.gate"
}

# --- the pcapng tests (t_pcapng_*.sh) -------------------------------------------
# Added by the pcapng branch; nothing above is changed.

# pcapng_site [BYTES]: nginx_tls "web" on a free port (sets PORT, NGX_PID and
# U=https://127.0.0.1:PORT) serving $E2E_TMP/www: hello.txt ("hello\n") and,
# given BYTES, big.bin (BYTES bytes, byte i = i % 251).
pcapng_site() {
	PORT=$(free_port)
	mkdir -p "$E2E_TMP/www"
	printf 'hello\n' >"$E2E_TMP/www/hello.txt"
	[ -z "${1:-}" ] || python3 -c 'import sys
sys.stdout.buffer.write(bytes(i % 251 for i in range(int(sys.argv[1]))))' "$1" \
		>"$E2E_TMP/www/big.bin"
	nginx_tls web "$PORT" "$E2E_TMP/www"
	U=https://127.0.0.1:$PORT
}

# pcapcheck segments|follow|untrusted|same ARGS...: tests/e2e/pcapcheck.py, a
# pcapng read by tshark against the NDJSON of the same run (see its docstring).
pcapcheck() {
	PYTHONPATH="$E2E_DIR" python3 "$E2E_DIR/pcapcheck.py" "$@"
}
