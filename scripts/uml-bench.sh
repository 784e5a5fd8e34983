#!/bin/bash
# uml-bench.sh TREE : the batch paths timed on the host CPU. Builds one UML
# (ARCH=um) kernel per variant with bench/lru_kbench.c and two corrections of
# what UML costs more than x86 (bench/uml-*.patch: x86-64's TSO barriers, and
# the CPU number read inline instead of by a call), boots each as a host
# process and
# collects its "lru_kbench:" lines into build/report/bench-uml.{txt,json,md}.
# Variants (WB_UML_VARIANTS, default base keyed series):
#   base    the base tree
#   keyed   v7 (the queue at workbench commit $V7_COMMIT): owner spinlock only
#           behind a static key and a per-CPU mark
#   series  this queue: a spinlock that owner and remote always take
#   noise   this queue and the second one (QUEUE2)
# WB_UML_BENCH=noise times the second queue's paths instead (bench/noise_kbench.c,
# variants series and noise, into build/report/bench-uml-noise.*): the fast
# paths as below, then once at each of ncpus=2 and WB_UML_NCPUS.
# Boots, WB_UML_ROUNDS times (3) for the fast paths: ncpus=2 with no CPU
# isolated (fast paths on CPU 1) and ncpus=2 with CPU 1 isolated (on CPUs 0
# and 1); then once each, the drains at ncpus=2 and WB_UML_NCPUS (4 8 16 32),
# every CPU but 0 isolated.
set -euo pipefail
top=$(realpath "$(dirname "$0")/..")
. "$top/scripts/lib.sh"
tree=$(realpath "$1")
wt=$OUT/uml-wt logs=$OUT/logs/uml-bench report=$OUT/report
V7_COMMIT=e8a852f
bench=${WB_UML_BENCH:-lru}
case $bench in
lru) variants=${WB_UML_VARIANTS:-base keyed series} name=bench-uml ;;
noise) variants=${WB_UML_VARIANTS:-series noise} name=bench-uml-noise
	[ -n "$QUEUE2_DIR" ] || { echo "error: BASE=$WB_BASE has no second queue (QUEUE2)" >&2; exit 1; } ;;
*) echo "error: WB_UML_BENCH=$bench: lru or noise" >&2; exit 1 ;;
esac
ncpus_list=${WB_UML_NCPUS:-4 8 16 32}
rounds=${WB_UML_ROUNDS:-3}
mkdir -p "$logs" "$report"
rm -f "$report/$name".{md,json,txt}	# a report of this run only
base=$(cat "$tree.base")
[ -d "$wt" ] || git -C "$tree" worktree add -q --detach "$wt" "$base"

queue_of() { # variant : the patches to apply, one file per line
	case $1 in
	base) ;;
	series) sed -e '/^#/d' -e '/^$/d' -e "s|^|$QUEUE_DIR/|" "$QUEUE_DIR/series" ;;
	noise) queue_of series
		sed -e '/^#/d' -e '/^$/d' -e "s|^|$QUEUE2_DIR/|" "$QUEUE2_DIR/series" ;;
	keyed)
		local d=$OUT/bench-v7-queue
		mkdir -p "$d"
		for p in $(git -C "$top" show "$V7_COMMIT:patches/series"); do
			git -C "$top" show "$V7_COMMIT:patches/$p" >"$d/$p"
			echo "$d/$p"
		done ;;
	esac
}

build() { # variant : prints the path of the UML binary
	local v=$1 obj=$OUT/obj/uml-$1 cc=gcc
	command -v ccache >/dev/null && cc="ccache gcc" && export CCACHE_BASEDIR=$OUT CCACHE_DEPEND=1
	git -C "$wt" checkout -q -f --detach "$base"
	git -C "$wt" clean -qfd mm arch/x86/um arch/um
	mapfile -t patches < <(queue_of "$v")
	if [ ${#patches[@]} -gt 0 ] && ! git -C "$wt" am -q -3 "${patches[@]}" >"$logs/am-$v.log" 2>&1; then
		git -C "$wt" am --abort >/dev/null 2>&1 || true
		echo "error: the $v queue does not apply (see $logs/am-$v.log)" >&2; return 1
	fi
	for p in "$top"/bench/uml-*.patch; do git -C "$wt" apply "$p"; done
	cp "$top/bench/lru_kbench.c" "$wt/mm/"
	echo 'obj-y += lru_kbench.o' >>"$wt/mm/Makefile"
	case $v in series | noise)
		echo 'CFLAGS_lru_kbench.o += -DLRU_KBENCH_REMOTE' >>"$wt/mm/Makefile"
		# it calls cpu_is_isolated_or_nohz(), which the series adds
		cp "$top/bench/noise_kbench.c" "$wt/mm/"
		echo 'obj-y += noise_kbench.o' >>"$wt/mm/Makefile" ;;
	esac
	mkdir -p "$obj"
	local kmake=(make -C "$wt" O="$obj" ARCH=um SUBARCH=x86_64 CC="$cc" -j"$(nproc)")
	{ "${kmake[@]}" defconfig && cat "$top/config/uml-bench.config" >>"$obj/.config" &&
	  "${kmake[@]}" olddefconfig && "${kmake[@]}" linux; } >"$logs/build-$v.log" 2>&1 ||
		{ tail -20 "$logs/build-$v.log" >&2; echo "error: the $v UML kernel did not build ($logs/build-$v.log)" >&2; return 1; }
	while read -r want; do
		grep -qx -- "$want" "$obj/.config" ||
			{ echo "error: $want did not stick in $obj/.config" >&2; return 1; }
	done < <(grep -E '^CONFIG_' "$top/config/uml-bench.config")
	git -C "$wt" checkout -q -f --detach "$base"
	cp "$obj/linux" "$OUT/kernels/uml-$v"
	echo "$OUT/kernels/uml-$v"
}

boot() { # variant log args... : one UML run; its ${bench}_kbench lines on stdout
	local v=$1 log=$2; shift 2
	# UML maps its memory from a file in TMPDIR; a private one is removed after.
	local tmp; tmp=$(mktemp -d)
	if ! TMPDIR=$tmp timeout 900 "$OUT/kernels/uml-$v" mem=1G seccomp=on "$@" </dev/null >"$log" 2>&1 ||
	   ! grep -q "${bench}_kbench: done" "$log"; then
		rm -rf "$tmp"
		echo "error: UML $v $* did not finish (see $log):" >&2; tail -5 "$log" >&2; return 1
	fi
	rm -rf "$tmp"
	sed -n "s/^.*${bench}_kbench: \(.*\)$/$v $*: \1/p" "$log" | grep -v ': start\|: done' |
		sed "s/ ${bench}_kbench.runs=5//; s/ noise_kbench.fast=[0-9]*//"
}

mkdir -p "$OUT/kernels"
for v in $variants; do
	echo "uml-bench: building the $v UML kernel" >&2
	build "$v" >/dev/null
done
lru_runs() {
	# A boot of one kernel differs from the next by a few percent in the
	# fast paths: the variants take turns, round after round.
	for r in $(seq "$rounds"); do
		for v in $variants; do
			status "uml-bench: round $r of $rounds: fast paths of $v"; echo "uml-bench: round $r of $rounds: fast paths of $v" >&2
			boot "$v" "$logs/$v-2-r$r.log" ncpus=2 lru_kbench.fast=1 lru_kbench.runs=5
			boot "$v" "$logs/$v-2-iso-r$r.log" ncpus=2 isolcpus=domain,1 lru_kbench.fast=0,1 lru_kbench.runs=5
		done
	done
	for v in $variants; do
		for n in 2 $ncpus_list; do
			status "uml-bench: drains of $v at ncpus=$n"; echo "uml-bench: drains of $v at ncpus=$n" >&2
			boot "$v" "$logs/$v-$n-drain.log" ncpus="$n" isolcpus=domain,1-$((n - 1)) lru_kbench.drain=1
		done
	done
}

noise_runs() {
	for r in $(seq "$rounds"); do
		for v in $variants; do
			status "uml-bench: round $r of $rounds: second queue's paths in $v"
			boot "$v" "$logs/noise-$v-2-r$r.log" ncpus=2 noise_kbench.fast=1 noise_kbench.runs=5
			boot "$v" "$logs/noise-$v-2-iso-r$r.log" ncpus=2 isolcpus=domain,1 noise_kbench.fast=1 noise_kbench.runs=5
		done
	done
	# the sum of all CPUs' committed counts grows with them
	for v in $variants; do
		for n in $ncpus_list; do
			status "uml-bench: second queue's paths in $v at ncpus=$n"
			boot "$v" "$logs/noise-$v-$n.log" ncpus="$n" isolcpus=domain,1-$((n - 1)) noise_kbench.fast=0 noise_kbench.runs=5
		done
	done
}

out=$report/$name.txt
{
	echo "# host: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
	echo "# date: $(date -u +%F) workbench: $(git -C "$top" rev-parse --short HEAD)"
	echo "# bench: $bench"
	"${bench}_runs"
} >"$out.tmp"
mv "$out.tmp" "$out"
python3 "$top/scripts/uml-bench-report.py" "$out" "$report/$name"
check "$name: $variants measured in one run ($report/$name.md)" test -s "$report/$name.md"
