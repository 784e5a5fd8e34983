#!/bin/bash
# export.sh TREE : write TREE's lru-drain branch back to the queue ($QUEUE,
# from bases/$WB_BASE), and its noise branch (on top) to the second queue
# ($QUEUE2), each with the cover letter from its cover-letter.txt (first
# line: subject). Dates and hashes come from the commits, so an
# unchanged tree exports byte-identical files. A base-commit: trailer is
# added only for a KSRC= tree, whose base is a real upstream commit; the
# commit made from a Debian tarball is nobody else's.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tree=$1
SUBJECT_PREFIX=PATCH SUBJECT_PREFIX2=PATCH
. "$top/bases/$WB_BASE"
base=$(cat "$tree.base")
out=$(mktemp -d "$top/build/export.XXXXXX")
trap 'rm -rf "$out"' EXIT
baseopt=--no-base
[ -f "$tree.upstream" ] && baseopt=--base=$base

export_queue() { # FROM BRANCH QUEUE PREFIX : FROM..BRANCH into QUEUE
	local from=$1 branch=$2 queue=$3 prefix=$4 date
	rm -rf "$out"/*
	git -C "$tree" config "branch.$branch.description" "$(cat "$queue/cover-letter.txt")"
	git -C "$tree" format-patch -q -o "$out" --cover-letter \
		--cover-from-description=subject $baseopt --no-signature \
		--zero-commit --subject-prefix="$prefix" "$from..$branch"
	date=$(git -C "$tree" log -1 --format=%aD "$branch")
	sed -i "s/^Date: .*/Date: $date/" "$out/0000-cover-letter.patch"
	rm -f "$queue"/0*.patch
	cp "$out"/*.patch "$queue/"
	(cd "$queue" && ls 0*.patch | grep -v '^0000-') >"$queue/series"
	echo "exported $(wc -l <"$queue/series") patches and the cover letter to ${queue#$top/}/"
}
export_queue "$base" lru-drain "$QUEUE_DIR" "$SUBJECT_PREFIX"
queues=("$QUEUE_DIR")
if [ -n "$QUEUE2_DIR" ]; then
	# The second series goes on top of the first; its base is the first's tip.
	[ -f "$tree.upstream" ] && baseopt=--base=$(git -C "$tree" rev-parse lru-drain)
	export_queue lru-drain noise "$QUEUE2_DIR" "$SUBJECT_PREFIX2"
	queues+=("$QUEUE2_DIR")
fi
# The branches already are what the queues now hold: tree.sh need not re-apply.
for q in "${queues[@]}"; do (cd "$q" && cat series $(cat series)); done | sha256sum >"$tree.applied"
git -C "$tree" rev-parse "$(tip_of "$tree")" >"$tree.head"
