#!/bin/bash
# get-base.sh PIN DEST : unpack the Debian linux-source tarball that the pin
# file PIN (bases/NAME) names into DEST and make DEST a git tree with a single
# base commit, tagged "base". Packages from BASE_SUITES are fetched with a
# private apt state under build/apt/ (the host's sources and dpkg state are
# not touched); with no BASE_SUITES the host's apt sources are used. When the
# pinned version is gone, the newest package matching BASE_FALLBACK is taken,
# suite by suite, with a warning.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
pin=$1 dest=$2
BASE_SUITES= BASE_FALLBACK=
. "$pin"

# The tree remembers the pin it was made from: a changed pin is not silently
# ignored, and the tree (which may hold unexported work) is not removed here.
pinned="$BASE_PKG=$BASE_PKG_VERSION"
if [ -d "$dest/.git" ] && [ -z "${WB_RESOLVE_ONLY:-}" ]; then
	have=$(cat "$dest.pin" 2>/dev/null || echo "$pinned")
	if [ "$have" != "$pinned" ]; then
		echo "error: $dest was made from $have, but $pin now pins $pinned;" >&2
		echo "       export any work in it (make export), then remove $dest, $dest-wt and $dest.*" >&2
		exit 1
	fi
	exit 0
fi
if [ -e "$dest" ] && [ -z "${WB_RESOLVE_ONLY:-}" ]; then
	echo "error: $dest exists but is not a git tree; remove it (it is under build/)" >&2
	exit 1
fi
WB_LOGS=${WB_LOGS:-$top/build/logs}
mkdir -p "$WB_LOGS"
log=$WB_LOGS/apt-base.log
: >"$log"

apt_in() { # suite|"" apt-command... : apt with the state of one suite
	local suite=$1; shift
	if [ -z "$suite" ]; then "$@"; return; fi
	local st=$top/build/apt/$suite cmd=$1; shift
	"$cmd" -o Dir::Etc::SourceList="$st/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$st/lists" -o Dir::Cache="$st/cache" "$@"
}
prepare() { # suite : a private state for it, updated once per make
	local suite=$1 st=$top/build/apt/$1
	[ -n "$suite" ] || return 0
	mkdir -p "$st/lists/partial" "$st/cache/archives/partial"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" >"$st/sources.list"
	apt_in "$suite" apt-get update >>"$log" 2>&1 ||
		{ echo "error: apt-get update for $suite failed (is the Debian mirror reachable?); see $log" >&2; exit 1; }
}
versions() { # suite package : its versions there, one a line
	apt_in "$1" apt-cache madison "$2" 2>/dev/null | awk -F'|' '{ gsub(/ /, "", $2); print $2 }'
}

pkg=$BASE_PKG ver=$BASE_PKG_VERSION suite=
for s in ${BASE_SUITES:-""}; do
	prepare "$s"
	if versions "$s" "$pkg" | grep -qxF "$ver"; then suite=$s found=1; break; fi
done
if [ -z "${found:-}" ]; then
	for s in ${BASE_SUITES:-""}; do
		newest=$(apt_in "$s" apt-cache pkgnames linux-source- 2>/dev/null | { grep -Ex "$BASE_FALLBACK" || true; } |
			while read -r p; do versions "$s" "$p" | sed "s/^/$p /"; done |
			sort -k2,2V | tail -n1)
		[ -n "$newest" ] || continue
		echo "warning: $pkg=$ver is no longer on the mirror; using ${newest/ /=} from ${s:-the host apt sources}" >&2
		echo "warning: if the series no longer applies, rebase it (make tree names the patch)" >&2
		read -r pkg ver <<<"$newest"; suite=$s found=1
		break
	done
fi
[ -n "${found:-}" ] || { echo "error: neither $pkg=$ver nor any package matching '$BASE_FALLBACK' is available (run 'apt-get update'?)" >&2; exit 1; }
# WB_RESOLVE_ONLY=1: say which package would be used, and stop (tests/harness.sh).
[ -z "${WB_RESOLVE_ONLY:-}" ] || { echo "would use $pkg=$ver from ${suite:-the host apt sources}"; exit 0; }

dl=$top/build/apt/debs
mkdir -p "$dl"
deb=$(ls "$dl/${pkg}_${ver/:/%3a}_"*.deb 2>/dev/null | head -n1 || true)
if [ -z "$deb" ]; then
	(cd "$dl" && apt_in "$suite" apt-get download "$pkg=$ver") >>"$log" 2>&1 ||
		{ echo "error: cannot download $pkg=$ver; see $log" >&2; exit 1; }
	deb=$(ls "$dl/${pkg}_${ver/:/%3a}_"*.deb | head -n1)
fi
root=$top/build/apt/root-$pkg
rm -rf "$root" && dpkg-deb -x "$deb" "$root"
tarball=$(ls "$root"/usr/src/linux-source-*.tar.xz)

tmp=$dest.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
tar -C "$tmp" --strip-components=1 -xf "$tarball"
rm -rf "$root"
kver=$(make -s -C "$tmp" kernelversion)
git -C "$tmp" init -q -b main
# Debian's .gitignore ignores the whole top level, hence -f.
git -C "$tmp" add -A -f
git -C "$tmp" -c user.name=workbench -c user.email=workbench@localhost \
	commit -q -m "Debian $pkg $ver (Linux $kver)"
git -C "$tmp" tag base
# Whatever an earlier tree of this name left beside it belongs to that tree.
rm -f "$dest.base" "$dest.applied" "$dest.upstream"
[ -d "$dest-wt" ] && rm -rf "$dest-wt"
mv "$tmp" "$dest"
echo "$pinned" >"$dest.pin"
echo "base: Debian $pkg $ver, Linux $kver, in $dest"
