#!/usr/bin/env bash
# Extract Go 1.24 from Debian trixie (the next release) into build/ without
# installing it: bookworm has no golang-1.24, and adding trixie to the
# system's apt sources would upgrade libc.  apt gets a private configuration
# (its own sources, lists and cache under build/), downloads the two .debs,
# and dpkg -x unpacks them into one root:
#
#   build/toolchains/go1.24/usr/lib/go-1.24/bin/go
#
# Idempotent: does nothing when the toolchain is already there and runs.
# Usage: scripts/go124.sh [BUILD_DIR]   (default: build)
set -euo pipefail

build=${1:-build}
mkdir -p "$build"
build=$(cd "$build" && pwd)
root=$build/toolchains/go1.24
goroot=$root/usr/lib/go-1.24
apt_dir=$build/apt-trixie
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
mirror=${TLSTAP_DEBIAN_MIRROR:-http://deb.debian.org/debian}

if [ -x "$goroot/bin/go" ] && GOROOT=$goroot GOTOOLCHAIN=local \
	"$goroot/bin/go" version >/dev/null 2>&1; then
	exit 0
fi

# bookworm's debian-archive-keyring (2023.3+deb12u1 and later) carries the
# trixie signing keys; without them apt would refuse the Release file, and we
# do not want trusted=yes.
if ! gpg --show-keys "$keyring" 2>/dev/null | grep -q '13/trixie'; then
	echo "go124.sh: $keyring has no trixie key; upgrade debian-archive-keyring" >&2
	exit 1
fi

mkdir -p "$apt_dir/sources" "$apt_dir/preferences" "$apt_dir/lists/partial" \
	"$apt_dir/cache/archives/partial" "$apt_dir/debs"
cat >"$apt_dir/sources/trixie.sources" <<SRC
Types: deb
URIs: $mirror
Suites: trixie
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
)

echo "go124.sh: fetching trixie package lists into $apt_dir"
apt-get -q "${apt_opts[@]}" update >"$apt_dir/update.log" 2>&1 || {
	cat "$apt_dir/update.log" >&2
	exit 1
}

rm -f "$apt_dir"/debs/*.deb
(cd "$apt_dir/debs" && apt-get -q "${apt_opts[@]}" download golang-1.24-go golang-1.24-src)

rm -rf "$root.tmp"
mkdir -p "$root.tmp"
for deb in "$apt_dir"/debs/*.deb; do
	dpkg -x "$deb" "$root.tmp"
done
rm -rf "$root"
mv "$root.tmp" "$root"

GOROOT=$goroot GOTOOLCHAIN=local "$goroot/bin/go" version
