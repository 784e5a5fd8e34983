#!/bin/bash
# Bad input must give a clear message and a non-zero exit, and leave the
# user's things alone. Each case here feeds the workbench one.
set -uo pipefail
top=$(realpath "$(dirname "$0")/..")
. "$top/scripts/lib.sh"
tmp=$top/build/check/harness
rm -rf "$tmp"; mkdir -p "$tmp"
cd "$top"
# The cases' own logs go here, not over the user's am.log and apt.log.
export WB_LOGS=$tmp/logs

expect_error() { # name message-regex command...
	local name=$1 msg=$2; shift 2
	local out rc
	out=$(WB_RESULTS=$tmp/case.results "$@" 2>&1); rc=$?
	if [ $rc -ne 0 ] && grep -Eq "$msg" <<<"$out"; then
		pass "harness: $name"
	else
		fail "harness: $name (exit $rc, wanted /$msg/)"; tail -n 5 <<<"$out" | sed 's/^/    /'
	fi
}

fake_kernel() { # dir : a tiny git tree that looks like a kernel
	mkdir -p "$1/mm"
	printf 'VERSION = 7\nPATCHLEVEL = 3\n' >"$1/Makefile"
	echo '/* not the real one */' >"$1/mm/swap.c"
	seq 1 1000 >"$1/mm/folio.c"
	mkdir -p "$1/fs" && seq 1 1000 >"$1/fs/buffer.c"
	git -C "$1" init -q && git -C "$1" add -A &&
		git -C "$1" -c user.name=t -c user.email=t@t commit -q -m base
}

mkdir -p "$tmp/plain"
expect_error "KSRC that is not a git tree" "is not a git tree" \
	scripts/tree.sh "$tmp/t1" "$tmp/plain"

git -C "$tmp/plain" init -q
expect_error "KSRC that is not a kernel tree" "is not a Linux kernel tree" \
	scripts/tree.sh "$tmp/t2" "$tmp/plain"

fake_kernel "$tmp/dirty"
echo change >>"$tmp/dirty/mm/swap.c"
expect_error "KSRC with uncommitted changes" "has uncommitted changes" \
	scripts/tree.sh "$tmp/t3" "$tmp/dirty"
check "harness: the dirty KSRC keeps its change" grep -q change "$tmp/dirty/mm/swap.c"

fake_kernel "$tmp/other"
head=$(git -C "$tmp/other" rev-parse HEAD)
branch=$(git -C "$tmp/other" symbolic-ref --short HEAD)
expect_error "series that does not apply names the patch" "Patch failed at 0001" \
	scripts/tree.sh "$tmp/t4" "$tmp/other"
expect_error "series that does not apply names the hunk" "fs/buffer.c: Hunk #1 FAILED" \
	scripts/tree.sh "$tmp/t4" "$tmp/other"
check "harness: the KSRC checkout is untouched after a failed apply" \
	test "$(git -C "$tmp/other" rev-parse HEAD)" = "$head" -a \
	"$(git -C "$tmp/other" symbolic-ref --short HEAD)" = "$branch" -a \
	-z "$(git -C "$tmp/other" status --porcelain)"

expect_error "BASE without a pin file" "no pin file bases/wb-none" make -s BASE=wb-none tree
check "harness: BASE in the environment is not a knob (only make BASE= is)" \
	env BASE=wb-none make -s --no-print-directory help >/dev/null

# KSRC= follows the user's tree. A fake kernel and a one-patch queue for it.
fake_kernel "$tmp/user"
git -C "$tmp/user" checkout -q -b wb-scratch
sed -i 1s/1/one/ "$tmp/user/mm/folio.c"
git -C "$tmp/user" -c user.name=t -c user.email=t@t commit -q -am "mm: a change"
mkdir -p "$tmp/queue"
git -C "$tmp/user" format-patch -q -o "$tmp/queue" HEAD^ && (cd "$tmp/queue" && ls 0*.patch >series)
git -C "$tmp/user" checkout -q - && git -C "$tmp/user" branch -q -D wb-scratch
branches=$(git -C "$tmp/user" for-each-ref --format='%(refname)' refs/heads)
ksrc_tree() { # ksrc [tree] : the commit the queue went on
	local t=${2:-$tmp/kt}
	WB_QUEUE=$tmp/queue scripts/tree.sh "$t" "$1" >/dev/null 2>&1 && git -C "$t" rev-parse lru-drain^
}
check "harness: KSRC: the queue goes on the user's HEAD" \
	test "$(ksrc_tree "$tmp/user")" = "$(git -C "$tmp/user" rev-parse HEAD)"
echo more >>"$tmp/user/fs/buffer.c"
git -C "$tmp/user" -c user.name=t -c user.email=t@t commit -q -am "fs: later work"
check "harness: KSRC: after the user's HEAD moved, the queue goes on the new HEAD" \
	test "$(ksrc_tree "$tmp/user")" = "$(git -C "$tmp/user" rev-parse HEAD)"
fake_kernel "$tmp/user2"
check "harness: KSRC: another KSRC= gets a tree of its own" \
	test "$(ksrc_tree "$tmp/user2")" = "$(git -C "$tmp/user2" rev-parse HEAD)"
check "harness: KSRC: no branch and no worktree left in the user's repository" \
	test "$(git -C "$tmp/user" for-each-ref --format='%(refname)' refs/heads)" = "$branches" -a \
	"$(git -C "$tmp/user" worktree list | wc -l)" = 1
git -C "$tmp/kt" -c user.name=t -c user.email=t@t commit -q --allow-empty -m "unexported work"
expect_error "KSRC: a changed KSRC does not drop unexported commits" "commits the queue does not" \
	env WB_QUEUE="$tmp/queue" scripts/tree.sh "$tmp/kt" "$tmp/user"

fake_kernel "$tmp/user3"
sed -i 1s/1/x/ "$tmp/user3/mm/folio.c" && git -C "$tmp/user3" commit -q -am "not what the queue expects"
WB_QUEUE=$tmp/queue scripts/tree.sh "$tmp/kt3" "$tmp/user3" >/dev/null 2>&1
sed -i 1s/x/1/ "$tmp/user3/mm/folio.c" && git -C "$tmp/user3" commit -q -am "what it expects"
check "harness: KSRC: after a failed apply, a new HEAD is taken" \
	test "$(ksrc_tree "$tmp/user3" "$tmp/kt3")" = "$(git -C "$tmp/user3" rev-parse HEAD)"

# A second queue goes on top of the first as branch noise; one that does
# not apply is named, with its hunk.
git -C "$tmp/user2" checkout -q -b wb-scratch
echo '/* a second change */' >>"$tmp/user2/mm/swap.c"
git -C "$tmp/user2" -c user.name=t -c user.email=t@t commit -q -am "mm: a second change"
sed -i 500s/500/five/ "$tmp/user2/fs/buffer.c"
git -C "$tmp/user2" -c user.name=t -c user.email=t@t commit -q -am "fs: a change"
mkdir -p "$tmp/queue2" "$tmp/queue2-bad"
git -C "$tmp/user2" format-patch -q -o "$tmp/queue2" HEAD~2..HEAD~1 && (cd "$tmp/queue2" && ls 0*.patch >series)
# the second patch with context that is not there
git -C "$tmp/user2" format-patch -q --stdout HEAD^ | sed 's/^ 49\([789]\)$/ x\1/' >"$tmp/queue2-bad/0001-bad.patch"
echo 0001-bad.patch >"$tmp/queue2-bad/series"
git -C "$tmp/user2" checkout -q - && git -C "$tmp/user2" branch -q -D wb-scratch
WB_QUEUE="$tmp/queue" WB_QUEUE2="$tmp/queue2" scripts/tree.sh "$tmp/kt2q" "$tmp/user2" >/dev/null 2>&1
check "harness: a second queue goes on top of the first (noise = lru-drain + 1)" \
	test "$(git -C "$tmp/kt2q" rev-parse noise^)" = "$(git -C "$tmp/kt2q" rev-parse lru-drain)"
expect_error "a second queue that does not apply is named" "queue2-bad does not apply" \
	env WB_QUEUE="$tmp/queue" WB_QUEUE2="$tmp/queue2-bad" scripts/tree.sh "$tmp/kt2b" "$tmp/user2"
expect_error "a second queue that does not apply names the hunk" "fs/buffer.c: Hunk #1 FAILED" \
	env WB_QUEUE="$tmp/queue" WB_QUEUE2="$tmp/queue2-bad" scripts/tree.sh "$tmp/kt2b" "$tmp/user2"

# A build that fails publishes no kernel and no key, and gates says so.
# (an image of an earlier build lies where a new one would be)
mkdir -p "$tmp/out/kernels" "$tmp/out/obj/test/arch/x86/boot" && touch "$tmp/out/obj/test/arch/x86/boot/bzImage"
expect_error "gates: a failed build fails the walk" "FAIL gate build" \
	env WB_OUT="$tmp/out" WB_QUEUE="$tmp/queue" WB_GATES=build scripts/gates.sh "$tmp/kt"
check "harness: gates: a failed build publishes no kernel and no key" \
	test -z "$(ls "$tmp/out/kernels")"

# A step that stops after some checks passed, but before a verdict of its
# own, is a failure; a target whose check failed exits non-zero after
# "N passed, N failed".
rm -f "$tmp/step.results"
WB_RESULTS=$tmp/step.results WB_STEP_DEPTH=1 scripts/step.sh early bash -c '. scripts/lib.sh; pass one; exit 3' >/dev/null
check "harness: a step that stops early is a FAIL" grep -q '^FAIL early stopped (exit 3)' "$tmp/step.results"
expect_error "a target whose check failed exits non-zero after its verdict" "^0 passed, 1 failed" \
	env -u WB_IN_VERDICT -u WB_RESULTS WB_RESULTS_DIR="$tmp/results" make -s deb DEB_CONFIG=/wb-no-such-config

# A mutant that does not say what catches it is a failure.
mkdir -p "$tmp/mutants" && sed '/^Caught-by:/d' mutants/drain-by-ipi.patch >"$tmp/mutants/silent.patch"
expect_error "a mutant without Caught-by: fails" "FAIL mutant silent names what must catch it" \
	env WB_MUTANTS="$tmp/mutants" scripts/mutants.sh "$tmp/kt"

# ARCH, CROSS_COMPILE and LLVM of a cross-builder's shell do not reach the
# workbench's kbuild (configuring only: the option below fails on purpose).
echo "CONFIG_WB_NO_SUCH_OPTION=y" >"$tmp/bad.config"
env ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- LLVM=1 \
	scripts/build-kernel.sh "${WB_TREE:-build/linux}" "$tmp/obj-arch" config/base.config "$tmp/bad.config" >/dev/null 2>&1
check "harness: ARCH=arm64 in the environment still configures x86_64" grep -q '^CONFIG_X86_64=y' "$tmp/obj-arch/.config"

# A pinned version that has left the mirror: warn, take the newest of the
# same series (resolution only; nothing is downloaded).
sed 's/^BASE_PKG_VERSION=.*/BASE_PKG_VERSION=0.0~wb-gone/' bases/mainline >"$tmp/gone.pin"
out=$(WB_RESOLVE_ONLY=1 scripts/get-base.sh "$tmp/gone.pin" "$tmp/unused" 2>&1)
check "harness: a pinned version gone from the mirror falls back with a warning" \
	grep -q "warning: linux-source-7.3=0.0~wb-gone is no longer on the mirror; using linux-source-7" <<<"$out"
sed -e 's/^BASE_PKG_VERSION=.*/BASE_PKG_VERSION=0.0~wb-gone/' -e "s/^BASE_FALLBACK=.*/BASE_FALLBACK=wb-none/" \
	bases/mainline >"$tmp/none.pin"
expect_error "no base package at all" "neither linux-source-7.3=0.0~wb-gone nor any package" \
	env WB_RESOLVE_ONLY=1 scripts/get-base.sh "$tmp/none.pin" "$tmp/unused"

expect_error "config option that does not stick" "CONFIG_WB_NO_SUCH_OPTION=y did not stick" \
	scripts/build-kernel.sh "${WB_TREE:-build/linux}" "$tmp/obj" config/base.config "$tmp/bad.config"

expect_error "missing package that apt cannot install" "could not install" \
	env WB_EXTRA_PKGS=wb-no-such-package scripts/deps.sh

kernel=$OUT/kernels/test-base.bzImage initrd=$OUT/guest/initramfs.cpio
if [ ! -f "$kernel" ] || [ ! -f "$initrd" ]; then
	fail "harness: guest cases need $kernel and $initrd (run after make report)"
else
	# ARCH=arm64 exported: still an x86 guest
	expect_error "guest that panics (no init)" "Kernel panic" \
		env ARCH=arm64 WB_APPEND=rdinit=/wb-no-such-init scripts/run-qemu.sh "$kernel" "$initrd" true "$tmp/panic.log"
	check "harness: the console log of a failed guest is kept, with what the guest printed" \
		grep -q 'Kernel panic - not syncing' "$tmp/panic.log"
	expect_error "guest that does not finish in time" "WB-TIMEOUT" \
		env WB_TIMEOUT=2 scripts/run-qemu.sh "$kernel" "$initrd" true "$tmp/hang.log"
fi
