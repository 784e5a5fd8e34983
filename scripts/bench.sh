#!/bin/bash
# bench.sh TREE : A/B of base and series on the non-debug benchmark config,
# in one run. Each round boots base then series: the fault benchmarks under
# qemu -icount shift=0,sleep=off (guest ns = instructions, deterministic) at
# 4 vCPUs, in three isolation modes (no CPU isolated; CPUs 2-3 isolated and
# the benchmark on housekeeping CPU 0; the same on isolated CPU 2), and the
# drain benchmark at 2, 4 and 8 vCPUs, with the upper half isolated
# (the series drains those remotely and the rest by work, in parallel) and
# with every CPU but CPU 0 isolated (the series drains all of them
# remotely, one after the other).
# Writes build/report/bench.{json,md}, bench-drain.png and bench-disasm.txt
# (the batch fast paths of both kernels compared instruction by instruction).
# WB_BENCH=noise times the second queue's fast paths instead, the LRU series
# (series) against both queues (noise), under -icount only, in the same three
# isolation modes (build/report/bench-noise.{json,md}): page faults in the
# guest's memory cgroup (vmstat counter updates, the memcg charge), an
# accounted mmap() under each overcommit policy (__vm_enough_memory()) and
# open() and close() of /dev/null, twice (slab allocations and frees).
set -euo pipefail
top=$(realpath "$(dirname "$0")/..")
. "$top/scripts/lib.sh"
tree=$(realpath "$1")
case ${WB_BENCH:-lru} in
lru) kernels="base series" name=bench ;;
noise) kernels="series noise" name=bench-noise
	[ -n "$QUEUE2_DIR" ] || { echo "error: BASE=$WB_BASE has no second queue (QUEUE2)" >&2; exit 1; } ;;
*) echo "error: WB_BENCH=$WB_BENCH: lru or noise" >&2; exit 1 ;;
esac
wt=$tree-wt obj=$OUT/obj/bench logs=$OUT/logs/$name guest=$OUT/guest
WB_ROUNDS=${WB_ROUNDS:-2}
mkdir -p "$logs" "$guest" "$OUT/kernels"
rm -f "$logs"/*.log* "$OUT/report/$name".{md,json}	# a report of this run only
base=$(cat "$tree.base")
[ -d "$wt" ] || git -C "$tree" worktree add -q --detach "$wt" "$base"

for k in $kernels; do
	case $k in
	base) rev=$base ;;
	series) rev=$(git -C "$tree" rev-parse lru-drain) ;;
	noise) rev=$(git -C "$tree" rev-parse noise) ;;
	esac
	git -C "$wt" checkout -q -f --detach "$rev"
	"$top/scripts/build-kernel.sh" "$wt" "$obj" "$top/config/base.config" "$top/config/$WB_BASE.config" "$top/config/bench.config" >/dev/null
	cp "$obj/arch/x86/boot/bzImage" "$OUT/kernels/bench-$k.bzImage"
	cp "$obj/vmlinux" "$OUT/kernels/bench-$k.vmlinux"
done
gcc -O2 -Wall -o "$guest/lru_bench" "$top/bench/lru_bench.c"
"$top/scripts/mkinitramfs.sh" "$guest/bench.cpio" "$guest/lru_bench"

# Isolate the upper half of the CPUs, as the tests do at 4, or all but CPU 0.
isolated() { # smp mode
	if [ "$1" = 2 ] || [ "$2" = allbut0 ]; then echo "1-$(($1 - 1))"; else echo "$(($1 / 2))-$(($1 - 1))"; fi
}
run() { # kernel smp icount mode benchmarks
	# without -icount the guest runs on KVM where a boot probe found it works
	local meter setup=domain; meter=$(cat "$WB_ACCEL_CACHE" 2>/dev/null || echo tcg)
	[ "$3" = 1 ] && meter=icount
	[ "$4" = off ] && setup=none
	local log=$logs/$1-r$r-smp$2-$4-$meter.log
	# Multi-threaded TCG has been seen to run a stale int3 left by a text
	# patch (the bench config has JUMP_LABEL, as distributions do): such a
	# boot is kept as .int3 and run once more.
	for try in 1 2; do
		WB_EVENTS= WB_ICOUNT=$3 WB_SMP=$2 WB_ISOLATED=$(isolated "$2" "$4") WB_SETUP=$setup WB_APPEND="wb.arg=$5" WB_TIMEOUT=900 \
			"$top/scripts/run-qemu.sh" "$OUT/kernels/bench-$1.bzImage" \
			"$guest/bench.cpio" bench "$log" && return
		[ $try = 1 ] && grep -q '^Oops: int3' "$log" && [ "$meter" != icount ] || return 1
		mv "$log" "$log.int3"
		note "bench: $(basename "$log"): int3 oops under multi-threaded TCG, booted once more ($log.int3)"
	done
}
# The fault paths run on one CPU: instruction counts (icount) suit them. The
# drain needs the other CPUs' timers, and under -icount the guest finds its
# local APIC timer broken ("APIC timer disabled due to verification
# failure"), so a work item queued behind a busy task may wait forever: the
# drain is timed in multi-threaded TCG instead, as wall-clock time. At 16
# vCPUs the 2-core host stops giving numbers: multi-threaded TCG runs a
# stale int3 from a boot-time text patch on nearly every boot, and one host
# thread for all vCPUs (thread=single) makes drains of 0.8 s that are the
# emulator's round robin, with hrtimer_forward() warnings from its time skew.
for r in $(seq "$WB_ROUNDS"); do
	for k in $kernels; do
		if [ $name = bench-noise ]; then
			ops=fault_anon,mmap_guess,mmap_never,open_close,open_close
			run $k 4 1 off "cpu=0,$ops"
			run $k 4 1 housekeeping "cpu=0,$ops"
			run $k 4 1 isolated "cpu=2,$ops"
			continue
		fi
		faults=fault_anon,fault_file,fault_mlock,madvise
		run $k 4 1 off "cpu=0,$faults"
		run $k 4 1 housekeeping "cpu=0,$faults"
		run $k 4 1 isolated "cpu=2,$faults"
		for n in 2 4 8; do
			run $k $n 0 isolated drain
			[ $n = 2 ] || run $k $n 0 allbut0 drain
		done
	done
done
python3 "$top/scripts/bench-report.py" "$logs" "$OUT/report" $name $kernels
check "$name: ${kernels/ / and } measured in one run ($OUT/report/$name.md)" test -s "$OUT/report/$name.md"
[ $name = bench ] || exit 0
# The batch fast paths by construction: each function's disassembly in both
# kernels (addresses and symbol offsets masked), the lock-prefixed
# instructions and the spinlock calls counted, and the series' lines that
# base does not have.
fastpaths="__folio_batch_add_and_move lru_add_drain mlock_drain_local mlock_new_folio mlock_folio munlock_folio"
disasm() { # kernel function
	objdump -d --no-show-raw-insn --disassemble="$2" "$OUT/kernels/bench-$1.vmlinux" |
		awk '/^ *[0-9a-f]+:\t/ { sub(/^ *[0-9a-f]+:\t/, ""); gsub(/(0x)?-?[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]+|\+0x[0-9a-f]+/, "X"); sub(/ +#.*/, ""); print }'
}
for f in $fastpaths; do
	for k in base series; do
		disasm $k $f >"$guest/$k.$f.s"
		awk -v k=$k -v f=$f '{ n++ } /^lock / { l++ } /call.*_raw_spin_(un)?lock/ { c++ }
			END { printf "%-7s %-27s %3d instructions, %d lock-prefixed, %d spinlock calls\n", k, f, n, l, c }' "$guest/$k.$f.s"
	done
done >"$OUT/report/bench-disasm.txt"
for f in $fastpaths; do
	echo; echo "== $f: in series, not in base (diff of the sorted instructions)"
	{ diff <(sort "$guest/base.$f.s") <(sort "$guest/series.$f.s") || true; } | grep '^[<>]' || echo "(none)"
done >>"$OUT/report/bench-disasm.txt"
cat "$OUT/report/bench-disasm.txt"
