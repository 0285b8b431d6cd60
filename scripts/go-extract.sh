#!/usr/bin/env bash
# Extract a Go toolchain that Debian 12 does not carry from a later Debian
# suite into build/ without installing it: 1.24 from trixie, 1.26 and 1.27
# from sid (or experimental, which carries a Go release before sid does).
# Adding those suites to the system's apt sources would upgrade libc, so apt
# gets a private configuration (its own sources, lists and cache under
# build/apt-SUITE), downloads golang-VER-go and
# golang-VER-src, and dpkg -x unpacks them into one root:
#
#   build/toolchains/goVER/usr/lib/go-VER/bin/go
#
# Idempotent: does nothing when the toolchain is already there and runs.
# Usage: scripts/go-extract.sh VERSION [BUILD_DIR]   (default: build)
set -euo pipefail

ver=${1:?usage: go-extract.sh VERSION [BUILD_DIR]}
build=${2:-build}

# suites: where to look, the first one naming the apt directory.  With sid
# and experimental together, apt's default priorities (experimental is
# NotAutomatic) take sid's package when both have one.
case $ver in
1.24) suites="trixie" ;;
1.26 | 1.27) suites="sid experimental" ;;
*)
	echo "go-extract.sh: no Debian suite known for Go $ver (bookworm and its backports carry 1.19, 1.21-1.23: install those with apt)" >&2
	exit 2
	;;
esac

mkdir -p "$build"
build=$(cd "$build" && pwd)
root=$build/toolchains/go$ver
goroot=$root/usr/lib/go-$ver
apt_dir=$build/apt-${suites%% *}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
mirror=${TLSTAP_DEBIAN_MIRROR:-http://deb.debian.org/debian}

if [ -x "$goroot/bin/go" ] && GOROOT=$goroot GOTOOLCHAIN=local \
	"$goroot/bin/go" version >/dev/null 2>&1; then
	exit 0
fi

# sid and experimental are signed with the key of the current stable
# release; bookworm's debian-archive-keyring (2023.3+deb12u1 and later)
# carries the trixie key.  Without it apt would refuse the Release file, and
# we do not want trusted=yes.
if ! gpg --show-keys "$keyring" 2>/dev/null | grep -q '13/trixie'; then
	echo "go-extract.sh: $keyring has no trixie key; upgrade debian-archive-keyring" >&2
	exit 1
fi

mkdir -p "$apt_dir/sources" "$apt_dir/preferences" "$apt_dir/lists/partial" \
	"$apt_dir/cache/archives/partial" "$apt_dir/debs-$ver"
cat >"$apt_dir/sources/debian.sources" <<SRC
Types: deb
URIs: $mirror
Suites: $suites
Components: main
Signed-By: $keyring
SRC

apt_opts=(
	-o "Dir::Etc::SourceList=/dev/null"
	-o "Dir::Etc::SourceParts=$apt_dir/sources"
	-o "Dir::State::Lists=$apt_dir/lists"
	-o "Dir::Cache=$apt_dir/cache"
	# Keep the host's pinning out of this private view.
	-o "Dir::Etc::Preferences=/dev/null"
	-o "Dir::Etc::PreferencesParts=$apt_dir/preferences"
	# No dpkg status: the host's installed packages must not change what
	# apt considers a candidate here.
	-o "Dir::State::status=/dev/null"
	# The downloads land in build/, which apt's _apt user may not write.
	-o "APT::Sandbox::User=root"
)

echo "go-extract.sh: fetching $suites package lists into $apt_dir"
apt-get -q "${apt_opts[@]}" update >"$apt_dir/update.log" 2>&1 || {
	cat "$apt_dir/update.log" >&2
	exit 1
}

rm -f "$apt_dir/debs-$ver"/*.deb
(cd "$apt_dir/debs-$ver" && apt-get -q "${apt_opts[@]}" download "golang-$ver-go" "golang-$ver-src")

rm -rf "$root.tmp"
mkdir -p "$root.tmp"
for deb in "$apt_dir/debs-$ver"/*.deb; do
	dpkg -x "$deb" "$root.tmp"
done
rm -rf "$root"
mv "$root.tmp" "$root"

GOROOT=$goroot GOTOOLCHAIN=local "$goroot/bin/go" version
