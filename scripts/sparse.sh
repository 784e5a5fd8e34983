#!/bin/bash
# sparse.sh : print the path of a sparse that the kernel accepts. Since 6.14
# the kernel checks that sparse knows __typeof_unqual__ (checker-valid.sh)
# and, with one that does not, prints a warning and checks nothing at all.
# Bookworm's sparse 0.6.4 does not; then build sparse from Debian sid's
# source package (fetched with a private apt state under build/apt/, the
# host's sources untouched) into build/tools/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
WB_LOGS=${WB_LOGS:-$top/build/logs}
valid() { # sparse : no error on what checker-valid.sh feeds it
	local t; t=$(mktemp --suffix=.c)
	printf 'static inline int u(const int *q)\n{\n\t__typeof_unqual__(*q) v = *q;\n\treturn v;\n}\n' >"$t"
	! "$1" "$t" 2>&1 | grep -q error; local rc=$?
	rm -f "$t"; return $rc
}
for s in "$(command -v sparse || true)" "$top/build/tools/sparse"; do
	[ -x "$s" ] && valid "$s" && { echo "$s"; exit 0; }
done
st=$top/build/apt/sid-src log=$WB_LOGS/sparse-build.log
mkdir -p "$st/lists/partial" "$st/cache/archives/partial" "$WB_LOGS" "$top/build/tools"
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main" >"$st/sources.list"
o=(-o Dir::Etc::SourceList="$st/sources.list" -o Dir::Etc::SourceParts=/dev/null
   -o Dir::State::Lists="$st/lists" -o Dir::Cache="$st/cache")
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
echo "note: the host's sparse does not know __typeof_unqual__; building sparse from Debian sid's source" >&2
if ! { apt-get "${o[@]}" update && (cd "$src" && apt-get "${o[@]}" source --download-only sparse) &&
       tar -C "$src" -xzf "$src"/sparse_*.orig.tar.gz &&
       make -C "$src"/sparse-*/ -j"$(nproc)" sparse HAVE_LLVM=no HAVE_SQLITE=no HAVE_GTK=no; } >"$log" 2>&1; then
	echo "error: could not build sparse from Debian sid's source (see $log)" >&2; exit 1
fi
cp "$src"/sparse-*/sparse "$top/build/tools/sparse"
valid "$top/build/tools/sparse" || { echo "error: the sparse built from sid does not know __typeof_unqual__ either" >&2; exit 1; }
echo "$top/build/tools/sparse"
