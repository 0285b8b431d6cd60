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
