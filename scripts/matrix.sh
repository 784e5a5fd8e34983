#!/bin/bash
# matrix.sh TREE NAME FRAGMENT... : build the series in one more
# configuration (PREEMPT_RT, !SMP, arm64 with ARCH=arm64) in the builder
# worktree, and keep the kernels of the base and of the whole series as
# $OUT/kernels/NAME-{base,series}.bzImage (NAME-{base,series}.Image on arm64).
# WB_MATRIX=every (make check-full) builds every patch that touches the kernel;
# the default builds the whole series, and the base only where WB_MATRIX_BASE=1
# (a negative control or a boot to compare with needs it). WB_MATRIX_OBJECTS=1
# builds only the objects of the C files the series touches, not the whole
# kernel (not with WB_MATRIX=every).
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
if [ "${WB_MATRIX_BASE:-0}" = 1 ] || [ "${WB_MATRIX:-}" = every ]; then
	git -C "$wt" checkout -q -f --detach "$base"
	check "gate build-$name base" build "$@" && [ -n "$image" ] &&
		cp "$image" "$OUT/kernels/$name-base.${image##*/}"
fi
tip=$(tip_of "$tree")	# both queues, when there is a second
mapfile -t commits < <(git -C "$tree" rev-list --reverse "$base..$tip")
what=" (the whole series)"
if [ "${WB_MATRIX_OBJECTS:-0}" = 1 ] && [ "${WB_MATRIX:-}" != every ]; then
	git -C "$wt" checkout -q -f --detach "$tip"
	for f in $(git -C "$tree" diff --name-only "$base" "$tip" -- '*.c' ':!tools'); do
		WB_TARGETS+=" $(object_of "$wt" "$f")"
	done
	export WB_TARGETS
	what=" (the whole series, objects:$WB_TARGETS)"
fi
n=0 image=
for c in "${commits[@]}"; do
	n=$((n + 1))
	if [ "${WB_MATRIX:-}" = every ]; then
		[ -n "$(git -C "$tree" diff --name-only "$c^" "$c" -- . ':!tools' ':!Documentation' ':!MAINTAINERS')" ] || continue
	else
		[ "$c" = "${commits[-1]}" ] || continue
	fi
	git -C "$wt" checkout -q -f --detach "$c"
	check "gate build-$name $(printf '%04d' $n)$([ "${WB_MATRIX:-}" = every ] || echo "$what")" build "$@"
done
if [ -n "$image" ]; then cp "$image" "$OUT/kernels/$name-series.${image##*/}"; fi
