#!/bin/bash
# bench.sh TREE : A/B of base and series on the non-debug benchmark config,
# in one run. Each round boots base then series: the fault benchmarks under
# qemu -icount shift=0,sleep=off (guest ns = instructions, deterministic) at
# 4 vCPUs, and the drain benchmark at 2, 4, 8 and 16 vCPUs.
# Writes build/report/bench.{json,md} and bench-drain.png.
set -euo pipefail
top=$(realpath "$(dirname "$0")/..")
. "$top/scripts/lib.sh"
tree=$(realpath "$1")
wt=$tree-wt obj=$OUT/obj/bench logs=$OUT/logs/bench guest=$OUT/guest
ROUNDS=${ROUNDS:-2}
mkdir -p "$logs" "$guest" "$OUT/kernels"
rm -f "$logs"/*.log	# a report of this run only
base=$(cat "$tree.base")
[ -d "$wt" ] || git -C "$tree" worktree add -q --detach "$wt" "$base"

for k in base series; do
	rev=$base; [ $k = series ] && rev=$(git -C "$tree" rev-parse lru-drain)
	git -C "$wt" checkout -q --detach "$rev"
	"$top/scripts/build-kernel.sh" "$wt" "$obj" "$top/config/base.config" "$top/config/$BASE.config" "$top/config/bench.config" >/dev/null
	cp "$obj/arch/x86/boot/bzImage" "$OUT/kernels/bench-$k.bzImage"
done
gcc -O2 -Wall -o "$guest/lru_bench" "$top/bench/lru_bench.c"
"$top/scripts/mkinitramfs.sh" "$guest/bench.cpio" "$guest/lru_bench"

# Isolate the upper half of the CPUs, as the tests do at 4.
isolated() { [ "$1" = 2 ] && echo 1 || echo "$(($1 / 2))-$(($1 - 1))"; }
run() { # kernel smp icount benchmarks
	# without -icount the guest runs on KVM where a boot probe found it works
	local meter; meter=$(cat "$ACCEL_CACHE" 2>/dev/null || echo tcg)
	[ "$3" = 1 ] && meter=icount
	EVENTS= ICOUNT=$3 SMP=$2 ISOLATED=$(isolated "$2") APPEND="wb.arg=$4" TIMEOUT=900 \
		"$top/scripts/run-qemu.sh" "$OUT/kernels/bench-$1.bzImage" \
		"$guest/bench.cpio" bench "$logs/$1-r$r-smp$2-$meter.log"
}
# The fault paths run on one CPU: instruction counts (icount) suit them. The
# drain needs the other CPUs' timers, and under -icount the guest finds its
# local APIC timer broken ("APIC timer disabled due to verification
# failure"), so a work item queued behind a busy task may wait forever: the
# drain is timed in multi-threaded TCG instead, as wall-clock time.
for r in $(seq "$ROUNDS"); do
	for k in base series; do
		run $k 4 1 fault_anon,fault_file,fault_mlock,madvise
		for n in 2 4 8 16; do
			run $k $n 0 drain
		done
	done
done
python3 "$top/scripts/bench-report.py" "$logs" "$OUT/report"
