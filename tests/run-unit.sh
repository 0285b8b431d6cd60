#!/usr/bin/env bash
# Runs every cmocka unit test binary given on the command line; cmocka prints
# its own summaries.  Exit status: non-zero if any binary failed.
set -u
fail=0
for t in "$@"; do
	echo "=== $(basename "$t")"
	if ! "$t"; then
		echo "FAILED: $t"
		fail=1
	fi
done
exit $fail
