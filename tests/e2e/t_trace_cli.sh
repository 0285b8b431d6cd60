#!/usr/bin/env bash
# The trace command's promises at its edges: usage errors are one line and
# exit 2; the capture file holds plaintext, so it is created 0600 (an
# existing file is set to 0600), never written through a symbolic link or
# into a file with other hard links, and a refused file keeps its content;
# a process tlstap cannot trace at all is one line and exit 1; a command
# that cannot be found exits 127, one that cannot be executed 126; a run
# that fails before it starts leaves existing files as they were and
# creates none; a process name is escaped in text (a process chooses it),
# and so is a file name in messages and in resolve -p (someone chose it).
source "$(dirname "$0")/lib.sh"
T=$E2E_TMP

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
expect_exit 2 "option '--stats' takes no value" "$TLSTAP" trace --stats=1 -- true
expect_exit 2 "option '--format' needs a value" "$TLSTAP" trace --format
expect_exit 2 "unknown option '--no-such'" "$TLSTAP" trace --no-such=1 -- true
expect_exit 2 "unknown option '-x'" "$TLSTAP" trace -x -- true
expect_exit 2 "--children goes with -p" "$TLSTAP" trace --children -- true
expect_exit 2 "unknown option '-:'" "$TLSTAP" trace -: -- true
expect_exit 2 "ambiguous option '--a'" "$TLSTAP" trace --a -- true
expect_exit 2 "unknown option '-\\\\xc3'" "$TLSTAP" trace -p 1 -év
for d in nan inf -1 0 1x; do
	expect_exit 2 "--duration: '$d' is not a number of seconds" "$TLSTAP" trace -d "$d" -- true
done

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

echo "--- nothing traceable: exit 1; a command not found: 127, not executable: 126"
expect_exit 1 "no such process" "$TLSTAP" trace -p 999999999
sleep 30 &
ALIVE=$!
kill_at_exit "$ALIVE"
expect_exit 1 "-p 999999999: no such process" "$TLSTAP" trace -p "$ALIVE" -p 999999999
# A thread's id is not a process's: said in one line, with the process.
"$PYTHON3" -c 'import threading, time
t = threading.Thread(target=time.sleep, args=(30,)); t.start()
print(t.native_id, flush=True); t.join()' >"$T/thread" &
kill_at_exit $!
THREADED=$!
wait_for "$T/thread" "^[0-9]" 1 10
TID=$(head -n1 "$T/thread")
expect_exit 1 "^tlstap: trace: -p $TID: a thread of process $THREADED \\(give -p $THREADED\\)\$" \
	"$TLSTAP" trace -p "$TID" -d 1
[ "$(wc -l <"$E2E_TMP/err")" -eq 1 ] || fail "-p THREAD: more than one line: $(cat "$E2E_TMP/err")"
expect_exit 127 "no-such-command" "$TLSTAP" trace -- /nonexistent/no-such-command
expect_exit 127 "no-such-command-x: command not found" "$TLSTAP" trace -- no-such-command-x
expect_exit 126 "Permission denied" "$TLSTAP" trace -- "$T"
echo 'echo hi' >"$T/notexec"
chmod 644 "$T/notexec"
expect_exit 126 "Permission denied" "$TLSTAP" trace -- "$T/notexec"

echo "--- a run that fails before it starts: files as they were, none created"
echo "earlier capture" >"$T/keep"
expect_exit 1 "no such process" "$TLSTAP" trace -o "$T/keep" -p 999999999
expect_exit 1 "/nonexistent/dir/x.pcapng" "$TLSTAP" trace -o "$T/keep" -w /nonexistent/dir/x.pcapng -- true
expect_exit 127 "no-such-command" "$TLSTAP" trace -o "$T/keep" -w "$T/new.pcapng" -- /nonexistent/no-such-command
# Found, but its exec fails (its interpreter is missing): known only once
# the tracer has loaded and launched it.
printf '#!/nonexistent/interpreter\n' >"$T/badinterp"
chmod 755 "$T/badinterp"
expect_exit 127 "badinterp" "$TLSTAP" trace -o "$T/keep" -w "$T/new.pcapng" -- "$T/badinterp"
# A kernel thread: no executable to trace.
expect_exit 1 "pid 2" "$TLSTAP" trace -o "$T/keep" -w "$T/new.pcapng" -p 2
[ "$(cat "$T/keep")" = "earlier capture" ] || fail "a failed start changed an existing file"
[ "$(stat -c %a "$T/keep")" = 644 ] || fail "a failed start changed an existing file's mode"
expect_exit 1 "/nonexistent/dir/x.pcapng" "$TLSTAP" trace -o "$T/new" -w /nonexistent/dir/x.pcapng -- true
[ ! -e "$T/new" ] && [ ! -e "$T/new.pcapng" ] || fail "a failed start left a file behind"

echo "--- a process name is text the process chose: escaped"
start_openssl_server www -www
cat >"$T/named.py" <<PY
import ctypes, socket, ssl
ctypes.CDLL(None).prctl(15, b"x\x1b[31mR\nF \\\\", 0, 0, 0)
ctx = ssl._create_unverified_context()
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", $SRV_PORT)))
s.sendall(b"GET / HTTP/1.0\r\n\r\n")
while s.recv(65536):
    pass
PY
"$TLSTAP" trace -o "$T/named.txt" -- "$PYTHON3" "$T/named.py" 2>"$T/err" ||
	{ cat "$T/err"; fail "trace of the renamed process"; }
grep -q 'x\\x1b\[31mR\\x0aF\\x20\\x5c pid ' "$T/named.txt" ||
	{ head -3 "$T/named.txt"; fail "the name is not escaped"; }
! grep -q $'\x1b' "$T/named.txt" || fail "an escape character reached the output"
echo "ok"

echo "--- a file name is text someone chose: escaped on stderr and by resolve"
# A copy of python whose name holds a terminal escape (ESC [ 3 1 m) and a C1
# control (CSI, U+009B, in UTF-8): -v names its executable, resolve -p too.
hostile="$T/py"$'\x1b[31m\xc2\x9b'
cp "$(readlink -f "$PYTHON3")" "$hostile"
"$TLSTAP" trace -v -o "$T/hostile.txt" -- "$hostile" "$T/named.py" 2>"$T/hostile.err" ||
	{ cat "$T/hostile.err"; fail "trace of the renamed executable"; }
grep -q 'py\\x1b\[31m\\xc2\\x9b' "$T/hostile.err" ||
	{ cat "$T/hostile.err"; fail "-v does not name the executable, escaped"; }
"$hostile" -c 'import ssl, time; time.sleep(30)' &
HPID=$!
for _ in $(seq 100); do
	grep -q libssl "/proc/$HPID/maps" 2>/dev/null && break
	sleep 0.1
done
"$TLSTAP" resolve -p "$HPID" >"$T/hostile.res" 2>&1 || { cat "$T/hostile.res"; fail "resolve -p"; }
kill "$HPID"
grep -q "pid $HPID (py\\\\x1b\[31m\\\\xc2\\\\x9b): .*/py\\\\x1b\[31m\\\\xc2\\\\x9b" "$T/hostile.res" ||
	{ head -3 "$T/hostile.res"; fail "resolve -p does not name the executable, escaped"; }
! grep -q $'\x1b\|\xc2\x9b' "$T/hostile.err" "$T/hostile.res" ||
	fail "an escape character reached stderr or resolve's output"
echo "ok"
