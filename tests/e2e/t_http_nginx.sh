#!/usr/bin/env bash
# HTTP exchanges from real captures: curl --http1.1 and --http2 against nginx
# (TLS, h2), both sides traced (curl with "-- curl", nginx with -p), then
# "tlstap replay --http -f json" checked exactly: method, path, authority,
# status, body sizes (a body larger than --max-bytes: its size from the
# headers, flagged truncated), proto, role, and the server port.  Also the
# h2 POST nginx answers before reading its body, reported as it happened.
source "$(dirname "$0")/lib.sh"
need_cmd nginx curl
T=$E2E_TMP
PORT=$(free_port)
mkdir -p "$T/www"
printf 'hello\n' >"$T/www/hello.txt"
python3 -c 'import sys; sys.stdout.buffer.write(bytes(i % 251 for i in range(100000)))' \
	>"$T/www/big.bin"
nginx_tls web "$PORT" "$T/www"
start_trace "$T/srv.json" --max-bytes 1000 -p "$NGX_PID"
U=https://127.0.0.1:$PORT
C=(--cacert "$T/cert.pem" -s -o /dev/null -o /dev/null -o /dev/null)

run_curl() { # OUT PROTO: three GETs, then a POST on the same connection (--next)
	run_trace "$T/$1.json" --max-bytes 1000 -- curl "--$2" "${C[@]}" \
		"$U/hello.txt" "$U/big.bin" "$U/api/x" --next "--$2" --cacert "$T/cert.pem" -s \
		-o /dev/null -d 'k=v' "$U/api/post" ||
		{ cat "$T/$1.json.err"; fail "traced curl --$2 failed"; }
}
run_curl c1 http1.1
run_curl c2 http2
P1=$(traced_pid "$T/c1.json")
P2=$(traced_pid "$T/c2.json")
[ -n "$P1" ] && [ -n "$P2" ] || fail "no curl pid"
sleep 0.3
stop_trace "$T/srv.json"
check_no_probes_left

for f in c1 c2 srv; do
	http_replay "$T/$f.json" "$T/$f.x"
done
A=127.0.0.1:$PORT
cat >"$T/h1.rows" <<ROWS
GET /hello.txt 200 0 6 http/1.1 client - $A
GET /big.bin 200 0 100000 http/1.1 client truncated $A
GET /api/x 200 0 11 http/1.1 client - $A
POST /api/post 200 3 14 http/1.1 client - $A
ROWS
sed 's|http/1.1|h2|' "$T/h1.rows" >"$T/h2.rows"
echo "--- curl --http1.1"
exchanges expect "$T/c1.x" --pid "$P1" --rows "$T/h1.rows" --server-port "$PORT" || fail "curl h1"
echo "--- curl --http2"
exchanges expect "$T/c2.x" --pid "$P2" --rows "$T/h2.rows" --server-port "$PORT" || fail "curl h2"
echo "--- nginx"
# nginx's "return" answers the h2 POST and resets its stream without reading
# the body: nginx reads it later, or never when curl has closed first.  Both
# are true; a body size of 0 that does not say so would not be.
cat "$T/h1.rows" "$T/h2.rows" | sed 's/ client / server /' |
	sed "s|^POST /api/post 200 3 14 h2 server - $A\$|& \| POST /api/post 200 0 14 h2 server unfinished $A|" \
		>"$T/srv.rows"
grep -q "unfinished" "$T/srv.rows" || fail "srv.rows: no alternative for the h2 POST"
exchanges expect "$T/srv.x" --pid "$NGX_PID" --rows "$T/srv.rows" --server-port "$PORT" ||
	fail "nginx side"

# --summary=N writes its table every N seconds while the tracer runs, also
# when no record comes (the tables were once written only at the end): a
# 3.5 s trace writes three or four by then, and one at the end.  One
# request early on: a table before the last names its endpoint.
echo "--- --summary=1"
"$TLSTAP" trace -v -p "$NGX_PID" --summary=1 -d 3.5 -o "$T/sum.txt" 2>"$T/sum.err" &
SUM_PID=$!
kill_at_exit "$SUM_PID"
wait_for "$T/sum.err" "probes in" 1 20
curl --http1.1 --cacert "$T/cert.pem" -s -o /dev/null "$U/hello.txt" || fail "curl for --summary"
wait "$SUM_PID" || fail "tlstap --summary=1 exited $?: $(cat "$T/sum.err")"
n=$(grep -c '^--- summary at' "$T/sum.txt")
echo "tables: $n"
[ "$n" -ge 3 ] || fail "--summary=1: $n tables in 3.5 s: $(cat "$T/sum.txt")"
awk -v last="$n" '/^--- summary at/ { t++ } t < last' "$T/sum.txt" |
	grep -q "GET  *\/hello.txt " ||
	fail "--summary=1: no table before the last names the request: $(cat "$T/sum.txt")"
echo "PASS"
