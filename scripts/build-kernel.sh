#!/bin/bash
# build-kernel.sh TREE OBJDIR FRAGMENT... : configure TREE into OBJDIR from
# allnoconfig plus the fragments, check that every requested option stuck,
# build the boot image and print its path (WB_TARGETS=... builds those kbuild
# targets instead and prints nothing). Incremental when OBJDIR already holds
# a build. WB_ARCH=arm64 cross-builds with Debian's aarch64-linux-gnu-gcc.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tree=$(realpath "$1"); obj=$(realpath -m "$2"); shift 2
frags=$(realpath "$@")
mkdir -p "$obj"
log=$obj/build.log
arch=${WB_ARCH:-x86_64}
case $arch in
x86_64) cross= image=arch/x86/boot/bzImage ;;
arm64) cross=aarch64-linux-gnu- image=arch/arm64/boot/Image ;;
*) echo "error: ARCH=$arch: only x86_64 and arm64 are supported" >&2; exit 1 ;;
esac
cc=${cross}gcc
# With the base dir set, ccache sees paths relative to the object directory,
# so clones of the workbench in other places share its cache. Depend mode
# takes the headers from kbuild's -MMD file instead of running the
# preprocessor once more on every miss: mm/ and kernel/ of the test kernel
# compile cold in 159 s with it, 213 s without it, 154 s without ccache.
command -v ccache >/dev/null && cc="ccache $cc" && export CCACHE_BASEDIR=${tree%/*} CCACHE_DEPEND=1
# gcc records where every token came from through macro expansions, for the
# "in expansion of macro" notes of its diagnostics. Without that record
# mm/memory.c compiles in 18 % less time, to a byte-identical object.
kcflags="${WB_KCFLAGS:+$WB_KCFLAGS }-ftrack-macro-expansion=0"
kmake() { make -C "$tree" O="$obj" ARCH="$arch" CROSS_COMPILE="$cross" CC="$cc" KCFLAGS="$kcflags" -j"$(nproc)" "$@"; }

# Reconfigure only when a fragment changed, so rebuilds stay incremental.
stamp=$obj/.fragments
if ! cat $frags | cmp -s - "$stamp"; then
	# One kconfig pass (each one runs some 80 compiler probes, 6 s here):
	# allnoconfig takes the fragments as its preset, a later line winning.
	cat $frags >"$obj/fragments.config"
	kmake KCONFIG_ALLCONFIG="$obj/fragments.config" allnoconfig >"$obj/config.log" 2>&1 ||
		{ tail -20 "$obj/config.log"; exit 1; }
	config_sticks "$obj/.config" $frags || { echo "(see $obj/config.log)" >&2; exit 1; }
	cat $frags >"$stamp"
fi

# x86's boot image takes the compressed vmlinux in with an .incbin in
# piggy.S, which holds little else than two lengths, and no dependency file
# names what .incbin reads. In depend mode ccache can then hand back the
# piggy.o of an earlier build whose lengths were the same: an earlier kernel
# under a new bzImage (seen here: the series booted as a broken variant, and
# a broken variant as the series). So the image must carry the vmlinux just
# built; when it does not, piggy.o is assembled again without ccache.
carries_vmlinux() {
	[ "$arch" = x86_64 ] || return 0
	local piggy=$obj/arch/x86/boot/compressed/piggy
	objcopy -O binary --only-section=.rodata..compressed "$piggy.o" "$piggy.payload" &&
		cmp -s "$piggy.payload" "$obj/$(sed -n 's/^\.incbin "\(.*\)"$/\1/p' "$piggy.S")"
}
build() {
	if [ -n "${WB_TARGETS:-}" ]; then
		kmake $WB_TARGETS
	else
		kmake "${image##*/}" && { carries_vmlinux || {
			echo "note: piggy.o from ccache carried another vmlinux: assembled again without ccache" >&3
			rm -f "$obj/arch/x86/boot/compressed/piggy.o"
			CCACHE_DISABLE=1 kmake "${image##*/}"; }; }
	fi
}
status "building $(basename "$obj") kernel ($arch): $(git -C "$tree" log -1 --format='%h %s' 2>/dev/null | cut -c1-60)"
if ! build 3>&2 >"$log" 2>&1; then
	echo "error: kernel build failed in $obj; compiler said:" >&2
	grep -E 'error|Error' "$log" | head -20 >&2
	echo "(full log: $log)" >&2
	exit 1
fi
[ -n "${WB_TARGETS:-}" ] && exit 0
if ! carries_vmlinux; then
	echo "error: $obj/$image does not carry the vmlinux just built ($obj/arch/x86/boot/compressed/piggy.S names it)" >&2
	exit 1
fi
echo "$obj/$image"
