#!/usr/bin/env bash
# make bench: every benchmark, one after the other.  Never part of the tests.
set -euo pipefail
here=$(dirname "$0")
bash "$here/resolve.sh"
echo
bash "$here/replay.sh"
echo
bash "$here/pcapng.sh"
echo
if [ "$(id -u)" -eq 0 ]; then
	bash "$here/percall.sh"
	echo
	bash "$here/probecost.sh"
	echo
	bash "$here/tax.sh"
	echo
	bash "$here/membio.sh"
	echo
	bash "$here/throughput.sh"
	echo
	bash "$here/doctor.sh"
	echo
	bash "$here/churn.sh"
else
	echo "per-call, probe cost, host tax, memory-BIO, throughput, doctor and churn benchmarks need root: skipped"
fi
