#!/usr/bin/env bash
# The trace command's promises at its edges: usage errors are one line and
# exit 2; the capture file holds plaintext, so it is created 0600 (an
# existing file is set to 0600), never written through a symbolic link or
# into a file with other hard links, and a refused file keeps its content;
# a process tlstap cannot trace at all is one line and exit 1; a command
# that cannot be started exits 127.
source "$(dirname "$0")/lib.sh"
T=$E2E_TMP

# expect_exit CODE PATTERN CMD...: CMD exits CODE and its stderr matches.
expect_exit() {
	local code=$1 pattern=$2 rc
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc -eq "$code" ] || { cat "$T/err" >&2; fail "$*: exit $rc, expected $code"; }
	grep -qE -- "$pattern" "$T/err" || { cat "$T/err" >&2; fail "$*: stderr lacks '$pattern'"; }
}

echo "--- not in the initial pid namespace: exit 1, said"
expect_exit 1 "runs only in the initial pid namespace" unshare -p -f --mount-proc "$TLSTAP" trace -- true

echo "--- usage errors: exit 2"
expect_exit 2 "nothing to trace" "$TLSTAP" trace
expect_exit 2 "unknown format" "$TLSTAP" trace -f xml -p 1
expect_exit 2 "buffer-size" "$TLSTAP" trace --buffer-size 3M -p 1
many=()
for _ in $(seq 4097); do many+=(-p 1); done
expect_exit 2 "more than 4096 processes" "$TLSTAP" trace "${many[@]}"
expect_exit 2 "one of -p PID, -- CMD and --all" "$TLSTAP" trace --all -p 1
expect_exit 2 "one of -p PID, -- CMD and --all" "$TLSTAP" trace --all -- true
expect_exit 2 "--comm: .* is not a command name" "$TLSTAP" trace --all --comm 0123456789abcdefg
expect_exit 2 "--comm: at most 8" "$TLSTAP" trace --all $(printf -- '--comm c%d ' $(seq 9))
expect_exit 2 "--port: '0' is not a port" "$TLSTAP" trace --all --port 0
expect_exit 2 "--port: 'http' is not a port" "$TLSTAP" trace --all --port http
expect_exit 2 "--exe: $T/nothing: No such file" "$TLSTAP" trace --all --exe "$T/nothing"
expect_exit 2 "--exe: $T: not a regular file" "$TLSTAP" trace --all --exe "$T"
expect_exit 2 "--cgroup: /no/such/cgroup: not a cgroup v2 directory" \
	"$TLSTAP" trace --all --cgroup /no/such/cgroup
expect_exit 2 "--cgroup: $T: not a cgroup v2 directory" "$TLSTAP" trace --all --cgroup "$T"

echo "--- the capture: 0600, no symbolic link, no hard link"
umask 022
"$TLSTAP" trace -o "$T/cap" -d 0.5 -- true 2>"$T/err" || { cat "$T/err"; fail "trace -- true"; }
[ "$(stat -c %a "$T/cap")" = 600 ] || fail "capture created with mode $(stat -c %a "$T/cap")"
echo old >"$T/existing"
chmod 644 "$T/existing"
"$TLSTAP" trace -o "$T/existing" -d 0.5 -- true 2>"$T/err" || fail "trace into an existing file"
[ "$(stat -c %a "$T/existing")" = 600 ] || fail "existing capture left mode $(stat -c %a "$T/existing")"
echo secret >"$T/victim"
ln -s "$T/victim" "$T/link"
expect_exit 1 "symbolic link" "$TLSTAP" trace -o "$T/link" -d 0.5 -- true
[ "$(cat "$T/victim")" = secret ] || fail "the link's target was written"
ln "$T/victim" "$T/hard"
expect_exit 1 "hard links" "$TLSTAP" trace -o "$T/hard" -d 0.5 -- true
[ "$(cat "$T/victim")" = secret ] || fail "a hard-linked file was truncated"
# Devices are written as they are.
"$TLSTAP" trace -o /dev/null -d 0.5 -- true 2>"$T/err" || { cat "$T/err"; fail "-o /dev/null"; }

echo "--- nothing traceable: exit 1; a command that cannot start: 127"
expect_exit 1 "no such process" "$TLSTAP" trace -p 999999999
expect_exit 127 "no-such-command" "$TLSTAP" trace -- /nonexistent/no-such-command
echo "ok"
