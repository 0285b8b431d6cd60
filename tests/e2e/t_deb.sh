#!/usr/bin/env bash
# dpkg-buildpackage -us -uc -b builds the Debian package from a copy of this
# tree (scripts/deb.sh, in $BUILD/deb) with dpkg's hardening flags, running
# the unit tests that need no Go testdata; lintian finds no error in it (its
# warnings are printed); it holds the binary, a man page per command, the
# completion and the schemas, and needs no backported library (libbpf is
# static: Built-Using); apt-get installs it into this machine, the installed
# tlstap resolves, renders its pages and traces a Go client; apt-get purge
# removes it all.
source "$(dirname "$0")/lib.sh"
need_cmd dpkg-buildpackage dh lintian apt-get dpkg-deb man tar
go_testdata "" tlsserver-default tlsclient-default

if dpkg-query -W -f '${Status}' tlstap 2>/dev/null | grep -q 'ok installed'; then
	fail "the package tlstap is installed already: remove it (apt-get purge tlstap), this test installs its own"
fi
installed=""
deb_cleanup() {
	[ -z "$installed" ] || apt-get purge -y -qq tlstap >/dev/null 2>&1
}
trap 'deb_cleanup; e2e_cleanup' EXIT

T=$E2E_TMP
echo "--- scripts/deb.sh: dpkg-buildpackage -us -uc -b in a copy of the tree"
start=$SECONDS
deb=$(BUILD=$BUILD "$E2E_REPO/scripts/deb.sh" | tail -n1)
[ -f "$deb" ] || fail "scripts/deb.sh made no .deb"
echo "built in $((SECONDS - start)) s"
D=$(dirname "$deb")
ntests=$(grep -c '^=== test_' "$D/build.log")
[ "$ntests" -ge 5 ] || fail "the package build ran $ntests unit test programs"
grep -q '^FAILED' "$D/build.log" && fail "a unit test failed in the package build"
echo "unit test programs run by the build: $ntests"
grep -q -- '-fstack-protector-strong' "$D/build.log" || fail "the build did not use dpkg's hardening flags"
echo "$(basename "$deb"): $(stat -c %s "$deb") bytes"

echo "--- lintian"
lintian --fail-on error --info "$deb" >"$T/lintian.out" 2>&1
rc=$?
cat "$T/lintian.out"
[ $rc -eq 0 ] || fail "lintian: errors in $(basename "$deb")"
echo "lintian: $(grep -c '^E: ' "$T/lintian.out") errors, $(grep -c '^W: ' "$T/lintian.out") warnings"

echo "--- what the package holds"
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$T/contents"
mapfile -t commands < <("$TLSTAP" --help | awk '/^Commands:$/ { on = 1; next }
	on && /^$/ { exit }
	on && /^  [a-z]/ { print $1 }' | sort -u)
for f in /usr/sbin/tlstap /usr/share/man/man8/tlstap.8.gz "${commands[@]/#//usr/share/man/man8/tlstap-}" \
	/usr/share/bash-completion/completions/tlstap /usr/share/doc/tlstap/ndjson.md \
	/usr/share/doc/tlstap/resolve-json.md /usr/share/doc/tlstap/copyright; do
	case $f in /usr/share/man/man8/tlstap-*[a-z]) f=$f.8.gz ;; esac
	grep -qx "$f" "$T/contents" || { cat "$T/contents"; fail "the package lacks $f"; }
done
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
echo "Built-Using: $(dpkg-deb -f "$deb" Built-Using)"
case $depends in *libbpf*) fail "the package depends on libbpf (it is linked statically)" ;; esac
dpkg-deb -f "$deb" Built-Using | grep -q '^libbpf (= ' || fail "no Built-Using: libbpf"
version=$(dpkg-deb -f "$deb" Version)

echo "--- apt-get install ./$(basename "$deb")"
installed=1
(cd "$D" && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "./$(basename "$deb")") \
	>"$T/apt.out" 2>&1 || { cat "$T/apt.out"; fail "apt-get install"; }
[ "$(command -v tlstap)" = /usr/sbin/tlstap ] || fail "tlstap is not /usr/sbin/tlstap: $(command -v tlstap)"
[ "$(/usr/sbin/tlstap --version)" = "tlstap ${version%%-*}" ] ||
	fail "installed --version says '$(/usr/sbin/tlstap --version)', the package is $version"
/usr/sbin/tlstap resolve "$GO_BIN/tlsclient-default" >"$T/resolve.out" || fail "installed tlstap resolve"
grep -q '^kind: *go$' "$T/resolve.out" || fail "installed tlstap resolve: not a Go binary"
if dpkg -L tlstap | grep -q '^/usr/share/man/man8/'; then
	for c in "" "${commands[@]/#/-}"; do
		MANWIDTH=80 man --warnings "tlstap$c" >/dev/null 2>"$T/man.err" || fail "man tlstap$c"
		[ ! -s "$T/man.err" ] || { cat "$T/man.err"; fail "man --warnings tlstap$c"; }
	done
else
	echo "dpkg excludes /usr/share/man on this machine (path-exclude): man not checked"
fi

echo "--- the installed tlstap traces a Go client"
start_go_server "$GO_BIN/tlsserver-default"
TLSTAP=/usr/sbin/tlstap
run_trace "$T/trace.json" -- "$GO_BIN/tlsclient-default" -addr "127.0.0.1:$SRV_PORT" -n 1 -raw \
	-path /deb-check || { cat "$T/trace.json.err"; fail "installed tlstap trace -- tlsclient"; }
pid=$(traced_pid "$T/trace.json")
events expect "$T/trace.json" --pid "$pid" --dir write --contains "GET /deb-check" \
	--rport "$SRV_PORT" --attribution go-memory || fail "the installed tlstap's trace"

echo "--- apt-get purge tlstap"
apt-get purge -y -qq tlstap >"$T/apt.out" 2>&1 || { cat "$T/apt.out"; fail "apt-get purge"; }
installed=""
! dpkg-query -W -f '${Status}' tlstap 2>/dev/null | grep -q 'ok installed' || fail "still installed"
for f in /usr/sbin/tlstap /usr/share/man/man8/tlstap.8.gz /usr/share/bash-completion/completions/tlstap \
	/usr/share/doc/tlstap; do
	[ ! -e "$f" ] || fail "$f is left after apt-get purge"
done
echo "ok"
