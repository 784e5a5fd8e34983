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
export LOGS=$tmp/logs

expect_error() { # name message-regex command...
	local name=$1 msg=$2; shift 2
	local out rc
	out=$("$@" 2>&1); rc=$?
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

# A pinned version that has left the mirror: warn, take the newest of the
# same series (resolution only; nothing is downloaded).
sed 's/^BASE_PKG_VERSION=.*/BASE_PKG_VERSION=0.0~wb-gone/' bases/mainline >"$tmp/gone.pin"
out=$(RESOLVE_ONLY=1 scripts/get-base.sh "$tmp/gone.pin" "$tmp/unused" 2>&1)
check "harness: a pinned version gone from the mirror falls back with a warning" \
	grep -q "warning: linux-source-7.3=0.0~wb-gone is no longer on the mirror; using linux-source-7" <<<"$out"
sed -e 's/^BASE_PKG_VERSION=.*/BASE_PKG_VERSION=0.0~wb-gone/' -e "s/^BASE_FALLBACK=.*/BASE_FALLBACK=wb-none/" \
	bases/mainline >"$tmp/none.pin"
expect_error "no base package at all" "neither linux-source-7.3=0.0~wb-gone nor any package" \
	env RESOLVE_ONLY=1 scripts/get-base.sh "$tmp/none.pin" "$tmp/unused"

echo "CONFIG_WB_NO_SUCH_OPTION=y" >"$tmp/bad.config"
expect_error "config option that does not stick" "CONFIG_WB_NO_SUCH_OPTION=y did not stick" \
	scripts/build-kernel.sh "${TREE:-build/linux}" "$tmp/obj" config/base.config "$tmp/bad.config"

expect_error "missing package that apt cannot install" "could not install" \
	env WB_EXTRA_PKGS=wb-no-such-package scripts/deps.sh

kernel=$OUT/kernels/test-base.bzImage initrd=$OUT/guest/initramfs.cpio
if [ ! -f "$kernel" ] || [ ! -f "$initrd" ]; then
	fail "harness: guest cases need $kernel and $initrd (run after make report)"
else
	expect_error "guest that panics (no init)" "Kernel panic" \
		env APPEND=rdinit=/wb-no-such-init scripts/run-qemu.sh "$kernel" "$initrd" true "$tmp/panic.log"
	expect_error "guest that does not finish in time" "WB-TIMEOUT" \
		env TIMEOUT=2 scripts/run-qemu.sh "$kernel" "$initrd" true "$tmp/hang.log"
	check "harness: the console log of a failed guest is kept" test -s "$tmp/hang.log"
fi
