#!/bin/bash
# isolation.sh TREE : boot the base and the series test kernels with isolated
# CPUs, run the series' selftest and a drain storm in each, and write the
# isolation report (build/report/isolation.{json,md}).
set -uo pipefail
top=$(realpath "$(dirname "$0")/..")
. "$top/scripts/lib.sh"
tree=$(realpath "$1")
src=$tree/tools/testing/selftests/mm/lru_drain_isolation.c
guest=$top/build/guest logs=$top/build/logs report=$top/build/report
STORM_SECONDS=${STORM_SECONDS:-10}
mkdir -p "$guest" "$logs" "$report"

# The selftest comes from the series; the same binary runs on the base,
# where it must fail: that is the negative control.
if [ ! -f "$src" ]; then
	fail "selftest source in the series ($src)"; exit 1
fi
if ! gcc -O2 -Wall -o "$guest/lru_drain_isolation" "$src" 2>"$logs/selftest-build.log"; then
	fail "selftest builds"; cat "$logs/selftest-build.log"; exit 1
fi
"$top/scripts/mkinitramfs.sh" "$guest/initramfs.cpio" "$guest/lru_drain_isolation" \
	/usr/bin/oslat /usr/bin/stress-ng || exit 1

for k in base series; do
	APPEND="wb.arg=$STORM_SECONDS" "$top/scripts/run-qemu.sh" "$top/build/kernels/test-$k.bzImage" \
		"$guest/initramfs.cpio" isolation "$logs/isolation-$k.log"
	rc=$?
	# rc 1 only means the selftest failed, which the base must do
	if [ $rc -le 1 ]; then pass "boot $k test kernel: no panic, hang, lockdep or WARN report"
	else fail "boot $k test kernel: no panic, hang, lockdep or WARN report"; fi
done

python3 "$top/scripts/isolation-report.py" "$logs" "$report" "$(git -C "$tree" log -1 --format=%s "$(cat "$tree.base")")"
