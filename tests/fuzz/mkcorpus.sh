#!/bin/sh
# Seed corpora for the fuzz harnesses, generated under $1 (build/fuzz/corpus)
# from the testdata binaries in $2 (build/testdata): never committed.
#   elf/       whole binaries, truncated copies, copies with corrupted bytes
#   sections/  mode byte + one section (.go.buildinfo, .gopclntab, code)
#   native/    Debian's libssl, libcrypto, libgnutls, truncated and corrupted
#   gotypes/   a module's type links, itab links and types (gotypes_input.h),
#              cut by $MKSEED_GOTYPES (fuzz.mk builds it) from every Go
#              version of the testdata, so every descriptor format is seeded
#   tcptab/    this machine's /proc/net/tcp and tcp6, and lines of each form
#              (IPv4, IPv6, IPv4-mapped, time-wait)
set -eu
out=$1
td=$2
: "${MKSEED_GOTYPES:?mkcorpus: set MKSEED_GOTYPES (make fuzz-short does)}"
rm -rf "$out.tmp"
mkdir -p "$out.tmp/elf" "$out.tmp/sections" "$out.tmp/native" "$out.tmp/gotypes" \
	"$out.tmp/tcptab"

# Fixed picks that cover each pclntab/buildinfo generation, PIE and arm64.
bins="go/1.19/tlsclient-stripped go/1.21/tlsclient-pie go/1.22/tlsclient-default
go/1.23/tlsclient-arm64 go/1.23/tlsclient-cgo"
for b in $bins; do
	[ -f "$td/$b" ] || { echo "mkcorpus: missing $td/$b (make testdata)" >&2; exit 1; }
done

# section BIN NAME: prints "offset size" (decimal) of the section, or nothing.
section() {
	readelf -SW "$1" | sed 's/^ *\[ *[0-9]*\]//' |
		awk -v n="$2" '$1 == n { print $4, $5; exit }' |
		while read -r o s; do echo $((0x$o)) $((0x$s)); done
}

# put OUT MODEBYTE BIN OFFSET SIZE: mode byte then SIZE bytes of BIN at OFFSET.
put() {
	{ printf "\\$(printf %03o "$2")"; tail -c +$(($4 + 1)) "$3" | head -c "$5"; } >"$1"
}

# corrupt FILE OFFSET: overwrite one byte with 0xff.
corrupt() {
	printf '\377' | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

i=0
for b in $bins; do
	f=$td/$b
	n=$(basename "$(dirname "$b")")-$(basename "$b")
	size=$(stat -c %s "$f")
	cp "$f" "$out.tmp/elf/$n"
	head -c $((size / 2)) "$f" >"$out.tmp/elf/$n-half"
	head -c 4096 "$f" >"$out.tmp/elf/$n-4k"
	# Header fields: e_phoff, e_shoff, e_shnum; and a byte in the middle.
	for off in 32 40 60 $((size / 3)); do
		cp "$f" "$out.tmp/elf/$n-flip$off"
		corrupt "$out.tmp/elf/$n-flip$off" "$off"
	done

	arm=0
	case $b in *arm64*) arm=4 ;; esac
	set -- $(section "$f" .go.buildinfo)
	[ $# -eq 2 ] && put "$out.tmp/sections/$n-buildinfo" 0 "$f" "$1" "$2"
	set -- $(section "$f" .gopclntab) $(section "$f" .data.rel.ro.gopclntab)
	if [ $# -ge 2 ]; then
		put "$out.tmp/sections/$n-pclntab" 1 "$f" "$1" "$2"
		put "$out.tmp/sections/$n-pclntab-go" $((3 + arm)) "$f" "$1" "$2"
	fi
	set -- $(section "$f" .text)
	[ $# -eq 2 ] && put "$out.tmp/sections/$n-text" $((2 + arm)) "$f" $(($1 + 65536)) 4096
	i=$((i + 1))
done
# The native seeds: the TLS libraries tlstap traces, as Debian ships them.
libdir=$(dirname "$(ldconfig -p | awk '/libssl.so.3 .*x86-64/ { print $NF; exit }')")
for lib in libssl.so.3 libcrypto.so.3 libgnutls.so.30; do
	f=$libdir/$lib
	[ -f "$f" ] || { echo "mkcorpus: missing $f (make deps)" >&2; exit 1; }
	size=$(stat -c %s "$f")
	cp "$f" "$out.tmp/native/$lib"
	head -c $((size / 2)) "$f" >"$out.tmp/native/$lib-half"
	for off in 40 60 $((size / 3)); do
		cp "$f" "$out.tmp/native/$lib-flip$off"
		corrupt "$out.tmp/native/$lib-flip$off" "$off"
	done
done
# The gotypes seeds: one stripped binary of each version (PIE and arm64 of
# the newest too: relocated pointers, another instruction set's module).
for f in "$td"/go/*/tlsclient-stripped "$td"/go/1.27/tlsclient-pie "$td"/go/1.27/tlsclient-arm64; do
	v=$(basename "$(dirname "$f")")
	"$MKSEED_GOTYPES" "$f" "$out.tmp/gotypes/$v-$(basename "$f")"
done
# The tcptab seeds: the tables as this kernel prints them, and one of each form.
head -c 65536 /proc/net/tcp >"$out.tmp/tcptab/tcp"
head -c 65536 /proc/net/tcp6 >"$out.tmp/tcptab/tcp6" 2>/dev/null || true
cat >"$out.tmp/tcptab/forms" <<'TCP'
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 298576 1 00000000b316d754 100 0 0 10 0
   1: 0100007F:AFA6 0100007F:1F90 06 00000000:00000000 03:00000208 00000000     0        0 0 3 00000000c452d00e
   2: 0000000000000000FFFF00000100007F:E108 0000000000000000FFFF00000100007F:877D 01 00000000:00000000 00:00000000 00000000     0        0 777868 2 0000000075b24c49 20 0 0 10 -1
   3: 00000000000000000000000001000000:01BB 00000000000000000000000001000000:C350 08 00000000:00000000 00:00000000 00000000     0        0 777870 1 000000004d990e92 20 0 0 10 -1
TCP
rm -rf "$out"
mv "$out.tmp" "$out"
echo "mkcorpus: $(ls "$out/elf" | wc -l) ELF seeds, $(ls "$out/sections" | wc -l) section seeds," \
	"$(ls "$out/native" | wc -l) native seeds, $(ls "$out/gotypes" | wc -l) gotypes seeds," \
	"$(ls "$out/tcptab" | wc -l) tcptab seeds in $out"
