#!/usr/bin/env bash
# Install every build and test dependency of tlstap from Debian's archive.
# Idempotent: when everything is present it only checks and returns in seconds.
# Go 1.24, 1.26 and 1.27 are not installed system-wide: scripts/go-extract.sh
# extracts them into build/ (make testdata runs it).
set -euo pipefail

BACKPORTS=/etc/apt/sources.list.d/tlstap-bookworm-backports.sources

# Packages from bookworm itself.
MAIN_PKGS=(
	make gcc clang llvm pkg-config binutils file
	libelf-dev libdwarf-dev libcapstone-dev libcmocka-dev zlib1g-dev
	libssl-dev libgnutls28-dev libnghttp2-dev node-llhttp nghttp2-client
	golang-1.19-go
	nginx-light haproxy curl openssl gnutls-bin tshark python3 iproute2
	libssl3 libgnutls30 hyperfine bpftrace
	caddy nodejs rclone python3-grpcio
	man-db groff-base bash-completion python3-yaml util-linux
	dpkg-dev debhelper fakeroot lintian
)
# Packages that only bookworm-backports has.  libbpf >= 1.3 has the
# uprobe_multi API (bpf_program__attach_uprobe_multi); tlstap links it
# statically, so the installed tool needs no backported library.
BPO_PKGS=(golang-1.21-go golang-1.22-go golang-1.23-go libbpf-dev bpftool)
# Minimum versions of packages bookworm also has, older.
declare -A MIN_VERSION=([libbpf-dev]=1:1.3 [bpftool]=7.3)

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "tlstap deps: missing packages ($*); run 'make deps' as root" >&2
		exit 1
	fi
}

missing() {
	local p v out=()
	for p in "$@"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
			out+=("$p")
			continue
		fi
		v=${MIN_VERSION[$p]:-}
		[ -z "$v" ] || dpkg --compare-versions "$(dpkg-query -W -f='${Version}' "$p")" ge "$v" ||
			out+=("$p")
	done
	echo "${out[@]:-}"
}

miss_main=$(missing "${MAIN_PKGS[@]}")
miss_bpo=$(missing "${BPO_PKGS[@]}")
if [ -z "$miss_main" ] && [ -z "$miss_bpo" ]; then
	echo "tlstap deps: all present"
	exit 0
fi
need_root $miss_main $miss_bpo

if [ -n "$miss_bpo" ] && ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	echo "tlstap deps: adding bookworm-backports to apt sources ($BACKPORTS)"
	cat >"$BACKPORTS" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi

export DEBIAN_FRONTEND=noninteractive
echo "tlstap deps: installing $miss_main $miss_bpo"
apt-get update -qq
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
# shellcheck disable=SC2086
[ -z "$miss_main" ] || apt-get install -y -qq --no-install-recommends $miss_main >/dev/null
# shellcheck disable=SC2086
[ -z "$miss_bpo" ] || apt-get install -y -qq --no-install-recommends -t bookworm-backports $miss_bpo >/dev/null
# Debian starts nginx on install; tests start their own instances on other ports.
if command -v systemctl >/dev/null && systemctl is-active -q nginx 2>/dev/null; then
	systemctl stop nginx haproxy 2>/dev/null || true
fi
echo "tlstap deps: done"
