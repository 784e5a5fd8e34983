#!/bin/bash
# Unpack Debian's linux-source tarball into $1 and make it a git tree with a
# single base commit. Installs the pinned package version, or the newest one
# available with a warning.
set -euo pipefail
. "$(dirname "$0")/../base.version"
dest=$1

if [ -d "$dest/.git" ]; then
	exit 0
fi
if [ -e "$dest" ]; then
	echo "error: $dest exists but is not a git tree; remove it (it is under build/)" >&2
	exit 1
fi

have=$(dpkg-query -W -f='${Version}' "$BASE_PKG" 2>/dev/null || true)
if [ "$have" != "$BASE_PKG_VERSION" ]; then
	if ! apt-get install -y --no-install-recommends "$BASE_PKG=$BASE_PKG_VERSION"; then
		echo "warning: $BASE_PKG=$BASE_PKG_VERSION is not available; falling back to the newest $BASE_PKG" >&2
		apt-get install -y --no-install-recommends "$BASE_PKG" || {
			echo "error: cannot install $BASE_PKG (is the Debian mirror reachable? run 'apt-get update')" >&2
			exit 1
		}
	fi
fi
have=$(dpkg-query -W -f='${Version}' "$BASE_PKG")
tarball=/usr/src/$BASE_PKG.tar.xz
[ -f "$tarball" ] || { echo "error: $tarball missing after installing $BASE_PKG" >&2; exit 1; }

tmp=$dest.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
tar -C "$tmp" --strip-components=1 -xf "$tarball"
kver=$(make -s -C "$tmp" kernelversion)
git -C "$tmp" init -q -b main
# Debian's .gitignore ignores the whole top level, hence -f.
git -C "$tmp" add -A -f
git -C "$tmp" -c user.name=workbench -c user.email=workbench@localhost \
	commit -q -m "Debian $BASE_PKG $have (Linux $kver)"
git -C "$tmp" tag base
mv "$tmp" "$dest"
echo "base: $BASE_PKG $have, Linux $kver, in $dest"
