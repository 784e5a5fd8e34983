#!/bin/bash
# export.sh TREE : write TREE's lru-drain branch back to patches/, with the
# cover letter taken from patches/cover-letter.txt (first line: subject).
# Dates and hashes come from the commits, so an unchanged tree exports
# byte-identical files.
set -euo pipefail
top=$(realpath "$(dirname "$0")/..")
tree=$1
base=$(cat "$tree.base")
cover=$top/patches/cover-letter.txt
out=$(mktemp -d "$top/build/export.XXXXXX")
trap 'rm -rf "$out"' EXIT

git -C "$tree" config branch.lru-drain.description "$(cat "$cover")"
git -C "$tree" format-patch -q -o "$out" --cover-letter \
	--cover-from-description=subject --base="$base" --no-signature \
	--zero-commit --subject-prefix=PATCH "$base..lru-drain"
date=$(git -C "$tree" log -1 --format=%aD lru-drain)
sed -i "s/^Date: .*/Date: $date/" "$out/0000-cover-letter.patch"
rm -f "$top"/patches/0*.patch
cp "$out"/*.patch "$top/patches/"
(cd "$top/patches" && ls 0*.patch | grep -v '^0000-') >"$top/patches/series"
echo "exported $(wc -l <"$top/patches/series") patches and the cover letter to patches/"
# The branch already is what patches/ now holds: tree.sh need not re-apply.
(cd "$top/patches" && cat series $(cat series)) | sha256sum >"$tree.applied"
