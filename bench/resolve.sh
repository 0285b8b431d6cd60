#!/usr/bin/env bash
# Speed of `tlstap resolve` on large Go binaries, side by side with the
# fastest alternative a user has for the same facts (go tool nm for entries
# + go tool objdump for RET sites of the traced functions; only possible
# when the binary has symbols).  The stripped 54 MB rclone from Debian is
# downloaded (apt-get download, dpkg -x) into build/bench/.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
GOV=${BENCH_GO:-1.22}
GO=/usr/lib/go-$GOV/bin/go
dir=$BUILD/bench

if [ ! -x "$dir/rclone/usr/bin/rclone" ]; then
	mkdir -p "$dir/debs"
	(cd "$dir/debs" && apt-get download rclone >/dev/null)
	dpkg -x "$dir"/debs/rclone_*.deb "$dir/rclone"
fi

# time_cmd CMD...: median wall seconds over RUNS runs.
time_cmd() {
	local r s e
	for r in $(seq "$RUNS"); do
		s=$(date +%s.%N)
		"$@" >/dev/null 2>&1
		e=$(date +%s.%N)
		awk -v s="$s" -v e="$e" 'BEGIN { printf "%.4f\n", e - s }'
	done | median
}

alt() {
	"$GO" tool nm -size "$1" | grep -E ' crypto/tls\.\(\*Conn\)\.(Read|Write|Close)$|go[.:]itab\.\*net\.TCPConn,net\.Conn' >/dev/null
	"$GO" tool objdump -s 'crypto/tls\.\(\*Conn\)\.(Read|Write|Close)$' "$1" | grep -c RET >/dev/null
}

row() {
	local name=$1 bin=$2 t a
	t=$(time_cmd "$TLSTAP" resolve --json "$bin")
	printf '  %-34s %6s MB  tlstap resolve %7.3f s' "$name" \
		"$(($(stat -c %s "$bin") / 1000000))" "$t"
	if "$GO" tool nm "$bin" >/dev/null 2>&1; then
		a=$(time_cmd alt "$bin")
		printf '   go tool nm+objdump %7.3f s   ratio %s\n' "$a" "$(ratio "$a" "$t")"
	else
		printf '   go tool nm+objdump: impossible (stripped)\n'
	fi
}

echo "Resolve speed, median of $RUNS runs"
row "rclone (Debian, stripped)" "$dir/rclone/usr/bin/rclone"
row "go$GOV compile (Debian)" "/usr/lib/go-$GOV/pkg/tool/linux_amd64/compile"
largest=$(ls -S "$BUILD"/testdata/go/*/tlsserver-* 2>/dev/null | grep -vE '\.(nm|objdump|txt)$' | head -1 || true)
[ -n "$largest" ] && row "largest testdata ($(basename "$(dirname "$largest")")/$(basename "$largest"))" "$largest"
