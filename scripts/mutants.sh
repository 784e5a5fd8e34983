#!/bin/bash
# mutants.sh TREE : the teeth of the tests. Each mutants/*.patch is a broken
# variant of the mainline series; applied on top of it in the builder
# worktree, built with the test config (incrementally, in the walk's object
# directory) and booted with the selftest, it must be caught by what its
# "Caught-by:" line names: a check the selftest fails, or a kernel report.
set -uo pipefail
top=$(realpath "$(dirname "$0")/..")
. "$top/scripts/lib.sh"
tree=$(realpath "$1")
wt=$tree-wt obj=$OUT/obj/test guest=$OUT/guest/mutants logs=$OUT/logs
if [ "$BASE" != mainline ]; then
	echo "error: mutants/ is written for the mainline queue, not BASE=$BASE" >&2; exit 1
fi
mkdir -p "$guest" "$logs"
gcc -O2 -Wall -o "$guest/lru_drain_isolation" "$tree/tools/testing/selftests/mm/lru_drain_isolation.c" &&
	"$top/scripts/mkinitramfs.sh" "$guest/initramfs.cpio" "$guest/lru_drain_isolation" ||
	{ fail "mutants: selftest guest builds"; exit 1; }

failed=0
miss() { fail "$@"; failed=1; }
# A mutant's build must change the objects of the files it touches: a build
# that kept the previous ones would boot the series (or the last mutant).
objsum() { sha256sum "$obj/${1%.c}.o" 2>/dev/null | cut -d' ' -f1; }
for m in "$top"/mutants/*.patch; do
	name=$(basename "$m" .patch) log=$logs/mutant-$name.log
	caught_by=$(sed -n 's/^Caught-by: //p' "$m")
	git -C "$wt" checkout -q --detach lru-drain
	if ! git -C "$wt" apply "$m" 2>"$log"; then
		miss "mutant $name applies to the series ($log)"; continue
	fi
	files=$(sed -n 's|^+++ b/\(.*\.c\)$|\1|p' "$m")
	declare -A before=()
	for f in $files; do before[$f]=$(objsum "$f"); done
	image=$("$top/scripts/build-kernel.sh" "$wt" "$obj" $TEST_FRAGS); built=$?
	git -C "$wt" checkout -q -- .
	[ $built = 0 ] || { miss "mutant $name builds"; continue; }
	stale=
	for f in $files; do
		[ "$(objsum "$f")" != "${before[$f]}" ] || stale+=" ${f%.c}.o"
	done
	[ -z "$stale" ] || { miss "mutant $name: its build did not change$stale"; continue; }
	cp "$image" "$OUT/kernels/mutant-$name.bzImage"
	"$top/scripts/run-qemu.sh" "$OUT/kernels/mutant-$name.bzImage" "$guest/initramfs.cpio" selftest "$log" >/dev/null 2>&1
	if hit=$(grep -Em1 "$caught_by" "$log"); then
		pass "mutant $name caught: $(sed -E 's/^\[ *[0-9.]+\] //' <<<"$hit")"
	else
		miss "mutant $name not caught: nothing in $log matches /$caught_by/"
		grep -E '^(not ok|WB-END|# result)|WARNING:|BUG:' "$log" | head -8 | sed 's/^/    /'
	fi
done
exit $failed
