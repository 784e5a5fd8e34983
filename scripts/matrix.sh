#!/bin/bash
# matrix.sh TREE NAME FRAGMENT... : build the base and every patch of the
# series that touches the kernel in one more configuration (PREEMPT_RT,
# !SMP, arm64 with ARCH=arm64), in the builder worktree, and keep the kernels
# of the base and of the whole series as build/kernels/NAME-{base,series}.bzImage
# (NAME-{base,series}.Image on arm64).
set -uo pipefail
top=$(realpath "$(dirname "$0")/..")
. "$top/scripts/lib.sh"
tree=$(realpath "$1") name=$2; shift 2
wt=$tree-wt obj=$OUT/obj/$name
base=$(cat "$tree.base")
[ -d "$wt" ] || git -C "$tree" worktree add -q --detach "$wt" "$base"
build() { image=$("$top/scripts/build-kernel.sh" "$wt" "$obj" "$@"); }

mkdir -p "$OUT/kernels"
rm -f "$OUT/kernels/$name"-{base,series}.*
git -C "$wt" checkout -q --detach "$base"
check "gate build-$name base" build "$@" && [ -n "$image" ] &&
	cp "$image" "$OUT/kernels/$name-base.${image##*/}"
n=0
for c in $(git -C "$tree" rev-list --reverse "$base..lru-drain"); do
	n=$((n + 1))
	[ -n "$(git -C "$tree" diff --name-only "$c^" "$c" -- . ':!tools' ':!Documentation' ':!MAINTAINERS')" ] || continue
	git -C "$wt" checkout -q --detach "$c"
	check "gate build-$name $(printf '%04d' $n)" build "$@"
done
[ -n "$image" ] && cp "$image" "$OUT/kernels/$name-series.${image##*/}"
