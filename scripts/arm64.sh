#!/bin/bash
# arm64.sh TREE : the series on arm64. Cross-build the base and every kernel
# patch with Debian's gcc-aarch64-linux-gnu (test config + config/arm64.config
# + config/rt.config), boot base and series under qemu-system-aarch64 (TCG)
# with CPUs 2-3 isolated and run the selftest in each: the base must fail it
# for every LRU trigger (the negative control) and the series must pass it,
# with no kernel report. The kernels are PREEMPT_RT, so that one cold build
# covers both arm64 and RT in make check; WB_ARM64_RT=0 builds them without RT
# (make check-full does both).
set -uo pipefail
top=$(realpath "$(dirname "$0")/..")
. "$top/scripts/lib.sh"
tree=$(realpath "$1")
logs=$OUT/logs guest=$OUT/guest-arm64 apt=$top/build/apt-arm64
mkdir -p "$logs" "$guest"

WB_EXTRA_PKGS="gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm" \
	"$top/scripts/deps.sh" || exit 1

# Debian's arm64 busybox-static, fetched with a private apt state: the host's
# dpkg architectures and package lists are left as they are.
if [ ! -x "$guest/busybox" ]; then
	aptopts=(-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
		 -o APT::Architecture=arm64 -o APT::Architectures=arm64)
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
	if ! (cd "$apt" && apt-get "${aptopts[@]}" update &&
	      apt-get "${aptopts[@]}" download busybox-static) >"$logs/apt-arm64.log" 2>&1; then
		fail "arm64: fetch busybox-static:arm64 (see $logs/apt-arm64.log)"; exit 1
	fi
	dpkg-deb -x "$apt"/busybox-static_*_arm64.deb "$apt/root" &&
		cp "$apt/root/bin/busybox" "$guest/busybox" || exit 1
fi

check "arm64: selftest and drain checker cross-build (static)" \
	build_guest_tests "$tree" "$guest" aarch64-linux-gnu-gcc || exit 1
WB_BUSYBOX=$guest/busybox "$top/scripts/mkinitramfs.sh" "$guest/initramfs.cpio" \
	"$guest/lru_drain_isolation" || exit 1

# With the test's trace events on its command line, 7.3-rc7-RT with lockdep
# printed nothing in 900 s here, base and series alike (x86 RT hangs in SMP
# bring-up with them, see scripts/boot-selftest.sh); without them both boot,
# and the selftest enables the events through tracefs.
name=arm64 frags="$TEST_FRAGS $top/config/arm64.config"
if [ "${WB_ARM64_RT:-1}" != 0 ]; then
	name=arm64-rt frags="$frags $top/config/rt.config"
	export WB_EVENTS=
fi
# A patch in the middle that does not build (WB_MATRIX=every) is a FAIL of
# matrix.sh; the boots need only the two kernels.
WB_ARCH=arm64 WB_MATRIX_BASE=1 "$top/scripts/matrix.sh" "$tree" $name $frags
[ -f "$OUT/kernels/$name-base.Image" ] && [ -f "$OUT/kernels/$name-series.Image" ] || exit 1

export WB_ARCH=arm64
"$top/scripts/run-qemu.sh" "$OUT/kernels/$name-base.Image" "$guest/initramfs.cpio" selftest "$logs/selftest-$name-base.log"
rc_base=$?
series_log=$logs/selftest-$name-series.log
boot_until_pass "$OUT/kernels/$name-series.Image" "$guest/initramfs.cpio" selftest "$series_log"
rc_series=$?
results() { grep -E '^(not )?ok ' "$logs/selftest-$name-$1.log"; }
echo "$name base:   $(results base | grep -c '^ok') ok, $(results base | grep -c '^not ok') not ok"
echo "$name series: $(results series | grep -c '^ok') ok, $(results series | grep -c '^not ok') not ok"
check "$name: base boots and fails the selftest, no kernel report" test "$rc_base" = 1
check "$name: negative control: base fails 'no work on isolated CPU' for all 5 triggers" \
	test "$(results base | grep -c '^not ok .*: no work on isolated CPU')" = 5
check "$name: series passes the selftest, no kernel report ($series_log)" test "$rc_series" = 0
