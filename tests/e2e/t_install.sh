#!/usr/bin/env bash
# make install into a temporary DESTDIR with another PREFIX puts exactly the
# binary (sbin), a man page for tlstap and for each command of its --help,
# the bash completion and the JSON schemas, with their modes; the installed
# binary runs; each page renders without a warning and says, once rendered,
# the synopsis, options (and tlstap(8) the commands) of its --help, every
# counter of counters.h, attribution kind of record.h and raw NDJSON key of
# docs/ndjson.md; the completion offers every option of every --help, pids,
# files and commands; make uninstall removes exactly what was installed.
source "$(dirname "$0")/lib.sh"
need_cmd make groff man install bash
[ -r /usr/share/bash-completion/bash_completion ] || fail "bash-completion is not installed: run make deps"
go_testdata "" tlsclient-default

T=$E2E_TMP
D=$T/destdir P=/opt/tlstap-test
# make from the repository with this test's build directory.
mk() {
	make --no-print-directory -C "$E2E_REPO" BUILD="$(realpath "$BUILD")" \
		DESTDIR="$D" PREFIX="$P" "$@"
}

echo "--- make install DESTDIR=$D PREFIX=$P"
mkdir -p "$D$P/sbin"
echo "not tlstap's" >"$D$P/sbin/other" # uninstall must leave it
mk install >"$T/install.log" 2>&1 || { cat "$T/install.log"; fail "make install"; }
cat "$T/install.log"

mapfile -t commands < <("$TLSTAP" --help | awk '/^Commands:$/ { on = 1; next }
	on && /^$/ { exit }
	on && /^  [a-z]/ { print $1 }' | sort -u)
[ ${#commands[@]} -ge 2 ] || fail "tlstap --help lists ${#commands[@]} commands"
echo "commands: ${commands[*]}"
{
	echo "755 $P/sbin/tlstap"
	echo "644 $P/share/man/man8/tlstap.8"
	for c in "${commands[@]}"; do echo "644 $P/share/man/man8/tlstap-$c.8"; done
	echo "644 $P/share/bash-completion/completions/tlstap"
	echo "644 $P/share/doc/tlstap/ndjson.md"
	echo "644 $P/share/doc/tlstap/resolve-json.md"
	echo "644 $P/sbin/other"
} | sort >"$T/expected"
(cd "$D" && find . -type f -printf '%m /%P\n') | sort >"$T/installed"
diff -u "$T/expected" "$T/installed" || fail "installed files differ from the expected list (- expected, + installed)"

echo "--- the installed binary runs"
bin=$D$P/sbin/tlstap
[ "$("$bin" --version)" = "$("$TLSTAP" --version)" ] || fail "installed --version: $("$bin" --version)"
"$bin" resolve "$GO_BIN/tlsclient-default" >"$T/resolve.out" || fail "installed tlstap resolve failed"
grep -q '^kind: *go$' "$T/resolve.out" && grep -q 'crypto/tls\.(\*Conn)\.Read' "$T/resolve.out" ||
	{ head -20 "$T/resolve.out"; fail "installed tlstap resolve: no Go kind or Read"; }

echo "--- man pages render without a warning and match --help"
for page in "$D$P"/share/man/man8/*.8; do
	name=$(basename "$page" .8)
	groff -ww -z -man "$page" 2>"$T/groff.err"
	[ ! -s "$T/groff.err" ] || { cat "$T/groff.err"; fail "groff -ww: warnings in $name"; }
	MANWIDTH=80 man --warnings -l "$page" >"$T/$name.txt" 2>"$T/man.err"
	[ ! -s "$T/man.err" ] || { cat "$T/man.err"; fail "man --warnings -l: warnings in $name"; }
	cmd=${name#tlstap}
	# Rendered wide, so that the comparison is of words, not of line breaks.
	MANWIDTH=300 man -l "$page" 2>/dev/null | col -bx >"$T/$name.wide"
	"$TLSTAP" ${cmd:+"${cmd#-}"} --help >"$T/$name.help" || fail "tlstap ${cmd#-} --help"
	py_check "$T/$name.help" "$T/$name.wide" "$name" <<'PY' || fail "$name differs from its --help"
import re, sys

help_lines = open(sys.argv[1]).read().split("\n")
man = open(sys.argv[2]).read().split("\n")
name = sys.argv[3]

def norm(lines):
    return re.sub(r"\s+", " ", " ".join(lines)).strip()

def help_usage():
    out = []
    for l in help_lines:
        if l.startswith("Usage: "):
            out.append(l[7:])
        elif out and l.startswith(" ") and l.strip():
            out.append(l)
        elif out:
            break
    return norm(out)

def help_lists(commands):
    """Every list of the help ("Name:" then indented lines), Commands or not."""
    out, on, many = [], False, 0
    names = [l[:-1] for l in help_lines if re.fullmatch(r"[A-Z][A-Za-z ]*:", l)]
    names = [n for n in names if (n == "Commands") == commands]
    for l in help_lines:
        if re.fullmatch(r"[A-Z][A-Za-z ]*:", l):
            on = (l[:-1] == "Commands") == commands
            if on and len(names) > 1:
                out.append(l[:-1])
        elif not l.strip():
            on = False
        elif on:
            out.append(l)
    return norm(out)

def man_section(title):
    out, on = [], False
    for l in man:
        if re.match(r"^[A-Z]", l):
            on = l.strip() == title
        elif on:
            out.append(l)
    return out

bad = 0
def same(what, from_help, from_man):
    global bad
    if from_help != from_man:
        print(f"{name}: {what} of --help:\n  {from_help}\nrendered page:\n  {from_man}")
        bad = 1

same("usage", help_usage(), norm(man_section("SYNOPSIS")))
# The page's OPTIONS section may go on after the list with prose (@NOTES@):
# the list is its start.
opts = help_lists(False)
got = norm(man_section("OPTIONS"))
same("options", opts, got[:len(opts)])
if name == "tlstap":
    cmds = help_lists(True)
    same("commands", cmds, norm(man_section("COMMANDS"))[:len(cmds)])
sys.exit(bad)
PY
done

grep -q "$P/share/doc/tlstap" "$D$P/share/man/man8/tlstap.8" ||
	fail "tlstap(8) does not name the installed docdir $P/share/doc/tlstap"

echo "--- tlstap-trace(8): every counter, attribution kind and raw NDJSON key"
trace_txt=$T/tlstap-trace.wide
sed -n 's/^[[:space:]]*X([A-Z_]*, "\([a-z_]*\)", ".*/\1/p' "$E2E_REPO/include/tlstap/counters.h" >"$T/counters"
[ "$(wc -l <"$T/counters")" -ge 5 ] || fail "no counters parsed from counters.h"
sed -n '/^## Raw events/,/^##* [^R]/p' "$E2E_REPO/docs/ndjson.md" |
	grep -o '^| `[^|]*' | grep -o '`[a-z_]*`' | tr -d '`' >"$T/keys"
[ "$(wc -l <"$T/keys")" -ge 10 ] || fail "no raw event keys parsed from docs/ndjson.md"
sed -n '/^COUNTERS/,/^[A-Z]/p' "$trace_txt" >"$T/trace.counters"
sed -n '/^OUTPUT/,/^[A-Z]/p' "$trace_txt" >"$T/trace.output"
while read -r c; do
	grep -qE "^ +$c( |$)" "$T/trace.counters" || fail "tlstap-trace(8) COUNTERS lacks $c"
done <"$T/counters"
while read -r k; do
	grep -qE "^ +([a-z_]+, )?$k[ ,]" "$T/trace.output" || fail "tlstap-trace(8) OUTPUT lacks the key $k"
done <"$T/keys"
sed -n '/^#define TT_ATTRIBUTIONS(/,/[^\\]$/p' "$E2E_REPO/include/tlstap/record.h" |
	sed -n 's/^[[:space:]]*X([A-Z_]*, [0-9]*, "\([a-z-]*\)").*/\1/p' >"$T/attributions"
[ "$(wc -l <"$T/attributions")" -ge 5 ] || fail "no attribution kinds parsed from record.h"
sed -n '/^ATTRIBUTION/,/^[A-Z]/p' "$trace_txt" >"$T/trace.attribution"
while read -r a; do
	grep -qE "^ +$a( |$)" "$T/trace.attribution" || fail "tlstap-trace(8) ATTRIBUTION lacks $a (record.h)"
done <"$T/attributions"
for name in tlstap "${commands[@]/#/tlstap-}"; do
	for s in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" EXAMPLES "SEE ALSO"; do
		grep -qx "$s" "$T/$name.wide" || fail "$name(8) has no $s section"
	done
done

echo "--- bash completion"
comp() { # comp WORD...: the completions of the last word, one a line
	PATH="$D$P/sbin:$PATH" bash -c '
		source /usr/share/bash-completion/bash_completion
		source "$1"
		shift
		compopt() { :; } # only works while bash itself completes
		COMP_WORDS=("$@") COMP_CWORD=$(($# - 1)) COMP_LINE="$*" COMP_POINT=${#COMP_LINE}
		COMPREPLY=()
		_tlstap
		printf "%s\n" "${COMPREPLY[@]}"' \
		bash "$D$P/share/bash-completion/completions/tlstap" "$@"
}
comp tlstap "" >"$T/c.commands"
for c in "${commands[@]}"; do
	grep -qx "$c" "$T/c.commands" || fail "completion of 'tlstap ': no $c"
done
for c in "" "${commands[@]}"; do
	comp tlstap ${c:+"$c"} - >"$T/c.opts"
	"$TLSTAP" ${c:+"$c"} --help | awk '/^[A-Z][A-Za-z ]*:$/ { on = ($0 != "Commands:"); next }
		/^$/ { on = 0 }
		on && /^ +-/ { sub(/^ +/, ""); sub(/  .*/, ""); print }' |
		grep -oE '(^|[ ,])--?[A-Za-z0-9][-A-Za-z0-9]*' | tr -d ' ,' >"$T/help.opts"
	[ -s "$T/help.opts" ] || fail "no options parsed from tlstap $c --help"
	while read -r o; do
		grep -qx -- "$o" "$T/c.opts" || fail "completion of 'tlstap $c -': no $o"
	done <"$T/help.opts"
done
sleep 300 &
kill_at_exit $!
comp tlstap trace -p "" | grep -qx "$!" || fail "completion of 'tlstap trace -p ': not the pid $! of a running sleep"
touch "$T/capture-file"
comp tlstap trace -o "$T/capture-f" | grep -qx "$T/capture-file" || fail "completion of -o: no file"
comp tlstap resolve "$GO_BIN/tlsclient-def" | grep -qx "$GO_BIN/tlsclient-default" ||
	fail "completion of resolve: no binary"
comp tlstap trace -f "" | sort | tr '\n' ' ' | grep -qx "json text " || fail "completion of -f: not text, json"
comp tlstap trace -- "$(basename "$(command -v curl)" | cut -c1-3)" | grep -qx curl ||
	fail "completion of trace -- CMD: no command"

echo "--- make uninstall removes exactly that"
mk uninstall >"$T/uninstall.log" 2>&1 || { cat "$T/uninstall.log"; fail "make uninstall"; }
(cd "$D" && find . -type f -printf '/%P\n') >"$T/left"
[ "$(cat "$T/left")" = "$P/sbin/other" ] || { cat "$T/left"; fail "make uninstall left these (or removed other)"; }
[ ! -e "$D$P/share/doc/tlstap" ] || fail "make uninstall left tlstap's docdir"
echo "ok"
