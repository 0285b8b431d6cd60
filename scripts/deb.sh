#!/usr/bin/env bash
# Build the Debian package (dpkg-buildpackage -us -uc -b) from a copy of this
# tree in $BUILD/deb: dpkg-buildpackage writes into the tree it builds and
# into its parent, so the clone stays clean.  The copy is what git tracks or
# would (the working tree's state), never build/.  Its log goes to
# $BUILD/deb/build.log; the last line printed is the .deb's path.
set -u
BUILD=${BUILD:-build}
repo=$(cd "$(dirname "$0")/.." && pwd)
d=$(mkdir -p "$BUILD" && cd "$BUILD" && pwd)/deb

die() {
	echo "tlstap deb: $*" >&2
	exit 1
}

rm -rf "$d"
mkdir -p "$d/tlstap"
if git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$repo" && git ls-files --cached --others --exclude-standard |
		while read -r f; do [ -f "$f" ] && echo "$f"; done | tar -cf - -T -) |
		tar -xf - -C "$d/tlstap" || die "copying the tree"
else
	tar -C "$repo" --exclude=./build -cf - . | tar -xf - -C "$d/tlstap" || die "copying the tree"
fi
echo "tlstap deb: dpkg-buildpackage -us -uc -b in $d/tlstap (log: $d/build.log)" >&2
(cd "$d/tlstap" && DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-parallel=$(nproc)}" \
	dpkg-buildpackage -us -uc -b) >"$d/build.log" 2>&1 ||
	{ tail -n 40 "$d/build.log" >&2; die "dpkg-buildpackage failed (log: $d/build.log)"; }
rm -rf "$d/tlstap"
deb=$(ls "$d"/tlstap_*_"$(dpkg --print-architecture)".deb 2>/dev/null | head -n1)
[ -n "$deb" ] || die "no .deb in $d"
echo "$deb"
