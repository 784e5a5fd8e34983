#!/bin/bash
# boot-selftest.sh NAME : boot $OUT/kernels/NAME-series.bzImage with isolated
# CPUs and run the series' selftest; it must pass, and the console may hold
# no kernel report that NAME-base.bzImage does not also print when it boots
# (a report the base has too is not the series' doing, and is listed).
top=$(realpath "$(dirname "$0")/..")
. "$top/scripts/lib.sh"
name=$1 logs=$OUT/logs initrd=$OUT/guest/initramfs.cpio
titles() { grep -A2 -E "$KERNEL_REPORTS" "$1" | grep -vE '^--$|^[0-9.]+ *$|Not tainted|Tainted:' | sed -E 's/^\[.*\] //; s/(CPU|PID): [0-9]+/\1: N/g' | sort -u; }

# 7.3-rc7-RT with lockdep hangs in SMP bring-up under TCG when these trace
# events are enabled on its command line (the base as much as the series;
# it boots without them), so the RT kernels boot without them and the
# selftest enables them through tracefs.
[ "$name" = rt ] && export WB_EVENTS=
# The base runs the selftest too: it must fail it (the negative control),
# and its console is what a report on the series is compared with.
"$top/scripts/run-qemu.sh" "$OUT/kernels/$name-base.bzImage" "$initrd" selftest "$logs/boot-$name-base.log" >/dev/null 2>&1
check "negative control: $name-base fails 'no work on isolated CPU' for all 5 triggers" \
	test "$(grep -c '^not ok .*: no work on isolated CPU' "$logs/boot-$name-base.log")" = 5
# The series' boot: boot_until_pass (lib.sh), as everywhere.
log=$logs/selftest-$name-series.log
boot_until_pass "$OUT/kernels/$name-series.bzImage" "$initrd" selftest "$log"
check "selftest passes on $name-series" grep -q '^WB-END rc=0' "$log"

new=$(comm -13 <(titles "$logs/boot-$name-base.log") <(titles "$log"))
known=$(comm -12 <(titles "$logs/boot-$name-base.log") <(titles "$log"))
[ -n "$known" ] && printf '    also on %s-base, not counted: %s\n' "$name" "$(grep -Em1 "$KERNEL_REPORTS" <<<"$known")"
check "no kernel report on $name-series that $name-base does not print" test -z "$new"
[ -n "$new" ] && printf '%s\n' "$new" | sed 's/^/    /'
exit 0	# a FAIL above still makes the status 1
