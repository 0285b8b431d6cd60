#!/usr/bin/env bash
# Install every build and test dependency of tlstap from Debian's archive.
# Idempotent: when everything is present it only checks and returns in seconds.
# Go 1.24 is not installed system-wide: scripts/go124.sh extracts it into build/.
set -euo pipefail

BACKPORTS=/etc/apt/sources.list.d/tlstap-bookworm-backports.sources

# Packages from bookworm itself.
MAIN_PKGS=(
	make gcc clang llvm pkg-config binutils file
	libbpf-dev libelf-dev libdwarf-dev libcapstone-dev libcmocka-dev zlib1g-dev
	libssl-dev libgnutls28-dev libnghttp2-dev node-llhttp nghttp2-client
	bpftool
	golang-1.19-go
	nginx-light haproxy curl openssl gnutls-bin tshark python3 iproute2
	libssl3 libgnutls30 hyperfine bpftrace
	caddy python3-grpcio
)
# Packages that only bookworm-backports has.
BPO_PKGS=(golang-1.21-go golang-1.22-go golang-1.23-go)

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "tlstap deps: missing packages ($*); run 'make deps' as root" >&2
		exit 1
	fi
}

missing() {
	local p out=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || out+=("$p")
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
