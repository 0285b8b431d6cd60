#!/usr/bin/env bash
# tlstap resolve -p against running processes: an nginx serving TLS (master
# and worker) and a python3 holding a TLS connection to openssl s_server.
# The libssl objects and their SSL_* file offsets are checked against
# readelf (symbols and PT_LOAD) of the very file each process maps; error
# cases give one line on stderr and exit 1.
source "$(dirname "$0")/lib.sh"
need_cmd nginx readelf curl gnutls-cli setpriv

# --- nginx with TLS on 127.0.0.1 ---------------------------------------------
start_nginx web 1 tls 'return 200 "ok\n";'
NGX_PORT=$SRV_PORT NGX_MASTER=$SRV_PID NGX_WORKER=${NGINX_WORKERS[0]}
curl -sk --max-time 5 "https://127.0.0.1:$NGX_PORT/" | grep -q ok || fail "nginx does not answer over TLS"

# --- python3 holding a TLS connection to openssl s_server ---------------------
start_openssl_server s_server -quiet
cat >"$E2E_TMP/client.py" <<'PY'
import socket, ssl, sys, time
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))),
                    server_hostname="localhost")
s.sendall(b"hello over tls\n")
open(sys.argv[2], "w").write(s.version() + "\n")
time.sleep(100)
PY
"$PYTHON3" "$E2E_TMP/client.py" "$SRV_PORT" "$E2E_TMP/py.ready" </dev/null >"$E2E_TMP/py.log" 2>&1 &
PYPID=$!
kill_at_exit "$PYPID"
wait_for "$E2E_TMP/py.ready" "TLS"
wait_for "$E2E_TMP/s_server.out" "hello over tls"

# --- resolve the three processes at once -------------------------------------
rc=0
TLSTAP_DEBUG_CACHE=1 "$TLSTAP" resolve --json -p "$NGX_MASTER" -p "$NGX_WORKER" -p "$PYPID" \
	>"$E2E_TMP/out.json" 2>"$E2E_TMP/out.err" || rc=$?
cat "$E2E_TMP/out.err"
[ "$rc" -eq 0 ] || { head -c 2000 "$E2E_TMP/out.json"; fail "resolve -p exited $rc"; }

"$PYTHON3" - "$E2E_TMP/out.json" "$E2E_TMP/out.err" "$NGX_MASTER" "$NGX_WORKER" "$PYPID" <<'PY' ||
import json, re, subprocess, sys

out, errf, master, worker, pypid = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
lines = [l for l in open(out) if l.strip()]
assert len(lines) == 3, f"expected 3 JSON lines, got {len(lines)}"
procs = {p["pid"]: p for p in map(json.loads, lines)}
assert set(procs) == {master, worker, pypid}, procs.keys()

def oracle(path):
    """Defined SSL_* functions -> (vaddr, file offset, size), from readelf."""
    loads = []
    for l in subprocess.run(["readelf", "-l", "-W", path], capture_output=True, text=True).stdout.splitlines():
        f = l.split()
        if f and f[0] == "LOAD":
            loads.append((int(f[1], 16), int(f[2], 16), int(f[4], 16)))
    syms = {}
    for l in subprocess.run(["readelf", "--dyn-syms", "-W", path], capture_output=True, text=True).stdout.splitlines():
        f = l.split()
        if len(f) < 8 or f[3] not in ("FUNC", "IFUNC") or f[6] == "UND":
            continue
        name = f[7].split("@")[0]
        if not (name.startswith("SSL_") or name.startswith("gnutls_") or name == "BIO_new_socket"):
            continue
        v = int(f[1], 16)
        off = next(v - va + o for (o, va, sz) in loads if va <= v < va + sz)
        syms.setdefault(name, (v, off, int(f[2])))
    return syms

WANTED = ["SSL_read", "SSL_write", "SSL_read_ex", "SSL_write_ex", "SSL_set_fd", "SSL_set_bio",
          "SSL_do_handshake", "SSL_shutdown", "SSL_free", "BIO_new_socket"]
paths = set()
for pid, p in procs.items():
    comm = open(f"/proc/{pid}/comm").read().strip()
    assert p["comm"] == comm, (p["comm"], comm)
    import os
    assert p["exe"] == os.readlink(f"/proc/{pid}/exe"), p["exe"]
    exe = [o for o in p["objects"] if o.get("executable")]
    assert len(exe) == 1 and exe[0]["path"] == p["exe"], exe
    assert exe[0]["attach"] is False and exe[0]["kind"] == "none", exe[0]
    ssl = [o for o in p["objects"] if re.search(r"/libssl\.so\.[0-9.]+$", o["path"])]
    assert len(ssl) == 1, [o["path"] for o in p["objects"]]
    ssl = ssl[0]
    assert ssl["kind"] == "native" and ssl["attach"] is True, ssl
    assert ssl["library"]["name"] == "openssl", ssl["library"]
    # the version comes from the libcrypto mapped alongside
    assert ssl["library"]["version"].startswith("OpenSSL 3."), ssl["library"]
    assert "libcrypto" in ssl["reason"], ssl["reason"]
    want = oracle(f"/proc/{pid}/root{ssl['path']}")
    got = {f["name"]: f for f in ssl["functions"] if f["found"]}
    for name in WANTED:
        if name not in want:
            assert name not in got, f"{name} found but not in readelf"
            continue
        v, off, size = want[name]
        f = got[name]
        assert (f["address"], f["file_offset"], f["size"]) == (v, off, size), (name, f, want[name])
    assert {"SSL_read", "SSL_write"} <= set(got), got.keys()
    skipped = {s["path"].rsplit("/", 1)[-1]: s["reason"] for s in p["skipped"]}
    assert skipped.get("libc.so.6") == "not a TLS library", skipped
    crypto = [r for n, r in skipped.items() if n.startswith("libcrypto.so")]
    assert crypto and crypto[0].startswith("no TLS entry points"), skipped
    attach = [o["path"] for o in p["objects"] if o["attach"]]
    assert attach == [ssl["path"]], attach
    print(f"pid {pid} ({comm}): attach {ssl['path']} SSL_read@{got['SSL_read']['file_offset']:#x} "
          f"({len(got)} functions match readelf), {len(p['skipped'])} skipped")
    paths |= {o["path"] for o in p["objects"]} | {s["path"] for s in p["skipped"]}

# Each distinct object analysed once, however many processes map it.
m = re.search(r"(\d+) objects analysed for 3 processes", open(errf).read())
assert m, "no cache summary"
assert int(m.group(1)) == len(paths), (m.group(1), len(paths))
print(f"object cache: {m.group(1)} objects analysed for 3 processes ({len(paths)} distinct)")
PY
	fail "JSON check"

# --- text output ----------------------------------------------------------------
"$TLSTAP" resolve -p "$PYPID" >"$E2E_TMP/out.txt" 2>&1 || fail "text mode exited $?"
grep -qE "^pid $PYPID \(python3" "$E2E_TMP/out.txt" || fail "text: no process header"
grep -qE "^  attach /.*/libssl\.so\.3: openssl entry points: SSL_read, SSL_write" "$E2E_TMP/out.txt" ||
	{ cat "$E2E_TMP/out.txt"; fail "text: libssl not attached"; }
grep -qE "^  skip /.*/libc\.so\.6: not a TLS library" "$E2E_TMP/out.txt" || fail "text: libc not skipped"
echo "text output ok"

# --- a GnuTLS client and a Go TLS server ------------------------------------------
start_openssl_server s_server2 -quiet
mkfifo "$E2E_TMP/gnutls.in"
gnutls-cli --insecure -p "$SRV_PORT" 127.0.0.1 <>"$E2E_TMP/gnutls.in" >"$E2E_TMP/gnutls.log" 2>&1 &
GTPID=$!
kill_at_exit "$GTPID"
wait_for "$E2E_TMP/gnutls.log" "Handshake was completed"
go_testdata "$(go_versions | head -n1)" tlsserver-pie
start_go_server "$GO_BIN/tlsserver-pie"
GOPID=$SRV_PID
PIDS=(-p "$GTPID" -p "$GOPID")
"$TLSTAP" resolve --json "${PIDS[@]}" >"$E2E_TMP/out2.json" 2>"$E2E_TMP/out2.err" ||
	{ cat "$E2E_TMP/out2.err"; fail "resolve -p gnutls/go exited $?"; }
"$PYTHON3" - "$E2E_TMP/out2.json" <<'PY' || fail "GnuTLS/Go JSON check"
import json, subprocess, sys
for p in map(json.loads, filter(str.strip, open(sys.argv[1]))):
    attach = [o for o in p["objects"] if o["attach"]]
    if p["comm"].startswith("gnutls"):
        assert len(attach) == 1 and "/libgnutls.so.30" in attach[0]["path"], attach
        lib = attach[0]
        assert lib["library"]["name"] == "gnutls", lib["library"]
        ver = subprocess.run(["gnutls-cli", "--version"], capture_output=True, text=True).stdout.split()[1]
        assert lib["library"]["version"] == ver, (lib["library"], ver)
        path = f"/proc/{p['pid']}/root{lib['path']}"
        loads = [l.split() for l in subprocess.run(["readelf", "-l", "-W", path], capture_output=True,
                 text=True).stdout.splitlines() if l.split()[:1] == ["LOAD"]]
        got = {f["name"]: f for f in lib["functions"]}
        n = 0
        for l in subprocess.run(["readelf", "--dyn-syms", "-W", path], capture_output=True,
                                text=True).stdout.splitlines():
            f = l.split()
            if len(f) < 8 or f[3] != "FUNC" or f[6] == "UND":
                continue
            name = f[7].split("@")[0]
            if name in ("gnutls_record_recv", "gnutls_record_send", "gnutls_transport_set_int2",
                        "gnutls_transport_set_ptr", "gnutls_bye", "gnutls_deinit"):
                v = int(f[1], 16)
                off = next(v - int(va, 16) + int(o, 16) for (_, o, va, _, fs, *_) in loads
                           if int(va, 16) <= v < int(va, 16) + int(fs, 16))
                assert (got[name]["address"], got[name]["file_offset"]) == (v, off), (name, got[name])
                n += 1
        assert n == 6, n
        print(f"pid {p['pid']} (gnutls-cli): attach {lib['path']} gnutls {ver}, 6 functions match readelf")
    else:
        exe = [o for o in p["objects"] if o.get("executable")][0]
        assert exe["kind"] == "go" and exe["attach"] is True, (exe["kind"], exe["attach"], exe["reason"])
        assert attach == [exe], [o["path"] for o in attach]
        names = {f["name"] for f in exe["functions"] if f["found"]}
        assert {"crypto/tls.(*Conn).Read", "crypto/tls.(*Conn).Write"} <= names, names
        print(f"pid {p['pid']} ({p['comm']}): attach the executable: {exe['reason']}")
PY

# --- errors: one line on stderr, exit 1, other pids still resolved -------------------
expect_error() { # expect_error REGEX ARGS...: exit 1, exactly one stderr line matching
	local re=$1 rc=0
	shift
	"$TLSTAP" resolve "$@" >"$E2E_TMP/e.out" 2>"$E2E_TMP/e.err" || rc=$?
	[ "$rc" -eq 1 ] || fail "resolve $* exited $rc (want 1)"
	[ "$(wc -l <"$E2E_TMP/e.err")" -eq 1 ] || { cat "$E2E_TMP/e.err"; fail "resolve $*: not one stderr line"; }
	grep -qE "$re" "$E2E_TMP/e.err" || fail "resolve $*: stderr '$(cat "$E2E_TMP/e.err")' !~ $re"
	echo "error ok: $(cat "$E2E_TMP/e.err")"
}
GONE=$(( $(cat /proc/sys/kernel/pid_max) + 1 ))
expect_error "^tlstap: pid $GONE: no such process\$" -p "$GONE"
[ ! -s "$E2E_TMP/e.out" ] || fail "output for a missing process"
expect_error "^tlstap: pid $GONE: no such process\$" --json -p "$GONE" -p "$PYPID"
grep -q "\"pid\":$PYPID," "$E2E_TMP/e.out" || fail "the good pid was not resolved next to a bad one"

sleep 50 </dev/null >/dev/null 2>&1 &
SLEEP=$!
kill_at_exit "$SLEEP"
expect_error "^tlstap: pid $SLEEP: nothing TLS to trace" -p "$SLEEP"
grep -q "not a TLS library" "$E2E_TMP/e.out" || fail "no skip reasons for a process without TLS"
# A file with nothing to trace: exit 1, one line why, and --json still gives
# its object (kind none), one per ELF input; a file not ELF gives none.
expect_error "^tlstap: /bin/sleep: not a Go binary and no OpenSSL/GnuTLS entry points" \
	--json /bin/sleep
python3 -c 'import json, sys
o = json.loads(sys.stdin.read())
assert o["kind"] == "none" and o["path"] == "/bin/sleep" and o["functions"] == [], o' \
	<"$E2E_TMP/e.out" || fail "resolve --json FILE without TLS: $(cat "$E2E_TMP/e.out")"
echo "plain text" >"$E2E_TMP/notelf"
"$TLSTAP" resolve --json /bin/sleep "$E2E_TMP/notelf" >"$E2E_TMP/e.out" 2>"$E2E_TMP/e.err" &&
	fail "resolve --json of files without TLS exited 0"
[ "$(wc -l <"$E2E_TMP/e.out")" -eq 1 ] || fail "resolve --json: not one object for one ELF input"

# Another user's process: permission denied (run tlstap as nobody).
id nobody >/dev/null 2>&1 || fail "no user nobody"
mkdir -p "$E2E_TMP/bin"
cp "$TLSTAP" "$E2E_TMP/bin/tlstap"
chmod 711 "$E2E_TMP" "$E2E_TMP/bin"
chmod 755 "$E2E_TMP/bin/tlstap"
rc=0
setpriv --reuid=nobody --regid=nogroup --clear-groups "$E2E_TMP/bin/tlstap" resolve -p "$NGX_MASTER" \
	>/dev/null 2>"$E2E_TMP/e.err" || rc=$?
[ "$rc" -eq 1 ] || fail "unprivileged resolve of a root process exited $rc"
grep -qE "^tlstap: pid $NGX_MASTER: permission denied" "$E2E_TMP/e.err" ||
	fail "unprivileged: $(cat "$E2E_TMP/e.err")"
[ "$(wc -l <"$E2E_TMP/e.err")" -eq 1 ] || fail "unprivileged: not one line"
echo "error ok: $(cat "$E2E_TMP/e.err")"
echo "PASS"
