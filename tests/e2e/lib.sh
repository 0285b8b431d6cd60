# Shared helpers for the end-to-end scripts (sourced, bash).
# Each script: exit 0 = pass, 77 = skipped (say why on the last line), else fail.
# Everything a script starts is killed on exit; only 127.0.0.1 is used.
set -u
BUILD=${BUILD:-build}
TLSTAP=${TLSTAP:-$BUILD/tlstap}
E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/tlstap-e2e.XXXXXX")
E2E_PIDS=()

e2e_cleanup() {
	local p
	for p in "${E2E_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	sleep 0.2
	for p in "${E2E_PIDS[@]}"; do
		kill -9 "$p" 2>/dev/null
	done
	wait 2>/dev/null
	[ -n "${E2E_KEEP:-}" ] || rm -rf "$E2E_TMP"
}
trap e2e_cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	echo "SKIP: $*"
	exit 77
}

# Remember a background pid for cleanup.
bg_pid() {
	E2E_PIDS+=("$1")
}

# A free TCP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Self-signed certificate and key in $E2E_TMP/cert.pem, key.pem.
make_cert() {
	[ -f "$E2E_TMP/cert.pem" ] && return 0
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$E2E_TMP/key.pem" \
		-out "$E2E_TMP/cert.pem" -days 2 -subj /CN=localhost \
		-addext subjectAltName=IP:127.0.0.1,DNS:localhost >/dev/null 2>&1 ||
		fail "openssl req"
}

# Wait until something listens on 127.0.0.1:PORT (max ~10 s).
wait_port() {
	local port=$1 i
	for i in $(seq 1 100); do
		python3 - "$port" <<'PY' && return 0
import socket, sys
s = socket.socket()
s.settimeout(0.2)
try:
    s.connect(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
PY
		sleep 0.1
	done
	fail "nothing listens on port $port"
}

# Wait until a file contains a pattern (max ~10 s).
wait_for() {
	local file=$1 pattern=$2 i
	for i in $(seq 1 100); do
		grep -q -- "$pattern" "$file" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "'$pattern' never appeared in $file"
}

# Start tlstap trace in the background writing NDJSON to $1, args follow.
# Waits until the probes are attached (the tracer says so with -v).
start_trace() {
	local out=$1
	shift
	"$TLSTAP" trace -v -f json -o "$out" "$@" 2>"$out.err" &
	TRACE_PID=$!
	bg_pid "$TRACE_PID"
	wait_for "$out.err" "probes"
}

# Stop a background tlstap trace cleanly and check it exited 0.
stop_trace() {
	kill -INT "$TRACE_PID" 2>/dev/null
	wait "$TRACE_PID"
	local rc=$?
	[ $rc -eq 0 ] || { cat "$1.err" >&2; fail "tlstap trace exited $rc"; }
}

# No uprobe left behind by tlstap once it exited.
check_no_probes_left() {
	local n
	if [ -r /sys/kernel/tracing/uprobe_events ]; then
		n=$(grep -c . /sys/kernel/tracing/uprobe_events || true)
		[ "$n" -eq 0 ] || fail "uprobe_events not empty after exit: $(head -3 /sys/kernel/tracing/uprobe_events)"
	fi
	if command -v bpftool >/dev/null; then
		bpftool prog show 2>/dev/null | grep -qE 'go_tls_|native_tls|native_sys' &&
			fail "BPF programs of tlstap still loaded"
		bpftool link show 2>/dev/null | grep -q 'uprobe' &&
			fail "uprobe links still present"
	fi
	return 0
}

# --- added for the native-TLS tests (t_native_*.sh) ---------------------------

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_REPO=$(cd "$E2E_DIR/../.." && pwd)

# tests/e2e/events.py: NDJSON checks (see its docstring).
events() {
	python3 "$E2E_DIR/events.py" "$@"
}

# Wait until a file has at least N lines matching a pattern (max ~SECS s, default 10).
wait_for_count() {
	local file=$1 pattern=$2 n=$3 secs=${4:-10} i c
	for i in $(seq 1 $((secs * 10))); do
		c=$(grep -c -- "$pattern" "$file" 2>/dev/null || true)
		[ "${c:-0}" -ge "$n" ] && return 0
		sleep 0.1
	done
	fail "'$pattern' appeared ${c:-0} times in $file, expected $n"
}

# Like start_trace, but waits until every -p target is attached (start_trace
# returns after the first one).
start_trace_all() {
	local out=$1 n=0 a
	shift
	for a in "$@"; do
		[ "$a" = "-p" ] && n=$((n + 1))
	done
	[ $n -gt 0 ] || n=1
	"$TLSTAP" trace -v -f json -o "$out" "$@" 2>"$out.err" &
	TRACE_PID=$!
	bg_pid "$TRACE_PID"
	wait_for_count "$out.err" "probes in" "$n" 20
}

# The counter line tlstap prints at exit ("tlstap: events=... ringbuf_drops=...").
trace_counter() {
	sed -n 's/.*[ :]'"$2"'=\([0-9]*\).*/\1/p' "$1.err" | tail -n1
}

# The system python3 (a PATH shim, e.g. pyenv's, is a shell script that
# execs another program: "tlstap trace -- python3" would trace the shim).
PYTHON3=${PYTHON3:-/usr/bin/python3}
[ -x "$PYTHON3" ] || PYTHON3=$(command -v python3)

# check_no_probes_left for a shared machine, where other tlstap instances
# (other engineers' tests, benchmarks) may run at the same time: every tlstap
# BPF program still loaded must be held open by a live process, and none of
# those processes may be one of the pids given (our tracers, which exited).
# A program nobody holds after ~2 s is a leak (pinned, or a dangling link).
check_no_probes_left_shared() {
	local try ids id holders orphans mine p
	for try in 1 2 3 4 5 6 7 8 9 10; do
		orphans="" mine=""
		ids=$(bpftool prog show 2>/dev/null |
			sed -n 's/^\([0-9]*\): .* name \(go_tls_\|native_tls\|native_sys\).*/\1/p')
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

# --- the proxy scenario (t_native_haproxy_proxy.sh, t_native_nginx_proxy.sh) --

# A plaintext nginx backend in its own prefix: nginx_backend NAME PORT.
# Answers every GET with "served <uri> by NAME".  Single process (its pid is
# the one registered for cleanup), keep-alive without limits.
nginx_backend() {
	local name=$1 port=$2 d="$E2E_TMP/nginx-$1"
	mkdir -p "$d/logs"
	cat >"$d/nginx.conf" <<NGX
daemon off;
master_process off;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/logs/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $d/body;
	proxy_temp_path $d/proxy;
	fastcgi_temp_path $d/fastcgi;
	uwsgi_temp_path $d/uwsgi;
	scgi_temp_path $d/scgi;
	keepalive_requests 1000000;
	keepalive_timeout 300s;
	server {
		listen 127.0.0.1:$port;
		default_type text/plain;
		location / { return 200 "served \$uri by $name\n"; }
	}
}
NGX
	nginx -p "$d" -c "$d/nginx.conf" -e "$d/logs/error.log" >"$d/out" 2>&1 &
	bg_pid $!
	wait_port "$port"
}

# Start NPROC python keep-alive client processes of THREADS connections each
# against 127.0.0.1:PORT (testdata/py/keepalive_client.py); they wait for
# "$E2E_TMP/clients/go" before their measured phases.  Returns once every
# connection made its first request.  Sets CLIENT_PIDS (timeout wrappers, to
# wait for) and CLIENT_PY_PIDS (the python processes, to trace).
#   start_proxy_clients PORT NPROC THREADS DURING NEWCONNS NEW
start_proxy_clients() {
	local port=$1 nproc=$2 threads=$3 during=$4 newconns=$5 new=$6 i d="$E2E_TMP/clients"
	mkdir -p "$d"
	: >"$d/ready"
	CLIENT_PIDS=()
	for i in $(seq 1 "$nproc"); do
		timeout 150 "$PYTHON3" "$E2E_REPO/testdata/py/keepalive_client.py" --port "$port" \
			--cafile "$E2E_TMP/cert.pem" --threads "$threads" --log "$d/req-$i.log" \
			--ready "$d/ready" --marker "$d/go" --during "$during" --new-conns "$newconns" \
			--new "$new" --id-base $((i * 10000000)) --max-wait 60 >"$d/out-$i" 2>&1 &
		CLIENT_PIDS+=($!)
		bg_pid $!
	done
	wait_for_count "$d/ready" "^ready" $((nproc * threads)) 30
	# CLIENT_PIDS are the "timeout" wrappers; the python processes:
	CLIENT_PY_PIDS=()
	for i in "${CLIENT_PIDS[@]}"; do
		CLIENT_PY_PIDS+=($(pgrep -P "$i"))
	done
}

# Release the clients' measured phases and wait for them (all must exit 0).
# Concatenates their request logs into $E2E_TMP/clients/requests.
finish_proxy_clients() {
	local d="$E2E_TMP/clients" p rc=0
	touch "$d/go"
	for p in "${CLIENT_PIDS[@]}"; do
		wait "$p" || rc=1
	done
	cat "$d"/req-*.log >"$d/requests"
	[ $rc -eq 0 ] || { cat "$d"/out-* >&2; fail "a keep-alive client failed"; }
}

# Wait until something listens on 127.0.0.1:PORT without connecting to it
# (for servers that count or mind connections, e.g. openssl s_server -naccept).
wait_listen() {
	local port=$1 i
	for i in $(seq 1 100); do
		ss -ltnH "( sport = :$port )" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	fail "nothing listens on port $port"
}

# --- the Go tests (t_go_*.sh) ------------------------------------------------

GO_TD=${GO_TD:-$BUILD/testdata/go}

# The Go minor versions testdata was built for (from its manifest).
go_versions() {
	[ -f "$GO_TD/manifest.txt" ] || return 0
	awk '!/^#/ {print $1}' "$GO_TD/manifest.txt" | sort -u -V
}

# The toolchain root of Go 1.NN (1.24 is extracted under build/toolchains).
go_root() {
	local v=$1
	if [ -x "/usr/lib/go-$v/bin/go" ]; then
		echo "/usr/lib/go-$v"
	else
		echo "$(cd "$BUILD" && pwd)/toolchains/go$v/usr/lib/go-$v"
	fi
}

# go_build VER PROG OUT: build testdata/go/PROG (default variant) with Go VER
# in the hermetic environment of testdata/go.mk (caches under build/, no
# network, no toolchain switching).  For programs go.mk does not build (yet).
go_build() {
	local v=$1 prog=$2 out=$3 root b
	root=$(go_root "$v")
	[ -x "$root/bin/go" ] || return 1
	b=$(cd "$BUILD" && pwd)
	mkdir -p "$(dirname "$out")"
	out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
	(cd "$E2E_REPO/testdata/go" && env GOROOT="$root" GOENV=off GOTOOLCHAIN=local \
		GOCACHE="$b/gocache" GOPATH="$b/gopath" GOMODCACHE="$b/gopath/pkg/mod" \
		XDG_CONFIG_HOME="$b/goconfig" GO111MODULE=on GOPROXY=off GOFLAGS=-buildvcs=false \
		GOOS=linux GOAMD64=v1 CGO_ENABLED=0 GOARCH=amd64 \
		"$root/bin/go" build -o "$out.tmp.$$" "./$prog") && mv "$out.tmp.$$" "$out"
}

# start_go_server BINARY [ARGS...]: a testdata tlsserver on a free port of
# 127.0.0.1, started untraced; sets SRV_PID, SRV_PORT, SRV_OUT (stdout+stderr).
start_go_server() {
	local bin=$1
	shift
	SRV_OUT=$(mktemp "$E2E_TMP/srv.XXXXXX")
	"$bin" -addr 127.0.0.1:0 "$@" >"$SRV_OUT" 2>&1 &
	SRV_PID=$!
	bg_pid "$SRV_PID"
	wait_for "$SRV_OUT" "^listening on "
	SRV_PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$SRV_OUT" | head -n1)
	[ -n "$SRV_PORT" ] || fail "no port in $SRV_OUT: $(head -c 200 "$SRV_OUT")"
}

# The pid tlstap reports for a "-- CMD" run (from its -v stderr file).
traced_pid() {
	sed -n 's/^tlstap: pid \([0-9]*\) .*probes in.*/\1/p' "$1" | head -n1
}

# tests/e2e/goevents.py: the Go tests' checks (see its docstring).
goevents() {
	python3 "$E2E_DIR/goevents.py" "$@"
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
	mkdir -p "$d/logs"
	cat >"$d/nginx.conf" <<NGX
daemon off;
master_process off;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/logs/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $d/body;
	proxy_temp_path $d/proxy;
	fastcgi_temp_path $d/fastcgi;
	uwsgi_temp_path $d/uwsgi;
	scgi_temp_path $d/scgi;
	keepalive_requests 1000000;
	server {
		listen 127.0.0.1:$port ssl http2;
		ssl_certificate $E2E_TMP/cert.pem;
		ssl_certificate_key $E2E_TMP/key.pem;
		root $root;
		default_type text/plain;
		location /api/ { return 200 "api \$uri\n"; }
	}
}
NGX
	nginx -p "$d" -c "$d/nginx.conf" -e "$d/logs/error.log" >"$d/out" 2>&1 &
	NGX_PID=$!
	bg_pid "$NGX_PID"
	wait_port "$port"
}
