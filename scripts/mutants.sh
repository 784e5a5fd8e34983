#!/bin/bash
# mutants.sh TREE : the teeth of the tests. Each mutants/*.patch is a broken
# variant of the mainline series (noise-*: of the second queue); applied on
# top of both in the builder worktree, built with the test config
# (incrementally, in the walk's object directory) and booted with the
# checkers in its "Setup:" (default domain), it must be caught by what its
# "Caught-by:" line names: a check that fails, a line of guest/mm_noise.c
# that shows the source's work, or a kernel report.
set -uo pipefail
top=$(realpath "$(dirname "$0")/..")
. "$top/scripts/lib.sh"
tree=$(realpath "$1")
wt=$tree-wt obj=$OUT/obj/test guest=$OUT/guest/mutants logs=$OUT/logs
if [ "$WB_BASE" != mainline ]; then
	echo "error: mutants/ is written for the mainline queue, not BASE=$WB_BASE" >&2; exit 1
fi
mutants=${WB_MUTANTS:-$top/mutants}
mkdir -p "$guest" "$logs"
failed=0
miss() { fail "$@"; failed=1; }
# A mutant must say what catches it; one that does not is a failure, found
# before anything is built.
todo=()
for m in "$mutants"/*.patch; do
	if grep -q '^Caught-by: .' "$m"; then todo+=("$m")
	else miss "mutant $(basename "$m" .patch) names what must catch it (Caught-by:)"; fi
done
[ ${#todo[@]} -gt 0 ] || { [ $failed = 1 ] || fail "mutants: some mutant to run in $mutants"; exit 1; }
build_guest_tests "$tree" "$guest" &&
	"$top/scripts/mkinitramfs.sh" "$guest/initramfs.cpio" "$guest/lru_drain_isolation" "$guest/mm_noise" ||
	{ fail "mutants: selftest guest builds"; exit 1; }

# A mutant's build must change the objects of the files it touches, from
# the series' and from the last build's: a build that kept them would boot
# the series (or the last mutant).
objsum() { sha256sum "$obj/${1%.c}.o" 2>/dev/null | cut -d' ' -f1; }
sums() { for f in $files; do echo "$f $(objsum "$f")"; done; }
build() { "$top/scripts/build-kernel.sh" "$wt" "$obj" $TEST_FRAGS; }
boot() { # log : boot the mutant with the checkers; print what catches it
	WB_SETUP=$setup "$top/scripts/run-qemu.sh" "$OUT/kernels/mutant-$name.bzImage" "$guest/initramfs.cpio" selftest "$1" >/dev/null 2>&1
	grep -Em1 "$caught_by" "$1" | sed -E 's/^\[ *[0-9.]+\] //'
}
# The series' objects, which no mutant's may equal. Mutants go on the
# branch with both queues.
tip=$(tip_of "$tree")
git -C "$wt" checkout -q -f --detach "$tip"	# a killed run may have left a mutant applied
files=$(sed -n 's|^+++ b/\(.*\.c\)$|\1|p' "${todo[@]}" | sort -u)
build >/dev/null || { fail "mutants: the series builds in $obj"; exit 1; }
series=$(sums)
for m in "${todo[@]}"; do
	name=$(basename "$m" .patch) log=$logs/mutant-$name.log
	caught_by=$(sed -n 's/^Caught-by: //p' "$m")
	setup=$(sed -n 's/^Setup: //p' "$m"); setup=${setup:-domain}
	status "mutant $name: building and booting"
	git -C "$wt" checkout -q -f --detach "$tip"
	if ! git -C "$wt" apply "$m" 2>"$log"; then
		miss "mutant $name applies to the series ($log)"; continue
	fi
	files=$(sed -n 's|^+++ b/\(.*\.c\)$|\1|p' "$m")
	before=$(sums)
	image=$(build); built=$?
	if [ $built = 0 ]; then
		after=$(sums | sort)
		stale=$(join <(echo "$before" | sort) <(echo "$after") | awk '$2 == $3 { printf " %s", $1 }')
		same=$(join <(echo "$series") <(echo "$after") | awk '$2 == $3 { printf " %s", $1 }')
		if [ -n "$stale" ]; then
			miss "mutant $name: its build did not change the objects of$stale"; built=
		elif [ -n "$same" ]; then
			miss "mutant $name: its objects of$same are the series'"; built=
		fi
	else
		miss "mutant $name builds"; built=
	fi
	[ -n "$built" ] && cp "$image" "$OUT/kernels/mutant-$name.bzImage"
	git -C "$wt" checkout -q -- .
	[ -n "$built" ] || continue
	if hit=$(boot "$log") && [ -n "$hit" ]; then
		pass "mutant $name caught: $hit"
	else
		miss "mutant $name not caught: nothing in $log matches /$caught_by/"
		grep -E '(^|\] )Linux version|^(not ok|WB-END|# )|WARNING:|BUG:' "$log" | head -20 | sed 's/^/    /'
	fi
done
exit $failed
