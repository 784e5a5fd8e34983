#!/bin/bash
# build-coverage.sh TREE : what the 0-day bot would build. Every patch that
# changes a kernel C file must compile the objects of the C files it touches
# under x86_64 allmodconfig and under fixed-seed randconfigs (KCONFIG_SEED in
# WB_RANDCONFIG_SEEDS), without a warning that the same object does not print
# at the base. An object that does not compile at the base in a config (a
# single-object build compiles fs/buffer.o even where BUFFER_HEAD is off)
# is reported as skipped. One object directory per config, kept for the
# next run.
set -uo pipefail
top=$(realpath "$(dirname "$0")/..")
. "$top/scripts/lib.sh"
tree=$(realpath "$1") wt=$(realpath "$1")-wt
base=$(cat "$tree.base")
[ -d "$wt" ] || git -C "$tree" worktree add -q --detach "$wt" "$base"
cc=gcc; command -v ccache >/dev/null && cc="ccache gcc" && export CCACHE_BASEDIR=${tree%/*} CCACHE_DEPEND=1
mapfile -t commits < <(git -C "$tree" rev-list --reverse "$base..lru-drain")
mapfile -t files < <(git -C "$tree" diff --name-only "$base" lru-drain -- '*.c' ':!tools')
warnings() { grep -E 'warning:|error:' | sed -E "s|$wt/||; s|:[0-9]+:[0-9]+:|:|" | sort -u; }

for cfg in allmodconfig ${WB_RANDCONFIG_SEEDS:-0x5eed1 0x5eed2}; do
	obj=$OUT/obj/cov-$cfg
	kmake() { make -s -C "$wt" O="$obj" ARCH=x86_64 CC="$cc" -j"$(nproc)" "$@" 2>&1; }
	git -C "$wt" checkout -q -f --detach "$base"
	case $cfg in
	allmodconfig) kmake allmodconfig >/dev/null ;;
	*) KCONFIG_SEED=$cfg kmake randconfig >/dev/null ;;
	esac
	# warnings are compared with the base below, not made errors
	"$wt/scripts/config" --file "$obj/.config" -d WERROR && kmake olddefconfig >/dev/null
	name=$cfg; [ $cfg = allmodconfig ] || name="randconfig KCONFIG_SEED=$cfg"
	if ! kmake prepare >"$obj/prepare.log"; then
		fail "$name: prepare ($obj/prepare.log)"; continue
	fi
	declare -A at_base=() base_rc=()
	for f in "${files[@]}"; do
		o=$(object_of "$wt" "$f")
		touch "$wt/$f"
		out=$(kmake "$o"); base_rc[$f]=$?
		at_base[$f]=$(warnings <<<"$out")
	done
	n=0
	for c in "${commits[@]}"; do
		n=$((n + 1))
		mapfile -t touched < <(git -C "$tree" diff --name-only "$c^" "$c" -- '*.c' ':!tools')
		[ ${#touched[@]} -gt 0 ] || continue
		git -C "$wt" checkout -q -f --detach "$c"
		for f in "${touched[@]}"; do
			o=$(object_of "$wt" "$f")
			if [ "${base_rc[$f]:-0}" != 0 ]; then
				echo "    $name: $o does not compile at the base in this config (skipped)"; continue
			fi
			out=$(touch "$wt/$f"; kmake "$o"); rc=$?
			new=$(comm -13 <(echo "${at_base[$f]:-}") <(warnings <<<"$out"))
			check "$name: patch $(printf '%04d' $n) compiles $o, no new warning" test $rc = 0 -a -z "$new"
			[ -z "$new" ] || sed 's/^/    /' <<<"$new"
		done
	done
	unset at_base base_rc
done
true
