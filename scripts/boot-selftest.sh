#!/bin/bash
# boot-selftest.sh NAME : boot build/kernels/NAME.bzImage with isolated CPUs
# and run the series' selftest once; it must pass with a clean console.
top=$(realpath "$(dirname "$0")/..")
. "$top/scripts/lib.sh"
check "selftest passes on $1, console clean" "$top/scripts/run-qemu.sh" \
	"$top/build/kernels/$1.bzImage" "$top/build/guest/initramfs.cpio" selftest \
	"$top/build/logs/selftest-$1.log"
