#!/bin/bash
# tree.sh TREE [KSRC] : make TREE a work tree whose branch lru-drain is the
# base plus the queue $QUEUE/series (git am -3; QUEUE from bases/$BASE), and
# record the base commit in TREE.base. Without KSRC, TREE is the Debian base
# repo made by get-base.sh.
# With KSRC, TREE is a new git worktree of KSRC's repository: the user's
# checkout, branch and uncommitted work are never touched.
set -euo pipefail
top=$(realpath "$(dirname "$0")/..")
tree=$(realpath -m "$1"); ksrc=${2:-}
queue=$top/${QUEUE:-patches}
LOGS=${LOGS:-$top/build/logs}
mkdir -p "$LOGS"
log=$LOGS/am.log

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
	if [ ! -e "$tree" ]; then
		base=$(git -C "$ksrc" rev-parse HEAD)
		if git -C "$ksrc" rev-parse -q --verify refs/heads/lru-drain >/dev/null; then
			echo "error: KSRC=$ksrc already has a branch lru-drain; delete or rename it" >&2; exit 1
		fi
		git -C "$ksrc" worktree add -q --detach "$tree" "$base"
		echo "$base" >"$tree.base"
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
[ -f "$queue/series" ] || { echo "error: no queue at $queue (no series file)" >&2; exit 1; }
mapfile -t patches < <(sed -e '/^#/d' -e '/^$/d' -e "s|^|$queue/|" "$queue/series")
stamp=$(cat "$queue/series" "${patches[@]}" 2>/dev/null | sha256sum)
if [ "$(cat "$tree.applied" 2>/dev/null)" = "$stamp" ] &&
   [ "$(git -C "$tree" symbolic-ref -q --short HEAD)" = lru-drain ]; then
	exit 0
fi
# Keep whatever the branch had, in case it held unexported work.
git -C "$tree" rev-parse -q --verify lru-drain >/dev/null &&
	git -C "$tree" branch -f lru-drain.prev lru-drain
git -C "$tree" checkout -q -B lru-drain "$base"
rm -f "$tree.applied"
if [ ${#patches[@]} -gt 0 ] && ! git -C "$tree" am -q -3 "${patches[@]}" >"$log" 2>&1; then
	echo "error: the series does not apply to $(git -C "$tree" log -1 --format='%h %s' "$base"):" >&2
	grep -E '^(Applying|error|Patch failed|CONFLICT|.*does not apply)' "$log" >&2 || tail -n 20 "$log" >&2
	# name the hunk: the rejected region as patch(1) sees it
	failed=$(sed -n 's/^Patch failed at \([0-9]*\) .*/\1/p' "$log" | head -n1)
	if [ -n "$failed" ] && git -C "$tree" am --show-current-patch=diff >"$log.patch" 2>/dev/null; then
		git -C "$tree" reset -q --hard
		patch -d "$tree" -p1 --dry-run -f <"$log.patch" 2>&1 |
			awk '/^(patching|checking) file/ { f = $3 } /FAILED|can.t find file/ { print "  " f ": " $0 }' >&2 || true
	fi
	git -C "$tree" am --abort >/dev/null 2>&1 || true
	git -C "$tree" checkout -q -B lru-drain "$base"
	echo "(full log: $log)" >&2
	exit 1
fi
echo "$stamp" >"$tree.applied"
echo "$tree: branch lru-drain = $(git -C "$tree" log -1 --format=%h "$base") + ${#patches[@]} patches"
