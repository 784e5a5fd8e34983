#!/bin/bash
# tree.sh TREE [KSRC] : make TREE a work tree whose branch lru-drain is the
# base plus the queue $QUEUE/series (git am -3; QUEUE from bases/$WB_BASE),
# and whose branch noise is lru-drain plus the second queue $QUEUE2 if the
# pin names one, and record the base commit in TREE.base. Without KSRC,
# TREE is the Debian base repo made by get-base.sh.
# With KSRC, TREE is a clone of KSRC's HEAD that borrows its objects (git
# clone --shared): nothing is written into the user's repository, no branch
# and no worktree. TREE.ksrc records the KSRC path and commit; when either
# changes, TREE is made again (unless its branch holds commits the queue
# does not: then make export first).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
tree=$(realpath -m "$1"); ksrc=${2:-}
queue=$QUEUE_DIR
WB_LOGS=${WB_LOGS:-$top/build/logs}
mkdir -p "$WB_LOGS"
log=$WB_LOGS/am.log

if [ -n "$ksrc" ]; then
	# the top of a work tree, not merely a directory inside some other repo
	if [ "$(git -C "$ksrc" rev-parse --show-toplevel 2>/dev/null)" != "$(realpath "$ksrc")" ]; then
		echo "error: KSRC=$ksrc is not a git tree" >&2; exit 1
	fi
	if [ ! -f "$ksrc/mm/folio.c" ] && [ ! -f "$ksrc/mm/swap.c" ] || ! grep -q '^VERSION =' "$ksrc/Makefile" 2>/dev/null; then
		echo "error: KSRC=$ksrc is not a Linux kernel tree (no mm/folio.c, mm/swap.c or top Makefile)" >&2; exit 1
	fi
	if [ -n "$(git -C "$ksrc" status --porcelain --untracked-files=no)" ]; then
		echo "error: KSRC=$ksrc has uncommitted changes; commit or stash them first" >&2; exit 1
	fi
	want="$(realpath "$ksrc") $(git -C "$ksrc" rev-parse HEAD)"
	if [ -f "$tree/.git" ]; then
		# a linked worktree, as workbenches before v8 made build/ksrc
		echo "error: $tree is a worktree of another repository (made by an older workbench);" >&2
		echo "       export any work in it (make export KSRC=...), then in that repository:" >&2
		echo "       git worktree remove --force $tree; git branch -D lru-drain lru-drain.prev" >&2
		exit 1
	fi
	if [ -e "$tree" ] && [ "$(cat "$tree.ksrc" 2>/dev/null)" != "$want" ]; then
		head=$(git -C "$tree" rev-parse -q --verify "$(tip_of "$tree")" || true)
		if [ -n "$head" ] && [ "$head" != "$(cat "$tree.base")" ] && [ "$head" != "$(cat "$tree.head" 2>/dev/null)" ]; then
			echo "error: $tree was made from $(cat "$tree.ksrc" 2>/dev/null || echo 'another tree'), not $want," >&2
			echo "       and its branch lru-drain has commits the queue does not: export them" >&2
			echo "       (make export KSRC=...) or remove $tree and $tree.*" >&2
			exit 1
		fi
		echo "$tree: KSRC is now $want: made again"
		rm -rf "$tree" "$tree-wt" "$tree".{base,applied,head,upstream,ksrc}
	fi
	if [ ! -e "$tree" ]; then
		git clone -q --shared --no-checkout "$ksrc" "$tree"
		git -C "$tree" checkout -q --detach "${want##* }"
		# git am needs an identity: the user's, or the workbench's
		for key in user.name user.email; do
			git -C "$tree" config "$key" >/dev/null || git -C "$tree" config "$key" \
				"$(git -C "$ksrc" config "$key" || echo "${key/user./workbench-}")"
		done
		echo "${want##* }" >"$tree.base"
		echo "$want" >"$tree.ksrc"
		touch "$tree.upstream"
	fi
elif [ ! -e "$tree.base" ]; then
	git -C "$tree" rev-parse base >"$tree.base"
fi
base=$(cat "$tree.base")

if [ -n "$(git -C "$tree" status --porcelain --untracked-files=no)" ]; then
	echo "error: $tree has uncommitted changes; commit them (make export) or reset them" >&2
	exit 1
fi
# apply BRANCH FROM QUEUE : BRANCH = FROM + QUEUE's patches (git am -3)
apply() {
	local branch=$1 from=$2 queue=$3 patches failed
	mapfile -t patches < <(sed -e '/^#/d' -e '/^$/d' -e "s|^|$queue/|" "$queue/series")
	git -C "$tree" checkout -q -B "$branch" "$from"
	[ ${#patches[@]} = 0 ] && return
	if ! git -C "$tree" am -q -3 "${patches[@]}" >"$log" 2>&1; then
		echo "error: ${queue#$top/} does not apply to $(git -C "$tree" log -1 --format='%h %s' "$from"):" >&2
		grep -E '^(Applying|error|Patch failed|CONFLICT|.*does not apply)' "$log" >&2 || tail -n 20 "$log" >&2
		# name the hunk: the rejected region as patch(1) sees it
		failed=$(sed -n 's/^Patch failed at \([0-9]*\) .*/\1/p' "$log" | head -n1)
		if [ -n "$failed" ] && git -C "$tree" am --show-current-patch=diff >"$log.patch" 2>/dev/null; then
			git -C "$tree" reset -q --hard
			patch -d "$tree" -p1 --dry-run -f <"$log.patch" 2>&1 |
				awk '/^(patching|checking) file/ { f = $3 } /FAILED|can.t find file/ { print "  " f ": " $0 }' >&2 || true
		fi
		git -C "$tree" am --abort >/dev/null 2>&1 || true
		git -C "$tree" checkout -q -B "$branch" "$from"
		echo "(full log: $log)" >&2
		exit 1
	fi
	echo "$tree: branch $branch = $(git -C "$tree" log -1 --format=%h "$from") + ${#patches[@]} patches"
}

queues=("$queue" ${QUEUE2_DIR:+"$QUEUE2_DIR"})
for q in "${queues[@]}"; do
	[ -f "$q/series" ] || { echo "error: no queue at $q (no series file)" >&2; exit 1; }
done
stamp=$(for q in "${queues[@]}"; do cat "$q/series" $(sed -e '/^#/d' -e '/^$/d' -e "s|^|$q/|" "$q/series"); done 2>/dev/null | sha256sum)
tip=lru-drain; [ -n "$QUEUE2_DIR" ] && tip=noise
if [ "$(cat "$tree.applied" 2>/dev/null)" = "$stamp" ] &&
   [ "$(git -C "$tree" symbolic-ref -q --short HEAD)" = $tip ]; then
	exit 0
fi
# Keep whatever the branches had, in case they held unexported work.
for b in lru-drain noise; do
	git -C "$tree" rev-parse -q --verify $b >/dev/null && git -C "$tree" branch -f $b.prev $b
done
rm -f "$tree.applied"
apply lru-drain "$base" "$queue"
if [ -n "$QUEUE2_DIR" ]; then apply noise lru-drain "$QUEUE2_DIR"
else git -C "$tree" branch -q -D noise 2>/dev/null || true; fi
echo "$stamp" >"$tree.applied"
git -C "$tree" rev-parse $tip >"$tree.head"
