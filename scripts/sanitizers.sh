#!/bin/bash
# sanitizers.sh TREE : the series under KASAN and under KCSAN, as syzbot runs
# them, on both queues. Each kernel (the test config plus config/kasan.config
# or config/kcsan.config) boots the selftest and a 60 s soak. KASAN must
# report nothing at all; KCSAN must report no data race in a function of
# mm/folio.c or mm/mlock.c, or in one the second queue changes (it also
# reports races elsewhere in 7.3-rc7, listed but not counted).
# The guests boot with no5lvl: QEMU's "max" CPU has LA57, and in 7.3-rc7
# an interrupt that arrives while identify_cpu() has cleared
# boot_cpu_data's capabilities makes KASAN size its shadow for 4-level
# paging and report a 5-level address as a wild access (seen once, in
# handle_edge_irq during arch_cpu_finalize_init, before any test ran). Its negative control: each mutants/kcsan/*.patch, a data
# race that make mutants does not see, must make the KCSAN soak report a race
# in one of those functions, or the kernel's own checks fire.
# WB_SANITIZERS=kcsan runs one of them.
set -uo pipefail
top=$(realpath "$(dirname "$0")/..")
. "$top/scripts/lib.sh"
tree=$(realpath "$1") logs=$OUT/logs guest=$OUT/guest
wt=$tree-wt
"$top/scripts/mkinitramfs.sh" "$guest/soak.cpio" /usr/bin/stress-ng || exit 1
for san in ${WB_SANITIZERS:-kasan kcsan}; do
	WB_MATRIX= WB_RESULTS=/dev/null "$top/scripts/matrix.sh" "$tree" "$san" $TEST_FRAGS "$top/config/$san.config" ||
		{ fail "$san: the series builds"; continue; }
	kernel=$OUT/kernels/$san-series.bzImage
	# KCSAN reports are judged below, by function; everything else that
	# run-qemu.sh counts as a kernel report still fails the boot.
	allow=; [ $san = kcsan ] && allow='BUG: KCSAN: '
	WB_ALLOW=$allow WB_APPEND=no5lvl WB_TIMEOUT=1800 "$top/scripts/run-qemu.sh" "$kernel" "$guest/initramfs.cpio" selftest "$logs/$san-selftest.log" >/dev/null
	check "$san: the selftest passes, no other kernel report ($logs/$san-selftest.log)" test $? = 0
	WB_ALLOW=$allow WB_APPEND="no5lvl wb.arg=60" WB_TIMEOUT=1800 "$top/scripts/run-qemu.sh" "$kernel" "$guest/soak.cpio" soak "$logs/$san-soak.log" >/dev/null
	check "$san: a 60 s soak passes, no other kernel report ($logs/$san-soak.log)" test $? = 0
	[ $san = kcsan ] || continue
	# the second queue's: the functions its hunks are in, and those it adds
	funcs=$( (nm --defined-only "$OUT/obj/$san/mm/folio.o" "$OUT/obj/$san/mm/mlock.o" | awk '$2 ~ /[tT]/ { print $3 }'
		git -C "$tree" diff -U0 lru-drain "$(tip_of "$tree")" -- '*.c' |
			sed -nE 's/^@@ [^@]* @@ .*[ *]([a-z_0-9]+)\(.*/\1/p; s/^\+[a-z].*[ *]([a-z_0-9]+)\(.*$/\1/p') | sort -u)
	ours() { grep -o 'BUG: KCSAN: .*' "$@" | sort | uniq -c | grep -wFf <(echo "$funcs"); }
	races=$(cat "$logs/$san-selftest.log" "$logs/$san-soak.log" | grep -o 'BUG: KCSAN: .*' | sort | uniq -c)
	echo "    KCSAN reports in both boots: $(grep -c . <<<"$races") distinct"
	check "kcsan: KCSAN is enabled at boot" grep -q 'kcsan: enabled early' "$logs/$san-selftest.log"
	grep -vwFf <(echo "$funcs") <<<"$races" | grep . | sed 's/^/    not ours: /'
	found=$(ours "$logs/$san-selftest.log" "$logs/$san-soak.log")
	check "kcsan: no data race in a function of mm/folio.c or mm/mlock.c, or one the second queue changes" test -z "$found"
	[ -n "$found" ] && sed 's/^/    /' <<<"$found"
	for m in "$top"/mutants/kcsan/*.patch; do
		name=$(basename "$m" .patch) log=$logs/kcsan-mutant-$name.log
		git -C "$wt" checkout -q -f --detach "$(tip_of "$tree")" && git -C "$wt" apply "$m" &&
			"$top/scripts/build-kernel.sh" "$wt" "$OUT/obj/$san" $TEST_FRAGS "$top/config/$san.config" >/dev/null
		built=$?
		git -C "$wt" checkout -q -- .
		[ $built = 0 ] || { fail "kcsan mutant $name builds"; continue; }
		WB_ALLOW='BUG: KCSAN: ' WB_APPEND="no5lvl wb.arg=60" WB_TIMEOUT=1800 "$top/scripts/run-qemu.sh" \
			"$OUT/obj/$san/arch/x86/boot/bzImage" "$guest/soak.cpio" soak "$log" >/dev/null
		# KCSAN samples: the race may corrupt a batch and trip DEBUG_VM first
		found=$(ours "$log" | head -n1 | sed 's/^ *[0-9]* //')
		[ -n "$found" ] || found=$(grep -v 'BUG: KCSAN' "$log" | grep -Em1 'kernel BUG at|VM_BUG_ON|BUG: |WARNING: ')
		check "kcsan mutant $name caught: $found" test -n "$found"
	done
	# the object directory holds the last mutant now: build the series again
	git -C "$wt" checkout -q -f --detach "$(tip_of "$tree")"
	"$top/scripts/build-kernel.sh" "$wt" "$OUT/obj/$san" $TEST_FRAGS "$top/config/$san.config" >/dev/null
done
true
