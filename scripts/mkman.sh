#!/usr/bin/env bash
# Build one man page: the hand-written roff of man/PAGE.8.in with its markers
# filled from the binary's own --help, so that a page's synopsis and options
# are always the ones the binary has, from include/tlstap/counters.h and
# docs/ndjson.md.
#
#   scripts/mkman.sh TLSTAP man/PAGE.8.in DOCDIR PAGE... >PAGE.8
#
# PAGE... are every page built (tlstap tlstap-resolve ...): tlstap(8)'s
# Commands must be exactly the tlstap-COMMAND pages, and each page's SEE ALSO
# names the others.  The page man/tlstap-COMMAND.8.in documents
# `tlstap COMMAND --help`; man/tlstap.8.in `tlstap --help`.
#
# The help's shape: "Usage: " lines, then blocks separated by blank lines:
# prose, or a list ("Options:" alone on a line, then entries: a term indented
# 8 columns at most, its description after two spaces or on lines indented
# deeper).  Markers, each alone on a line of the .in file:
#   @SYNOPSIS@     the Usage lines
#   @DESCRIPTION@  the prose before the first list
#   @COMMANDS@     the list "Commands:"
#   @OPTIONS@      every other list (each under .SS NAME if there are several)
#   @NOTES@        the prose after the first list
#   @COUNTERS@     TT_COUNTERS of counters.h: name and what it counts
#   @NDJSON_RAW@   the table of docs/ndjson.md's "## Raw events": key, type, meaning
#   @SEE_ALSO@     the other pages
# and anywhere in a line: @VERSION@ @DATE@ @DOCDIR@ @STATE_MAPS@ (the maps
# whose failed updates are counted by name, from counters.h).
set -u

die() {
	echo "mkman: $*" >&2
	exit 1
}

[ $# -ge 4 ] || die "usage: mkman.sh TLSTAP PAGE.8.in DOCDIR PAGE..."
tlstap=$1 src=$2 docdir=$3
shift 3
page=$(basename "$src" .8.in)
repo=$(dirname "$0")/..
counters_h=$repo/include/tlstap/counters.h ndjson_md=$repo/docs/ndjson.md
for f in "$src" "$counters_h" "$ndjson_md"; do
	[ -r "$f" ] || die "cannot read $f"
done

case $page in
tlstap) cmd=() ;;
tlstap-*) cmd=("${page#tlstap-}") ;;
*) die "$src: a page is tlstap.8.in or tlstap-COMMAND.8.in" ;;
esac

help=$(mktemp) || die "mktemp"
trap 'rm -f "$help"' EXIT
"$tlstap" "${cmd[@]}" --help >"$help" 2>&1 ||
	die "'tlstap ${cmd[*]} --help' failed (no such command?): $(head -n1 "$help")"
version=$("$tlstap" --version) || die "tlstap --version failed"
version=${version#tlstap }
# The page's date: the release's (reproducible builds), else the commit's.
if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
	date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%F)
else
	date=$(git -C "$(dirname "$src")" log -1 --format=%cs 2>/dev/null)
	[ -n "$date" ] || date=$(date -u +%F)
fi

awk -v HELP="$help" -v COUNTERS="$counters_h" -v NDJSON="$ndjson_md" -v SRC="$src" -v PAGE="$page" \
	-v VERSION="$version" -v DATE="$date" -v DOCDIR="$docdir" -v PAGES="$*" '
function die(msg) {
	printf "mkman: %s: %s\n", SRC, msg > "/dev/stderr"
	failed = 1
	exit 1
}

# Plain text for roff: backslashes kept, options (-p, --max-bytes) as
# minus signs so that they can be copied, no control character at the start.
function esc(s,    out, i, c, prev, rest) {
	gsub(/\\/, "\\e", s)
	out = ""
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		prev = i > 1 ? substr(s, i - 1, 1) : " "
		rest = substr(s, i)
		if (c == "-" && index(" ([\"'\''/,=|", prev) && match(rest, /^--?[A-Za-z][-A-Za-z0-9]*/)) {
			c = substr(rest, 1, RLENGTH)
			gsub(/-/, "\\-", c)
			i += RLENGTH - 1
		}
		out = out c
	}
	return out
}

# A markdown table cell: `code` in bold, [text](link) as text.
function md(s,    out) {
	sub(/^ +/, "", s)
	sub(/ +$/, "", s)
	while (match(s, /\[[^]]*\]\([^)]*\)/)) {
		out = substr(s, RSTART + 1)
		sub(/\].*/, "", out)
		s = substr(s, 1, RSTART - 1) out substr(s, RSTART + RLENGTH)
	}
	s = esc(s)
	out = ""
	while (match(s, /`[^`]*`/)) {
		out = out substr(s, 1, RSTART - 1) "\\fB" substr(s, RSTART + 1, RLENGTH - 2) "\\fR"
		s = substr(s, RSTART + RLENGTH)
	}
	return out s
}

# Output, remembering the last line (a paragraph starts with .PP unless
# a heading or .PP is just before).
function put(s) {
	print s
	last = s
}

function line(s) {
	if (s ~ /^[.'\'']/)
		s = "\\&" s
	put(s)
}

# A synopsis line or a list term: leading lowercase words (tlstap, trace) and
# options in bold, metavariables (PID, FILE) in italics.
function term(s,    out, i, c, prev, rest, w, lead) {
	out = ""
	lead = 1
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		prev = i > 1 ? substr(s, i - 1, 1) : " "
		rest = substr(s, i)
		if (prev == " " && c != " ") {
			if (lead && match(rest, /^[a-z][-a-z0-9]*( |$)/)) {
				w = substr(rest, 1, RLENGTH)
				sub(/ $/, "", w)
				out = out "\\fB" esc(w) "\\fR"
				i += length(w) - 1
				continue
			}
			lead = 0
		}
		if (!index(" [|(,=", prev)) {
			out = out esc(c)
			continue
		}
		if (match(rest, /^--?[A-Za-z0-9][-A-Za-z0-9]*/) || match(rest, /^--( |\]|$)/)) {
			w = substr(rest, 1, RLENGTH)
			sub(/[ \]]$/, "", w)
			i += length(w) - 1
			gsub(/-/, "\\-", w)
			out = out "\\fB" w "\\fR"
			continue
		}
		if (match(rest, /^[A-Z][A-Z0-9_]*/)) {
			out = out "\\fI" substr(rest, 1, RLENGTH) "\\fR"
			i += RLENGTH - 1
			continue
		}
		out = out esc(c)
	}
	return out
}

BEGIN {
	# --- the help ---------------------------------------------------------
	state = "start"
	while ((getline l < HELP) > 0) {
		match(l, /^ */)
		ind = RLENGTH
		if (state == "start") {
			if (l !~ /^Usage: /)
				die("the help does not start with \"Usage: \"")
			syn[++nsyn] = substr(l, 8)
			state = "usage"
		} else if (l ~ /^[ \t]*$/) {
			state = "gap"
		} else if (state == "usage" && l ~ /^ +[^ ]/) {
			sub(/^ +/, "", l)
			syn[++nsyn] = l
		} else if (state == "gap" && l ~ /^[A-Z][A-Za-z ]*:$/) {
			lname[++nl] = substr(l, 1, length(l) - 1)
			state = "list"
		} else if (state == "list" && ind >= 1 && ind <= 8) {
			ent[++ne] = nl
			eraw[ne] = l
			if (match(substr(l, ind + 1), /  +/)) {
				esplit[ne] = 1
				eterm[ne] = substr(l, ind + 1, RSTART - 1)
				edesc[ne] = substr(l, ind + RSTART + RLENGTH)
				if (!(nl in descol))
					descol[nl] = ind + RSTART + RLENGTH - 1
			} else {
				eterm[ne] = substr(l, ind + 1)
				edesc[ne] = ""
			}
		} else if (state == "list" && ind > 8 && ne && ent[ne] == nl) {
			if (!(nl in descol))
				descol[nl] = ind
			sub(/^ +/, "", l)
			edesc[ne] = edesc[ne] (edesc[ne] == "" ? "" : "\n") l
		} else if (state == "gap") {
			para[++np] = l
			pnotes[np] = nl > 0
			state = "prose"
		} else if (state == "prose") {
			para[np] = para[np] "\n" l
		} else {
			die("unexpected help line: " l)
		}
	}
	close(HELP)
	if (!nsyn)
		die("empty help")
	# A term that reaches the description column with one space only
	# ("--buffer-size SIZE ring buffer..."): split it at the column.
	for (i = 1; i <= ne; i++) {
		c = descol[ent[i]]
		if (!esplit[i] && c && length(eraw[i]) > c && substr(eraw[i], c, 1) == " ") {
			eterm[i] = substr(eraw[i], 1, c - 1)
			sub(/^ +/, "", eterm[i])
			sub(/ +$/, "", eterm[i])
			edesc[i] = substr(eraw[i], c + 1) (edesc[i] == "" ? "" : "\n" edesc[i])
		}
	}

	# --- counters.h -------------------------------------------------------
	while ((getline l < COUNTERS) > 0) {
		if (l ~ /^#define TT_COUNTERS\(/)
			block = "counters"
		else if (l ~ /^#define TT_STATE_MAPS\(/)
			block = "maps"
		if (block == "counters" && match(l, /X\([A-Z_]+, "[^"]*", "[^"]*"\)/)) {
			split(substr(l, RSTART, RLENGTH), f, "\"")
			cname[++nc] = f[2]
			cdesc[nc] = f[4]
		} else if (block == "maps" && match(l, /X\([A-Z_]+, "[^"]*", [A-Z_]+\)/)) {
			split(substr(l, RSTART, RLENGTH), f, "\"")
			maps = maps (maps == "" ? "" : ", ") f[2]
		}
		if (l !~ /\\$/)
			block = ""
	}
	close(COUNTERS)
	if (!nc || maps == "")
		die("no TT_COUNTERS or TT_STATE_MAPS in " COUNTERS)

	# --- ndjson.md: the table of the raw events -------------------------
	while ((getline l < NDJSON) > 0) {
		if (l ~ /^## Raw events/) {
			inraw = 1
			continue
		}
		if (!inraw)
			continue
		if (l ~ /^#/ || (row > 2 && l !~ /^\|/))
			break
		if (l !~ /^\|/ || ++row <= 2)
			continue
		n = split(l, f, "|")
		for (i = 5; i < n; i++)
			f[4] = f[4] "|" f[i]
		nj++
		jkey[nj] = md(f[2])
		jtype[nj] = md(f[3])
		jdesc[nj] = md(f[4])
	}
	close(NDJSON)
	if (!nj)
		die("no table under \"## Raw events\" in " NDJSON)

	npages = split(PAGES, pages, " ")
}

# --- the page ---------------------------------------------------------------
{
	l = $0
	gsub(/@VERSION@/, VERSION, l)
	gsub(/@DATE@/, DATE, l)
	gsub(/@DOCDIR@/, "\\%" esc(DOCDIR), l)
	gsub(/@STATE_MAPS@/, maps, l)
}
l == "@SYNOPSIS@" {
	for (i = 1; i <= nsyn; i++) {
		if (i > 1)
			put(".br")
		line(term(syn[i]))
	}
	used["syn"] = 1
	next
}
l == "@DESCRIPTION@" || l == "@NOTES@" {
	for (i = 1; i <= np; i++) {
		if (pnotes[i] != (l == "@NOTES@"))
			continue
		if (last !~ /^\.(SH|SS|PP)( |$)/)
			put(".PP")
		n = split(para[i], pl, "\n")
		for (j = 1; j <= n; j++)
			line(esc(pl[j]))
	}
	next
}
l == "@COMMANDS@" || l == "@OPTIONS@" {
	want = l == "@COMMANDS@"
	lists = 0
	for (k = 1; k <= nl; k++)
		lists += (lname[k] == "Commands") == want
	for (k = 1; k <= nl; k++) {
		if ((lname[k] == "Commands") != want)
			continue
		if (lists > 1)
			put(".SS " esc(lname[k]))
		for (i = 1; i <= ne; i++) {
			if (ent[i] != k)
				continue
			put(".TP")
			line(term(eterm[i]))
			n = split(edesc[i], pl, "\n")
			for (j = 1; j <= n; j++)
				line(esc(pl[j]))
			if (want) {
				c = eterm[i]
				sub(/ .*/, "", c)
				helpcmd[c] = 1
			}
		}
	}
	used[want ? "cmd" : "opt"] = 1
	next
}
l == "@COUNTERS@" {
	for (i = 1; i <= nc; i++) {
		put(".TP")
		put(".B " cname[i])
		line(esc(cdesc[i]))
	}
	next
}
l == "@NDJSON_RAW@" {
	for (i = 1; i <= nj; i++) {
		put(".TP")
		line(jkey[i] " (\\fI" jtype[i] "\\fR)")
		line(jdesc[i])
	}
	next
}
l == "@SEE_ALSO@" {
	n = 0
	for (i = 1; i <= npages; i++)
		if (pages[i] != PAGE)
			see[++n] = pages[i]
	for (i = 1; i <= n; i++) {
		gsub(/-/, "\\-", see[i])
		put(".BR " see[i] " (8)" (i < n ? "," : ""))
	}
	next
}
l ~ /@[A-Z_]+@/ && l !~ /^\.\\"/ {
	die("unknown marker in: " l)
}
{ put(l) }

END {
	if (failed)
		exit 1
	if (!used["syn"] || !used["opt"])
		die("a page needs @SYNOPSIS@ and @OPTIONS@")
	for (k = 1; k <= nl; k++)
		if (lname[k] == "Commands" && !used["cmd"])
			die("the help lists commands: the page needs @COMMANDS@")
	if (PAGE != "tlstap")
		exit 0
	# tlstap(8): one page per command of the help, and no other.
	for (i = 1; i <= npages; i++) {
		c = pages[i]
		if (c == "tlstap")
			continue
		sub(/^tlstap-/, "", c)
		if (!(c in helpcmd))
			die("man/" pages[i] ".8.in documents \"" c "\", which tlstap --help does not list")
		haspage[c] = 1
	}
	for (c in helpcmd)
		if (!(c in haspage))
			die("tlstap --help lists the command \"" c "\", which has no man/tlstap-" c \
			    ".8.in (a page written before the command was merged waits in man/pending/)")
}
' "$src"
