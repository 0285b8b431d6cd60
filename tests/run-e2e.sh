#!/usr/bin/env bash
# End-to-end tests: cmocka binaries given as arguments, then every
# tests/e2e/t_*.sh script (exit 0 = pass, 77 = skipped, other = fail).
# Needs root: they load BPF programs into the running kernel.
set -u
BUILD=${BUILD:-build}
export BUILD
if [ "$(id -u)" -ne 0 ]; then
	echo "tlstap e2e: needs root (loads BPF programs); run 'sudo make e2e'" >&2
	exit 1
fi
fail=0
for t in "$@"; do
	echo "=== $(basename "$t")"
	"$t" || { echo "FAILED: $t"; fail=1; }
done
passed=0 failed=0 skipped=0
for s in tests/e2e/t_*.sh; do
	[ -e "$s" ] || continue
	name=$(basename "$s" .sh)
	log="$BUILD/e2e-logs/$name.log"
	mkdir -p "$(dirname "$log")"
	start=$(date +%s)
	bash "$s" >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	case $rc in
	0) passed=$((passed + 1)); echo "[  PASSED  ] $name (${secs}s)" ;;
	77) skipped=$((skipped + 1)); echo "[  SKIPPED ] $name: $(tail -n1 "$log")" ;;
	*) failed=$((failed + 1)); fail=1
	   echo "[  FAILED  ] $name (exit $rc, ${secs}s); last lines of $log:"
	   tail -n 30 "$log" | sed 's/^/    /' ;;
	esac
done
echo "e2e: $passed passed, $failed failed, $skipped skipped"
exit $fail
