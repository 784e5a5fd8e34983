#!/bin/bash
# export.sh TREE : write TREE's lru-drain branch back to the queue ($QUEUE,
# from bases/$WB_BASE), with the cover letter taken from $QUEUE/cover-letter.txt
# (first line: subject). Dates and hashes come from the commits, so an
# unchanged tree exports byte-identical files. A base-commit: trailer is
# added only for a KSRC= tree, whose base is a real upstream commit; the
# commit made from a Debian tarball is nobody else's.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tree=$1
SUBJECT_PREFIX=PATCH
. "$top/bases/$WB_BASE"
queue=$QUEUE_DIR
base=$(cat "$tree.base")
cover=$queue/cover-letter.txt
out=$(mktemp -d "$top/build/export.XXXXXX")
trap 'rm -rf "$out"' EXIT
baseopt=--no-base
[ -f "$tree.upstream" ] && baseopt=--base=$base

git -C "$tree" config branch.lru-drain.description "$(cat "$cover")"
git -C "$tree" format-patch -q -o "$out" --cover-letter \
	--cover-from-description=subject $baseopt --no-signature \
	--zero-commit --subject-prefix="$SUBJECT_PREFIX" "$base..lru-drain"
date=$(git -C "$tree" log -1 --format=%aD lru-drain)
sed -i "s/^Date: .*/Date: $date/" "$out/0000-cover-letter.patch"
rm -f "$queue"/0*.patch
cp "$out"/*.patch "$queue/"
(cd "$queue" && ls 0*.patch | grep -v '^0000-') >"$queue/series"
echo "exported $(wc -l <"$queue/series") patches and the cover letter to ${queue#$top/}/"
# The branch already is what the queue now holds: tree.sh need not re-apply.
(cd "$queue" && cat series $(cat series)) | sha256sum >"$tree.applied"
git -C "$tree" rev-parse lru-drain >"$tree.head"
