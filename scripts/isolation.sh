#!/bin/bash
# isolation.sh TREE : boot the base and the series test kernels (and the
# second queue's, noise) with CPUs 2-3 isolated in each set-up of WB_SETUPS
# (default: domain nohz partition, see run-qemu.sh), run the series'
# selftest and the checkers in each, and a drain storm in the first set-up;
# write the isolation report ($OUT/report/isolation.{json,md}).
set -uo pipefail
top=$(realpath "$(dirname "$0")/..")
. "$top/scripts/lib.sh"
tree=$(realpath "$1")
src=$tree/tools/testing/selftests/mm/lru_drain_isolation.c
guest=$OUT/guest logs=$OUT/logs report=$OUT/report
WB_SETUPS=${WB_SETUPS:-domain nohz partition}
export WB_STORM_SECONDS=${WB_STORM_SECONDS:-10}
mkdir -p "$guest" "$logs" "$report"

# The kselftest comes from the series, the drain checker (the tables) from
# guest/; the same binaries run on the base, where both must fail: that is
# the negative control.
if [ ! -f "$OUT/kernels/test.key" ]; then
	fail "test kernels of this tree (make gates did not build them all)"; exit 1
fi
if [ ! -f "$src" ]; then
	fail "selftest source in the series ($src)"; exit 1
fi
if ! build_guest_tests "$tree" "$guest" 2>"$logs/selftest-build.log"; then
	fail "selftest and drain checker build"; cat "$logs/selftest-build.log"; exit 1
fi
"$top/scripts/mkinitramfs.sh" "$guest/initramfs.cpio" "$guest/lru_drain_isolation" "$guest/lru_drain_selftest" "$guest/mm_noise" \
	/usr/bin/oslat /usr/bin/stress-ng /usr/bin/rtla || exit 1

# The base boots once: it must fail. Two things that are not the LRU drain
# reach an isolated CPU now and then, on the base as with the series: an
# expedited RCU grace period IPIs it when it is in the kernel
# (rcu_exp_handler), and on 6.12 the fair server's timer kicks it
# (dl_task_timer; inside a trigger's window in 3 of 12 boots of 6.12's
# domain set-up here with qboot). So the series gets boot_until_pass (lib.sh).
# With a second queue, its kernel (noise) boots too: the isolation table
# gets a column for it, and its own table of the other mm sources.
kernels="base series"
[ -f "$OUT/kernels/test-noise.bzImage" ] && [ -n "$QUEUE2_DIR" ] && kernels+=" noise"
storm=$WB_STORM_SECONDS
for setup in $WB_SETUPS; do
	export WB_SETUP=$setup WB_APPEND="wb.arg=$storm"
	for k in $kernels; do
		log=$logs/isolation-$setup-$k.log args=("$OUT/kernels/test-$k.bzImage" "$guest/initramfs.cpio" isolation "$log")
		if [ $k = base ]; then "$top/scripts/run-qemu.sh" "${args[@]}"; else boot_until_pass "${args[@]}"; fi
		# rc 1 only means the selftest failed, which the base must do
		check "boot $k test kernel ($setup): no panic, hang, lockdep or WARN report" test $? -le 1
		# the storm compares base and series only
		[ $k = series ] && WB_APPEND="wb.arg=0"
	done
	storm=0
done

base_name=$(git -C "$tree" log -1 --format=%s "$(cat "$tree.base")")
[ -f "$tree.upstream" ] && base_name="$(git -C "$tree" describe --always "$(cat "$tree.base")") (KSRC)"
# a base's second queue may hold some of the fixes only (its pin says which)
export WB_NOISE_CHECKS=$(unset NOISE_CHECKS; . "$top/bases/$WB_BASE" && echo "${NOISE_CHECKS:-}")
WB_KERNELS=$kernels python3 "$top/scripts/isolation-report.py" "$logs" "$report" "$base_name" $WB_SETUPS
