#!/usr/bin/env bash
# End-to-end tests: the cmocka binaries given as arguments, then every
# tests/e2e/t_*.sh script.  Needs root: they load BPF programs into the
# running kernel.  A script passes with exit 0.  Exit 77 (skipped) is allowed
# only with a reason `make deps` cannot fix, given through lib.sh's
# skip_unfixable (its line "SKIP [kind]: reason" in the log); any other skip,
# like any other exit, is a failure.  The last line is "N passed, N failed";
# allowed skips are listed on the line before it.
set -u
BUILD=${BUILD:-build}
export BUILD
if [ "$(id -u)" -ne 0 ]; then
	echo "tlstap e2e: needs root (loads BPF programs); run 'sudo make e2e'" >&2
	exit 1
fi
passed=0 failed=0 skipped=()
for t in "$@"; do
	echo "=== $(basename "$t")"
	if "$t"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAILED: $t"
	fi
done
for s in tests/e2e/t_*.sh; do
	[ -e "$s" ] || continue
	name=$(basename "$s" .sh)
	log="$BUILD/e2e-logs/$name.log"
	mkdir -p "$(dirname "$log")"
	start=$(date +%s)
	bash "$s" >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	why=$(grep -E '^SKIP \[[a-z]+\]: .' "$log" | tail -n1)
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1))
		echo "[  PASSED  ] $name (${secs}s)"
	elif [ $rc -eq 77 ] && [ -n "$why" ]; then
		skipped+=("$name (${why#SKIP })")
		echo "[  SKIPPED ] $name: ${why#SKIP }"
	else
		failed=$((failed + 1))
		if [ $rc -eq 77 ]; then
			echo "[  FAILED  ] $name: skipped without a reason make deps cannot fix" \
				"(skip_unfixable); last lines of $log:"
		else
			echo "[  FAILED  ] $name (exit $rc, ${secs}s); last lines of $log:"
		fi
		tail -n 30 "$log" | sed 's/^/    /'
	fi
done
if [ ${#skipped[@]} -gt 0 ]; then
	echo "skipped for reasons make deps cannot fix: $(printf '%s; ' "${skipped[@]}" | sed 's/; $//')"
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
