#!/usr/bin/env bash
# `resolve -p` says what `trace -p` attaches, because both take it from one
# plan: for each process below, the objects resolve -p marks "attach" are
# exactly those trace -p -v reports attached, and what one refuses the other
# refuses.  Cases: a Go binary whose build info says a stack-ABI version, a
# stripped Go binary of a version no table knows, a library with nothing to
# hook (python's libcrypto and libc), and Node (OpenSSL in the executable).
source "$(dirname "$0")/lib.sh"
need_cmd node readelf
T=$E2E_TMP
go_testdata "$(go_versions | head -n1)" tlsserver-default tlsserver-stripped

# set_go_version IN OUT go1.NN: a copy of IN whose .go.buildinfo says go1.NN
# instead of its own go1.MM (same length): the code is untouched, it runs.
set_go_version() {
	"$PYTHON3" - "$@" <<'PY' || fail "patching $1"
import re, subprocess, sys
src, dst, new = sys.argv[1:4]
data = bytearray(open(src, "rb").read())
out = subprocess.run(["readelf", "-SW", src], capture_output=True, text=True).stdout
m = re.search(r"\.go\.buildinfo\s+\S+\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)", out)
off, size = int(m.group(1), 16), int(m.group(2), 16)
sec = data[off:off + size]
old = re.search(rb"go1\.\d+", sec).group(0)
assert len(old) == len(new), (old, new)
i = sec.index(old)
data[off + i:off + i + len(old)] = new.encode()
open(dst, "wb").write(data)
PY
	chmod +x "$2"
}

# attached_by_resolve PID: the paths resolve -p would attach, sorted.
attached_by_resolve() {
	"$TLSTAP" resolve -p "$1" --json 2>"$T/resolve.err" >"$T/resolve.json"
	"$PYTHON3" -c '
import json, sys
for line in open(sys.argv[1]):
    for o in json.loads(line)["objects"]:
        if o["attach"]:
            print(o["path"])' "$T/resolve.json" | sort
}

# attached_by_trace PID: the paths trace -p attaches (from -v), sorted.
attached_by_trace() {
	"$TLSTAP" trace -v -d 1 -o /dev/null -p "$1" 2>"$T/trace.err"
	sed -n "s/^tlstap: pid $1: attach \([^:]*\): .*/\1/p" "$T/trace.err" | sort
}

# agree NAME PID: both lists equal; prints them.
agree() {
	local r t
	r=$(attached_by_resolve "$2")
	t=$(attached_by_trace "$2")
	echo "$1: resolve -p attaches [${r//$'\n'/ }], trace attaches [${t//$'\n'/ }]"
	[ "$r" = "$t" ] || { cat "$T/resolve.json" "$T/trace.err" >&2; fail "$1: they disagree"; }
}

echo "--- a Go binary that says go1.16 (stack ABI): neither attaches"
set_go_version "$GO_BIN/tlsserver-default" "$T/stackabi" go1.16
start_go_server "$T/stackabi"
agree stack-abi "$SRV_PID"
grep -q "stack ABI" "$T/trace.err" || fail "trace does not say why (stack ABI)"
grep -q '"attach":false' "$T/resolve.json" || fail "resolve -p lists no refused executable"

echo "--- a stripped Go binary of an unknown version: the same answer from both"
set_go_version "$GO_BIN/tlsserver-stripped" "$T/unknownver" go1.99
start_go_server "$T/unknownver"
agree unknown-version "$SRV_PID"

echo "--- python with libssl and libcrypto: libssl only"
start_python_https_server --log "$T/py.log"
agree python "$SRV_PID"
grep -q "libssl" <(attached_by_resolve "$SRV_PID") || fail "python: libssl not attached"
attached_by_resolve "$SRV_PID" | grep -qE "libcrypto|libc\.so" &&
	fail "python: a library without hooks attached"

echo "--- node: the executable carries OpenSSL"
node -e 'setInterval(() => require("tls"), 1000)' &
NPID=$!
kill_at_exit $NPID
sleep 0.5
agree node $NPID
attached_by_trace $NPID | grep -q "/node" || fail "node: the executable is not attached"
echo PASS
