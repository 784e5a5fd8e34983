#!/bin/bash
# mkinitramfs.sh OUT.cpio BINARY... : busybox, guest/, and the given host
# binaries with the shared libraries they need. WB_BUSYBOX names another
# busybox, say a static arm64 one (the applet list is the host's).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
out=$(realpath -m "$1"); shift
guest=$(realpath "$(dirname "$0")/../guest")
root=$(mktemp -d "${out%/*}/initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,dev,proc,sys,tmp,mnt,etc}
cp "${WB_BUSYBOX:-/bin/busybox}" "$root/bin/busybox"
for applet in $(/bin/busybox --list); do
	[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
install -m 755 "$guest/init" "$root/init"
install -m 755 "$guest"/wb-* "$root/bin/"
for bin in "$@"; do
	[ -x "$bin" ] || { echo "error: $bin is not an executable" >&2; exit 1; }
	cp "$bin" "$root/bin/"
	for lib in $(ldd "$bin" 2>/dev/null | grep -o '/[^ ]*'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -nL "$lib" "$root$lib"
	done
done
(cd "$root" && find . | cpio -o -H newc --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
