#!/bin/bash
# fastpath.sh BEFORE AFTER : the second queue must leave the fast paths of
# the subsystems it touches as they were. BEFORE and AFTER are object
# directories (the first queue's tip, the second's) holding the objects
# below. Each listed function, and every function of the same object it
# calls directly (the static helpers the compiler kept out of line), must
# disassemble the same in both: relocations by symbol, a reference into a
# section as the symbol it points into, without addresses, and without
# the line numbers the debug config passes to its checks.
# The functions the queue changes must differ (else the comparison sees
# nothing). A function that is in neither object (another base) is a
# NOTE; one that is in one object only fails.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
before=$1 after=$2
# object: fast-path functions | functions the second queue changes
FUNCS="
mm/vmstat.o: __mod_zone_page_state __mod_node_page_state mod_zone_page_state mod_node_page_state __inc_zone_page_state inc_node_page_state mod_zone_state mod_node_state | quiet_vmstat vmstat_update
mm/memcontrol.o: try_charge_memcg refill_stock obj_cgroup_charge __mem_cgroup_charge __mem_cgroup_uncharge __mod_memcg_lruvec_state __memcg_slab_post_alloc_hook __memcg_slab_free_hook | drain_all_stock
mm/slub.o: kmem_cache_alloc_noprof kmem_cache_free __kmalloc_noprof __kmalloc_cache_noprof kfree | flush_all_cpus_locked
mm/mmu_gather.o: tlb_remove_table __tlb_remove_folio_pages | tlb_remove_table_sync_one
"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; [ "$wb_failed" = 0 ] || exit 1' EXIT

# The disassembly of OBJ with its function and object symbols ("section
# value name") first, for body().
disassemble() { # obj out
	objdump -t "$1" | sed -nE 's/^([0-9a-f]+) .{6}[FO] (\S+)\t[0-9a-f]+ (\S+)$/\2 \1 \3/p' >"$2.sym" &&
		objdump -dr --no-show-raw-insn "$1" >"$2"
}
# One function of a disassembly, comparable across builds.
body() { # dis function
	awk -v f="<$2>:" '
	function hex(s,   i, v) {
		sub(/^0x/, "", s); v = 0
		for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v
	}
	FILENAME ~ /\.sym$/ { n[$1]++; val[$1, n[$1]] = hex($2); nam[$1, n[$1]] = $3; next }
	function sym(sec, off,   i, best, bv) {	# the symbol SEC+OFF points into
		best = ""; bv = -1
		for (i = 1; i <= n[sec]; i++)
			if (val[sec, i] <= off && val[sec, i] > bv) { bv = val[sec, i]; best = nam[sec, i] }
		return best == "" ? sec "+?" : sprintf("%s%+d", best, off - bv)
	}
	$2 == f { p = 1; next }
	p && /^$/ { exit }
	# The debug config passes __LINE__ to these checks: a line number that
	# moved with the code above it is no change.
	function lines(   i, j) {
		for (i = 1; i <= nl; i++) {
			if (l[i] !~ /^mov +\$0x[0-9a-f]+,%esi$/) continue
			for (j = i + 1; j <= nl && j <= i + 8 && l[j] !~ /^call/; j++) ;
			if (l[j] ~ /^call/ && l[j + 1] ~ /R_X86_64_PLT32\t(lockdep_rcu_suspicious|__might_sleep|__might_resched|__might_fault)-0x4/)
				sub(/\$0x[0-9a-f]+/, "$LINE", l[i])
		}
		for (i = 1; i <= nl; i++) print l[i]
	}
	END { lines() }
	p {
		sub(/^[ \t]*[0-9a-f]+:[ \t]+/, "")
		gsub(/[0-9a-f]+ </, "<")
		# A PC-relative reference is mostly 4 bytes before its target; when
		# an immediate follows it is 5 or 8, and the lookup may then name
		# the symbol before: the same in both builds, or a false difference.
		pc = /R_X86_64_(PC32|PLT32)/ ? 4 : 0
		out = ""
		# a section after a blank, not a symbol like foo.constprop.0+0x7c
		while (match($0, /[ \t]\.[A-Za-z_.0-9]+\+0x[0-9a-f]+/)) {
			ref = substr($0, RSTART + 1, RLENGTH - 1); split(ref, r, "+")
			out = out substr($0, 1, RSTART) sym(r[1], hex(r[2]) + pc)
			$0 = substr($0, RSTART + RLENGTH)
		}
		l[++nl] = out $0
	}' "$1.sym" "$1"
}
same=() differ=() changed=() kept=() missing=() gone=()
while IFS= read -r line; do
	[ -n "$line" ] || continue
	o=${line%%:*} rest=${line#*: } fast=${line#*: } fast=${fast%%|*}
	if ! disassemble "$before/$o" "$tmp/a" 2>/dev/null || ! disassemble "$after/$o" "$tmp/b" 2>/dev/null; then
		fail "fast paths: $o in $before and $after"; continue
	fi
	# the listed fast paths and the object's functions they call, transitively
	todo=($fast) seen=" ${rest#*|} "
	while [ ${#todo[@]} -gt 0 ]; do
		f=${todo[0]} todo=("${todo[@]:1}")
		[[ $seen = *" $f "* ]] && continue
		seen+="$f "
		a=$(body "$tmp/a" "$f") b=$(body "$tmp/b" "$f")
		if [ -z "$a" ] && [ -z "$b" ]; then missing+=("$f"); continue; fi
		if [ -z "$a" ] || [ -z "$b" ]; then gone+=("$f"); continue; fi
		if [ "$a" = "$b" ]; then same+=("$f"); else differ+=("$f"); diff <(echo "$a") <(echo "$b") | head -6 | sed "s/^/    $f: /"; fi
		for c in $(sed -nE 's/.*(call|jmp)\s+<([A-Za-z_][A-Za-z_0-9.]*)>.*/\2/p' <<<"$a" | sort -u); do
			grep -q " $c\$" "$tmp/a.sym" && todo+=("$c")
		done
	done
	for f in ${rest#*|}; do
		a=$(body "$tmp/a" "$f") b=$(body "$tmp/b" "$f")
		if [ -z "$a" ] || [ -z "$b" ]; then missing+=("$f")
		elif [ "$a" != "$b" ]; then changed+=("$f"); else kept+=("$f"); fi
	done
done <<<"$FUNCS"
[ ${#missing[@]} = 0 ] || note "fast paths: in neither object, not compared: ${missing[*]}"
check "fast paths: the second queue leaves the code of ${#same[@]} fast-path functions and their out-of-line helpers as it was (${same[*]})${differ:+; changed: ${differ[*]}}${gone:+; in one object only: ${gone[*]}}" \
	test ${#differ[@]} = 0 -a ${#gone[@]} = 0 -a ${#same[@]} -gt 0
check "fast paths: positive control: the functions the second queue changes differ (${changed[*]})${kept:+; unchanged: ${kept[*]}}" \
	test ${#kept[@]} = 0 -a ${#changed[@]} -gt 0
