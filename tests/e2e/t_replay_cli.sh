#!/usr/bin/env bash
# The replay command's promises at its edges, on a recorded capture
# (tests/data): an output that names the capture being read is refused
# (exit 2) and the capture is left whole; a capture bad from its first line
# leaves existing outputs as they were and creates none; --stats counts the
# events read; with -w alone no HTTP counters are printed (HTTP then only
# tells each connection's role, it follows no exchange); usage errors name
# the option.
source "$(dirname "$0")/lib.sh"
T=$E2E_TMP
CAP=$T/cap.ndjson
cp "$E2E_REPO/tests/data/curl_h1_nginx.ndjson" "$CAP"
cp "$CAP" "$T/orig.ndjson"
LINES=$(grep -c . "$CAP")

echo "--- an output that is the capture: refused, the capture whole"
expect_exit 2 "is the capture being read" "$TLSTAP" replay -o "$CAP" "$CAP"
expect_exit 2 "is the capture being read" "$TLSTAP" replay -w "$T/./cap.ndjson" -o /dev/null "$CAP"
cmp -s "$CAP" "$T/orig.ndjson" || fail "the capture was changed"

echo "--- a capture bad from its first line: outputs as they were, none created"
echo "not json" >"$T/bad.ndjson"
echo "earlier output" >"$T/keep"
expect_exit 1 "line 1: " "$TLSTAP" replay -o "$T/keep" -w "$T/new.pcapng" "$T/bad.ndjson"
[ "$(cat "$T/keep")" = "earlier output" ] || fail "a failed replay changed an existing file"
[ ! -e "$T/new.pcapng" ] || fail "a failed replay left a pcapng behind"
! grep -q "events=" "$T/err" || fail "counters of a replay that did not start"

echo "--- a capture bad further on: what came before is written"
{ head -n 3 "$CAP"; echo "not json"; } >"$T/half.ndjson"
expect_exit 1 "line 4: " "$TLSTAP" replay -f json -o "$T/half.out" "$T/half.ndjson"
[ "$(grep -c . "$T/half.out")" = 3 ] || fail "the events before the bad line are not all written"

echo "--- counters"
"$TLSTAP" replay --stats -o /dev/null "$CAP" 2>"$T/err" || fail "replay --stats"
grep -q "^tlstap: events=$LINES\$" "$T/err" || { cat "$T/err"; fail "--stats: not events=$LINES"; }
"$TLSTAP" replay -w "$T/p.pcapng" -o /dev/null "$CAP" 2>"$T/err" || fail "replay -w"
grep -q "pcapng_packets=" "$T/err" || { cat "$T/err"; fail "-w: no pcapng counters"; }
! grep -q "http_" "$T/err" || { cat "$T/err"; fail "-w alone printed HTTP counters"; }
"$TLSTAP" replay --http -o /dev/null "$CAP" 2>"$T/err" || fail "replay --http"
grep -q "http_exchanges=[1-9]" "$T/err" || { cat "$T/err"; fail "--http: no exchange counted"; }
: >"$T/empty.ndjson"
"$TLSTAP" replay -w "$T/empty.pcapng" -o /dev/null "$T/empty.ndjson" 2>"$T/err" ||
	fail "an empty capture"
[ -s "$T/empty.pcapng" ] || fail "an empty capture gave no pcapng header"

echo "--- usage errors name the option"
expect_exit 2 "option '--stats' takes no value" "$TLSTAP" replay --stats=1 "$CAP"
expect_exit 2 "option '--format' needs a value" "$TLSTAP" replay --format
expect_exit 2 "option '-o' needs a value" "$TLSTAP" replay -o
expect_exit 2 "--idle: '31536001' is not a whole number of seconds \(1 to 31536000\)" \
	"$TLSTAP" replay --idle 31536001 "$CAP"
echo PASS
