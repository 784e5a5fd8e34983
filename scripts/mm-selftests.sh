#!/bin/bash
# mm-selftests.sh [TREE] : the kernel's own mm selftests (run_vmtests.sh -t
# of TREE's tools/testing/selftests/mm, branch lru-drain) on the test base
# and series kernels. Each test must give the same result (with its subtest
# counts) on both: when one differs, both kernels boot once more, and the
# check fails if the test gave no result on the series that it gave on the
# base. The series must pass at least WB_MIN_PASS tests. The category
# "memcg" is not run_vmtests.sh's: it runs the memory controller's cgroup
# selftest test_memcontrol (charges, limits, protection, OOM), with THP
# off. test_kmem is left out: its test_kmem_basic alone ran for over 5
# minutes under TCG.
# Writes $OUT/report/mm-selftests.md.
# Environment: WB_CATEGORIES (space separated), WB_RUNS (boots of each kernel, 1),
# WB_MIN_PASS, WB_SETUP (nohz; see run-qemu.sh), WB_TIMEOUT (per boot).
set -uo pipefail
top=$(realpath "$(dirname "$0")/..")
. "$top/scripts/lib.sh"
tree=$(realpath "${1:-$top/build/linux}")
WB_CATEGORIES=${WB_CATEGORIES:-mmap madv_populate mlock migration compaction cow ksm gup_test mremap madv_guard process_madv vma_merge mkdirty rmap process_mrelease mdwe memcg}
# make check leaves memcg (2 x 70 s) to make check-full: a cold make check
# with it took 60:49 here, over its hour.
for c in ${WB_CATEGORIES_SKIP:-}; do WB_CATEGORIES=$(echo " $WB_CATEGORIES " | sed "s/ $c / /; s/^ //; s/ $//"); done
WB_RUNS=${WB_RUNS:-1} WB_MIN_PASS=${WB_MIN_PASS:-10} WB_TIMEOUT=${WB_TIMEOUT:-600}
# nohz_full= without isolcpus=domain: the tests' tasks still run on the
# isolated CPUs and fill their batches, which the series then drains from
# the calling CPU, so its new path runs under the tests.
export WB_SETUP=${WB_SETUP:-nohz}
work=$OUT/mm-selftests src=$OUT/mm-selftests/src bin=$OUT/mm-selftests/bin
mm=tools/testing/selftests/mm
mkdir -p "$work/logs" "$OUT/report"

# The selftest sources come from the branch, the UAPI headers from an
# O= build of the tree: nothing is written into the tree. Both are redone
# when the branch moves (git archive's old mtimes would fool make).
# "series" is the kernel with both queues, when the base has a second.
tip=$(tip_of "$tree") series_kernel=test-series
[ "$tip" = noise ] && series_kernel=test-noise
commit=$(git -C "$tree" rev-parse "$tip") || exit 1
commit+=" $(sha256sum <"$0" | cut -c1-16)"	# and what this script takes from it
if [ "$(cat "$work/commit" 2>/dev/null)" != "$commit" ]; then
	rm -rf "$src" "$bin" "$work/cgroup" "$work/commit"
	mkdir -p "$src" "$bin"
	git -C "$tree" archive "$tip" tools/include tools/arch mm/gup_test.h lib/test_hmm_uapi.h include/vdso \
		tools/testing/selftests/{lib.mk,kselftest.h,kselftest_harness.h,kselftest,mm,cgroup,pidfd,clone3,x86} |
		tar -x -C "$src" || exit 1
	nice -n 10 make -s -j2 -C "$tree" O="$work/hdr" headers >"$work/headers.log" 2>&1 ||
		{ fail "mm selftests: UAPI headers (see $work/headers.log)"; exit 1; }
	echo "$commit" >"$work/commit"
fi

# Only what the chosen categories run, as run_vmtests.sh names it.
progs=$(for c in $WB_CATEGORIES; do
	sed -nE "s/.*CATEGORY=\"$c\" run_test (sudo -u nobody sh -c |bash )?\.\/([^ ]+).*/\2/p" "$src/$mm/run_vmtests.sh"
done | sort -u)
start=$SECONDS
targets=$(for p in $progs; do [[ $p = *.sh ]] || echo "$bin/$p"; done)
nice -n 10 make -k -j2 -C "$src/$mm" OUTPUT="$bin" KHDR_INCLUDES="-isystem $work/hdr/usr/include" \
	$targets >"$work/build.log" 2>&1
cg=(test_memcontrol)
if [[ " $WB_CATEGORIES " = *" memcg "* ]]; then
	nice -n 10 make -k -j2 -C "$src/tools/testing/selftests/cgroup" OUTPUT="$work/cgroup" \
		KHDR_INCLUDES="-isystem $work/hdr/usr/include" "${cg[@]/#/$work/cgroup/}" >>"$work/build.log" 2>&1
	for p in "${cg[@]}"; do cp "$work/cgroup/$p" "$bin/" 2>/dev/null; done
	progs+=" ${cg[*]}"
fi
echo "mm selftests: built in $((SECONDS - start))s"
cp "$src/$mm/run_vmtests.sh" "$bin/"
for p in $progs; do
	[[ $p = *.sh ]] && cp "$src/$mm/$p" "$bin/"
	[ -x "$bin/$p" ] && continue
	# A test the host cannot build (a -dev package missing) is a SKIP with
	# the reason, not a FAIL of "No such file".
	why=$(grep -m1 -E "^$p\.c:.*error" "$work/build.log" | sed 's/.*error: //')
	echo "    not built: $p: $why"
	printf '#!/bin/sh\necho "not built on the host: %s"\nexit 4\n' "${why:-see $work/build.log}" >"$bin/$p"
	chmod +x "$bin/$p"
done
"$top/scripts/mkinitramfs.sh" "$work/initramfs.cpio" /bin/bash "$bin"/* || exit 1

# One line "category|test|result" per test of a console log; the result is
# PASS, FAIL exit=N or SKIP, and the test's kselftest totals when it has them.
results() {
	awk '
	/^# # Totals:/ { t = $0; sub(/^# # Totals: /, "", t); gsub(/ (xfail|xpass|error):0/, "", t) }
	/^# running / { t = "" }
	function add(name, res) { n++; name_[n] = name; res_[n] = res (t == "" ? "" : " (" t ")"); t = "" }
	/^ok [0-9]+ # SKIP / { s = $0; sub(/^ok [0-9]+ # SKIP /, "", s); add(s, "SKIP"); next }
	/^ok [0-9]+ .* # SKIP$/ { s = $0; sub(/^ok [0-9]+ /, "", s); sub(/ # SKIP$/, "", s); add(s, "SKIP"); next }
	/^ok [0-9]+ / { s = $0; sub(/^ok [0-9]+ /, "", s); add(s, "PASS"); next }
	/^not ok [0-9]+ / { s = $0; sub(/^not ok [0-9]+ /, "", s); e = s; sub(/ # exit=.*/, "", s); sub(/.* # /, "", e); add(s, "FAIL " e); next }
	/^# \[SKIP\] ./ { s = $0; sub(/^# \[SKIP\] (\.\/)?/, "", s); add(s, "SKIP"); next }
	/^# SKIP \.\// { s = $0; sub(/^# SKIP \.\//, "", s); add(s, "SKIP (not run)"); next }
	# run_vmtests.sh prints its one "# SKIP ./on-fault-limit" (no sudo)
	# whatever the category
	/^WB-MM-CATEGORY / {
		for (i = 1; i <= n; i++)
			if (res_[i] != "SKIP (not run)" || $2 == "mlock") print $2 "|" name_[i] "|" res_[i]
		n = 0
	}
	' "$1"
}

# norandmaps: the same address space layout on every boot. mremap_test
# maps a 40 MB "dest preamble" with MAP_FIXED_NOREPLACE next to its source
# mapping; with randomization that failed with EEXIST in 7 of 200 runs on
# the host, and in 0 of 200 under setarch -R.
boots=() ok=true
declare -A ran	# boot -> the categories it ran
boot_both() { # run [categories]
	local k log start cats=${2:-$WB_CATEGORIES}
	for k in base series; do
		log=$work/logs/$k-$1.log
		start=$SECONDS
		WB_TIMEOUT=$WB_TIMEOUT WB_APPEND="norandmaps wb.arg=${cats// /,}" "$top/scripts/run-qemu.sh" \
			"$OUT/kernels/$([ $k = base ] && echo test-base || echo $series_kernel).bzImage" \
			"$work/initramfs.cpio" mm-selftests "$log" >/dev/null 2>&1
		[ $? -le 1 ] && [ "$(grep -c '^WB-MM-CATEGORY ' "$log")" = "$(wc -w <<<"$cats")" ] || ok=false
		ran[$k-$1]=" $cats "
		echo "    $k run $1: $((SECONDS - start))s;" $(sed -nE 's/^WB-MM-CATEGORY (\S+) rc=\S+ seconds=(\S+)/\1 \2s/p' "$log" | paste -sd,)
		results "$log" >"$work/logs/$k-$1.results"
		boots+=("$k-$1")
	done
}

# "changed: test: results" for a test without a result that both base and
# series gave (the series' doing, or too flaky to tell), "varied: ..." for
# one that differed between boots but gave one result on both kernels,
# "unreliable: ..." for a changed test of WB_UNRELIABLE: test_memcg_reclaim
# failed in one of four runs on each kernel here, passed in the others.
WB_UNRELIABLE=${WB_UNRELIABLE-memcg: test_memcg_reclaim}
compare() {
	for b in "${boots[@]}"; do echo "$b|${ran[$b]}"; done >"$work/logs/categories"
	for b in "${boots[@]}"; do sed "s/^/$b|/" "$work/logs/$b.results"; done | awk -F'|' -v boots="${boots[*]}" -v cats="$work/logs/categories" '
	function add(key, boot, r,   kernel) {
		kernel = boot; sub(/-[0-9]+$/, "", kernel)
		if (!((key, r) in on)) res[key, ++nres[key]] = r
		on[key, r] = on[key, r] " " boot; got[key, kernel, r] = 1; ran[key, boot] = 1
	}
	BEGIN { while ((getline l < cats) > 0) { split(l, f, "|"); bootcats[f[1]] = f[2] } }
	{ key = $2 ": " $3; if (!(key in nres)) order[++n] = key; cat[key] = $2; add(key, $1, $4) }
	END {
		nb = split(boots, boot, " ")
		for (i = 1; i <= n; i++) {
			key = order[i]
			for (b = 1; b <= nb; b++)
				if (!((key, boot[b]) in ran) && index(bootcats[boot[b]], " " cat[key] " ")) add(key, boot[b], "no result")
			if (nres[key] == 1) continue
			common = 0; shown = ""
			for (j = 1; j <= nres[key]; j++) {
				r = res[key, j]
				common += got[key, "base", r] && got[key, "series", r]
				shown = shown (j > 1 ? "; " : "") r " on" on[key, r]
			}
			print (common ? "varied: " : "changed: ") key ": " shown
		}
	}' | sed -E "${WB_UNRELIABLE:+s/^changed: (($WB_UNRELIABLE): )/unreliable: \1/}"
}

for run in $(seq "$WB_RUNS"); do boot_both "$run"; done
# A result that differs: both kernels boot once more, with its categories.
again=$(compare | sed -n 's/^changed: \([^:]*\): .*/\1/p' | sort -u | paste -sd' ')
if [ -n "$again" ]; then
	note "mm selftests: a result differed between base and series ($again): both booted once more with it"
	boot_both $((WB_RUNS + 1)) "$again"
fi
check "mm selftests: ${#boots[@]} boots ($WB_CATEGORIES) completed without a kernel report" $ok
diffs=$(compare)
check "mm selftests: every test gives the same result on base and series ($series_kernel)" test -z "$(grep '^changed' <<<"$diffs")"
[ -n "$diffs" ] && sed 's/^/    /' <<<"$diffs"
# A test that passed all its subtests by skipping them does not count.
passed=$(grep '|PASS' "$work/logs/series-1.results" | grep -vc '(pass:0 ')
check "mm selftests: series passes at least $WB_MIN_PASS tests ($passed)" test "$passed" -ge "$WB_MIN_PASS"

{
	echo "| test | $(printf '%s | ' "${boots[@]}")"
	echo "|---|$(printf -- '---|%.0s' "${boots[@]}")"
	for b in "${boots[@]}"; do cut -d'|' -f1,2 "$work/logs/$b.results"; done | awk '!seen[$0]++' | while IFS='|' read -r c t; do
		row="| $c: $t |"
		for b in "${boots[@]}"; do
			row+=" $(awk -F'|' -v c="$c" -v t="$t" '$1 == c && $2 == t { print $3; exit }' "$work/logs/$b.results") |"
		done
		echo "$row"
	done
} >"$OUT/report/mm-selftests.md"
